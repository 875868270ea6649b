package io.tasker.node.journal;

import com.typesafe.config.Config;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.persistence.AtomicWrite;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.persistence.journal.Tagged;
import org.apache.pekko.persistence.journal.japi.AsyncWriteJournal;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.Serialization$;
import org.apache.pekko.serialization.SerializationExtension;
import scala.concurrent.Future;
import scala.jdk.javaapi.CollectionConverters;
import scala.jdk.javaapi.FutureConverters;

/**
 * The Pekko Persistence journal of Tasker: plain JDBC on the {@code event_journal} table of
 * pekko-persistence-jdbc (so journals written by either plugin read the same), built for many
 * small entities that each write a few events.
 *
 * <ul>
 *   <li>Writes of all entities that queue up during one commit go into the next commit: one
 *       batched INSERT and one transaction for hundreds of entities. A lone event with its row
 *       is one statement where its row's writer can ({@link TableRow.Writer#writeAlone}). A batch that fails (say one
 *       entity's sequence number was taken by another incarnation) is retried write by write, so
 *       only the offending entity sees the failure.
 *   <li>An event may come with a row of a table beside the journal ({@link EventWithRow}, e.g.
 *       a task's row in the task index): the row is written in the event's transaction.
 *   <li>Recoveries are batched the same way, and each costs one query: asked for an entity's
 *       highest sequence number, the journal reads the entity's events with it (one query for
 *       the whole batch) and keeps them for the replay that Pekko asks for next.
 * </ul>
 */
public final class JdbcJournal extends AsyncWriteJournal {
  private static final int MAX_BATCH = 500;
  private static final long KEEP_READ_EVENTS_NANOS = TimeUnit.SECONDS.toNanos(60);

  private sealed interface Write permits Append, Delete {
    CompletableFuture<Void> done();
  }

  /** An entity's events and the table rows that commit with them. */
  private record Append(List<JournalRow> rows, List<TableRow> tableRows,
      CompletableFuture<Void> done) implements Write {}

  private record Delete(String persistenceId, long to, CompletableFuture<Void> done)
      implements Write {}

  /** The events of an entity from sequence number {@code from} on, and its highest number. */
  private record Found(List<Stored> events, long highest) {}

  /**
   * A row as the replay hands it on, read back on the reader thread that fetched it (the
   * journal actor has one thread, which every entity's recovery would otherwise share): the
   * event, or why it could not be read (which fails the replay only if the event is replayed).
   * A deleted row is kept unread, for its sequence number.
   */
  private record Stored(long sequenceNumber, boolean deleted, PersistentRepr event,
      Exception unreadable) {}

  private record Read(String persistenceId, long from, CompletableFuture<Found> found) {}

  /** Events read with a highest sequence number, waiting for their replay. */
  private record ReadAhead(long from, List<Stored> events, long readAt) {}

  private final Serialization serialization = SerializationExtension.get(context().system());
  private final JournalMetrics metrics = JournalMetrics.of(context().system());
  private final HikariDataSource dataSource;
  private final JournalSettings.Dialect dialect;
  private final Batcher<Write> writes;
  private final Batcher<Read> reads;
  private final Map<String, ReadAhead> readAhead = new ConcurrentHashMap<>();

  /** @param config the plugin's configuration (see {@code tasker-journal} in reference.conf) */
  public JdbcJournal(Config config) {
    JournalSettings settings = JournalSettings.fromPluginConfig(config);
    int readers = Math.max(1, settings.poolSize() - 1);
    dataSource = settings.keyedDataSource("tasker-journal", readers + 1);
    dialect = settings.dialect();
    writes = new Batcher<>("tasker-journal-writer", 1, MAX_BATCH, this::write,
        (write, failure) -> write.done().completeExceptionally(failure));
    reads = new Batcher<>("tasker-journal-reader", readers, MAX_BATCH, this::read,
        (read, failure) -> read.found().completeExceptionally(failure));
    EventStore.Registry.started(context().system(), new Direct());
  }

  @Override
  public void postStop() {
    writes.close();
    reads.close();
    dataSource.close();
  }

  // Writing

  @Override
  public Future<Iterable<Optional<Exception>>> doAsyncWriteMessages(Iterable<AtomicWrite> messages) {
    List<Optional<Exception>> results = new ArrayList<>();
    List<Append> appends = new ArrayList<>();
    // (serializers of actor references need it, as in remoting)
    Serialization$.MODULE$.withTransportInformation(serialization.system(), () -> {
      serialize(messages, results, appends);
      return null;
    });
    if (appends.isEmpty()) {
      return Future.successful((Iterable<Optional<Exception>>) results);
    }
    CompletableFuture<?>[] done = new CompletableFuture<?>[appends.size()];
    for (int i = 0; i < done.length; i++) {
      done[i] = submit(writes, appends.get(i), appends.get(i).done()).toCompletableFuture();
    }
    // as Pekko expects: a database failure fails the call, a serialization failure rejects one write
    Iterable<Optional<Exception>> answer = results;
    return FutureConverters.asScala(CompletableFuture.allOf(done).thenApply(ok -> answer));
  }

