package io.tasker.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.apache.pekko.persistence.AtomicWrite;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.persistence.journal.japi.AsyncWriteJournal;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import scala.concurrent.Future;
import scala.jdk.javaapi.CollectionConverters;

/**
 * A journal in memory, events serialized as a real one would, answered at once: Tasker with it
 * shows what everything but the journal's database work costs (a bound for the analysis of the
 * drain rate, selected with {@code -Dbench.tasker.journal=memory}; not durable, not a result).
 */
public final class MemoryJournal extends AsyncWriteJournal {
  private final Serialization serialization = SerializationExtension.get(context().system());
  private final Map<String, List<PersistentRepr>> events = new ConcurrentHashMap<>();

  @Override
  public Future<Iterable<Optional<Exception>>> doAsyncWriteMessages(Iterable<AtomicWrite> writes) {
    List<Optional<Exception>> results = new ArrayList<>();
    for (AtomicWrite write : writes) {
      for (PersistentRepr repr : CollectionConverters.asJava(write.payload())) {
        serialization.serialize(repr.payload()).get(); // the cost a database journal pays
        events.computeIfAbsent(repr.persistenceId(), id -> new ArrayList<>()).add(repr);
      }
      results.add(Optional.empty());
    }
    return Future.successful(results);
  }

  @Override
  public Future<Void> doAsyncDeleteMessagesTo(String persistenceId, long toSequenceNr) {
    return Future.successful(null);
  }

  @Override
  public Future<Void> doAsyncReplayMessages(String persistenceId, long fromSequenceNr,
      long toSequenceNr, long max, Consumer<PersistentRepr> replay) {
    long replayed = 0;
    for (PersistentRepr repr : events.getOrDefault(persistenceId, List.of())) {
      if (replayed < max && repr.sequenceNr() >= fromSequenceNr
          && repr.sequenceNr() <= toSequenceNr) {
        replay.accept(repr);
        replayed++;
      }
    }
    return Future.successful(null);
  }

  @Override
  public Future<Long> doAsyncReadHighestSequenceNr(String persistenceId, long fromSequenceNr) {
    List<PersistentRepr> stored = events.getOrDefault(persistenceId, List.of());
    return Future.successful(stored.isEmpty() ? 0L : stored.get(stored.size() - 1).sequenceNr());
  }
}