  /** An append for each atomic write that serializes, a rejection for each that does not. */
  private void serialize(Iterable<AtomicWrite> messages, List<Optional<Exception>> results,
      List<Append> appends) {
    for (AtomicWrite write : messages) {
      try {
        List<JournalRow> rows = new ArrayList<>(write.size());
        Map<TableRow.Writer, TableRow> tableRows = new LinkedHashMap<>();
        for (PersistentRepr repr : CollectionConverters.asJava(write.payload())) {
          Object payload = repr.payload() instanceof Tagged tagged ? tagged.payload() : repr.payload();
          if (payload instanceof EventWithRow withRow) {
            tableRows.put(withRow.row().writer(), withRow.row()); // the latest row per kind
            payload = withRow.event();
          }
          rows.add(toRow(repr, payload));
        }
        appends.add(new Append(rows, List.copyOf(tableRows.values()), new CompletableFuture<>()));
        results.add(Optional.empty());
      } catch (Exception serializationFailure) {
        // rejected: the entity is told, nothing of this atomic write is stored
        results.add(Optional.of(serializationFailure));
      }
    }
  }

  @Override
  public Future<Void> doAsyncDeleteMessagesTo(String persistenceId, long toSequenceNr) {
    Delete delete = new Delete(persistenceId, toSequenceNr, new CompletableFuture<>());
    return FutureConverters.asScala(submit(writes, delete, delete.done()));
  }

  private JournalRow toRow(PersistentRepr repr, Object event) {
    long timestamp = repr.timestamp() > 0 ? repr.timestamp() : System.currentTimeMillis();
    return JournalRow.of(serialization, repr.persistenceId(), repr.sequenceNr(),
        repr.writerUuid(), timestamp, event);
  }

  private void write(List<Write> batch) {
    try (Connection connection = dataSource.getConnection()) {
      List<Append> appends = new ArrayList<>();
      for (Write write : batch) {
        if (write instanceof Append append) {
          appends.add(append);
        } else if (write instanceof Delete delete) {
          // after the appends queued before it: an entity's events and deletes stay in order
          appendAll(connection, appends);
          appends.clear();
          complete(delete.done(), () -> Jdbc.inTransaction(connection,
              () -> JournalTable.deleteTo(connection, delete.persistenceId(), delete.to())));
        }
      }
      appendAll(connection, appends);
    } catch (SQLException | RuntimeException noConnection) {
      batch.forEach(write -> write.done().completeExceptionally(noConnection));
    }
  }

  private void appendAll(Connection connection, List<Append> appends) {
    if (appends.isEmpty()) {
      return;
    }
    try {
      long started = System.nanoTime();
      if (appends.size() > 1 || !writtenAlone(connection, appends.get(0))) {
        Jdbc.inTransaction(connection, () -> insert(connection, appends));
      }
      metrics.committed(appends.stream().mapToInt(append -> append.rows().size()).sum(),
          System.nanoTime() - started);
      appends.forEach(append -> append.done().complete(null));
    } catch (SQLException | RuntimeException batchFailed) {
      if (appends.size() == 1) {
        appends.get(0).done().completeExceptionally(batchFailed);
        return;
      }
      for (Append append : appends) {
        complete(append.done(), () -> Jdbc.inTransaction(connection,
            () -> insert(connection, List.of(append))));
      }
    }
  }

  /** An event with one table row in one statement, if the row's writer can (auto-commit). */
  private boolean writtenAlone(Connection connection, Append append) throws SQLException {
    if (append.rows().size() != 1 || append.tableRows().size() != 1) {
      return false;
    }
    TableRow row = append.tableRows().get(0);
    return row.writer().writeAlone(connection, dialect, row, append.rows().get(0));
  }

  /** Table rows first, then events: the order retention locks them in (fewer deadlocks). */
  private void insert(Connection connection, List<Append> appends) throws SQLException {
    List<JournalRow> rows = new ArrayList<>();
    Map<TableRow.Writer, List<TableRow>> tableRows = new LinkedHashMap<>();
    for (Append append : appends) {
      rows.addAll(append.rows());
      for (TableRow row : append.tableRows()) {
        tableRows.computeIfAbsent(row.writer(), writer -> new ArrayList<>()).add(row);
      }
    }
    for (Map.Entry<TableRow.Writer, List<TableRow>> kind : tableRows.entrySet()) {
      kind.getKey().writeAll(connection, dialect, kind.getValue());
    }
    JournalTable.insertAll(connection, dialect, rows);
  }

  // Recovering

  @Override
  public Future<Long> doAsyncReadHighestSequenceNr(String persistenceId, long fromSequenceNr) {
    Read read = new Read(persistenceId, fromSequenceNr, new CompletableFuture<>());
    return FutureConverters.asScala(submit(reads, read, read.found()).thenApply(found -> {
      // Pekko replays from fromSequenceNr + 1 whenever there is more; keep the events for it
      if (found.highest() > fromSequenceNr) {
        readAhead.put(persistenceId,
            new ReadAhead(fromSequenceNr, found.events(), System.nanoTime()));
      }
      return found.highest();
    }));
  }

  @Override
  public Future<Void> doAsyncReplayMessages(String persistenceId, long fromSequenceNr,
      long toSequenceNr, long max, Consumer<PersistentRepr> replay) {
    ReadAhead ahead = readAhead.remove(persistenceId);
    CompletionStage<List<Stored>> events;
    if (ahead != null && ahead.from() <= fromSequenceNr) {
      events = CompletableFuture.completedFuture(ahead.events());
    } else {
      Read read = new Read(persistenceId, fromSequenceNr, new CompletableFuture<>());
      events = submit(reads, read, read.found()).thenApply(Found::events);
    }
    return FutureConverters.asScala(events.thenAccept(found -> {
      long replayed = 0;
      for (Stored stored : found) {
        if (replayed >= max || stored.sequenceNumber() > toSequenceNr) {
          break;
        }
        if (stored.sequenceNumber() >= fromSequenceNr && !stored.deleted()) {
          if (stored.unreadable() != null) {
            throw new CompletionException(stored.unreadable());
          }
          replay.accept(stored.event());
          replayed++;
        }
      }
    }));
  }

  private void read(List<Read> batch) {
    long now = System.nanoTime();
    readAhead.values().removeIf(ahead -> now - ahead.readAt() > KEEP_READ_EVENTS_NANOS);
    Map<Long, List<Read>> byFrom = new HashMap<>();
    batch.forEach(read -> byFrom.computeIfAbsent(read.from(), from -> new ArrayList<>()).add(read));
    try (Connection connection = dataSource.getConnection()) {
      for (Map.Entry<Long, List<Read>> group : byFrom.entrySet()) {
        long from = group.getKey();
        Map<String, List<JournalRow>> rowsById = new LinkedHashMap<>();
        group.getValue().forEach(read -> rowsById.put(read.persistenceId(), new ArrayList<>()));
        for (JournalRow row : JournalTable.readFrom(connection, rowsById.keySet(), from)) {
          rowsById.get(row.persistenceId()).add(row);
        }
        for (Read read : group.getValue()) {
          List<JournalRow> rows = rowsById.get(read.persistenceId());
          long highest = rows.isEmpty()
              ? (from == 0 ? 0 : JournalTable.highest(connection, read.persistenceId()))
              : rows.get(rows.size() - 1).sequenceNumber();
          read.found().complete(new Found(readBack(rows), highest));
        }
      }
    } catch (SQLException | RuntimeException failure) {
      batch.forEach(read -> read.found().completeExceptionally(failure));
    }
  }

  private List<Stored> readBack(List<JournalRow> rows) {
    List<Stored> events = new ArrayList<>(rows.size());
    for (JournalRow row : rows) {
      PersistentRepr event = null;
      Exception unreadable = null;
      if (!row.deleted()) {
        try {
          event = PersistentRepr.apply(row.event(serialization), row.sequenceNumber(),
                  row.persistenceId(), "", false, ActorRef.noSender(), row.writer())
              .withTimestamp(row.writeTimestamp());
        } catch (Exception e) { // (Pekko's Try.get throws checked exceptions too)
          unreadable = e;
        }
      }
      events.add(new Stored(row.sequenceNumber(), row.deleted(), event, unreadable));
    }
    return events;
  }

  // Direct access

  /** The batched reads and writes of this journal, for actors that keep many persistence ids. */
  private final class Direct implements EventStore {
    private final String writer = java.util.UUID.randomUUID().toString();

    @Override
    public CompletionStage<Events> read(String persistenceId) {
      Read read = new Read(persistenceId, 0, new CompletableFuture<>());
      return submit(reads, read, read.found()).thenApply(found -> {
        List<Object> events = new ArrayList<>(found.events().size());
        for (Stored stored : found.events()) {
          if (stored.unreadable() != null) {
            throw new CompletionException(stored.unreadable());
          }
          if (!stored.deleted()) {
            events.add(stored.event().payload());
          }
        }
        return new Events(events, found.highest());
      });
    }

    @Override
    public CompletionStage<Void> append(String persistenceId, long sequenceNumber, Object event) {
      Append append;
      try {
        List<TableRow> tableRows = List.of();
        if (event instanceof EventWithRow withRow) {
          tableRows = List.of(withRow.row());
          event = withRow.event();
        }
        JournalRow row = JournalRow.of(serialization, persistenceId, sequenceNumber, writer,
            System.currentTimeMillis(), event);
        append = new Append(List.of(row), tableRows, new CompletableFuture<>());
      } catch (RuntimeException unserializable) {
        return CompletableFuture.failedFuture(unserializable);
      }
      return submit(writes, append, append.done());
    }
  }

  // Plumbing

  private static <R, T> CompletionStage<T> submit(
      Batcher<R> batcher, R request, CompletableFuture<T> answer) {
    if (!batcher.offer(request)) {
      answer.completeExceptionally(new IllegalStateException("the journal is stopping"));
    }
    return answer;
  }

  private static void complete(CompletableFuture<Void> done, Jdbc.Work work) {
    try {
      work.run();
      done.complete(null);
    } catch (SQLException | RuntimeException e) {
      done.completeExceptionally(e);
    }
  }
}
