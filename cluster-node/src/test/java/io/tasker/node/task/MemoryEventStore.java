package io.tasker.node.task;

import io.tasker.node.journal.EventStore;
import io.tasker.node.journal.EventWithRow;
import io.tasker.node.journal.TableRow;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A journal in memory for tests of {@link TaskPartition}: per persistence id the events in
 * order, each kept as appended (with its row) and read back bare, as the real journal does. Like
 * the real primary key it rejects a sequence number that is not the highest + 1.
 */
final class MemoryEventStore implements EventStore {

  /** An appended value: the bare event, or an {@link EventWithRow}. */
  record Stored(long sequenceNumber, Object appended) {
    Object event() {
      return appended instanceof EventWithRow withRow ? withRow.event() : appended;
    }

    TableRow row() {
      return appended instanceof EventWithRow withRow ? withRow.row() : null;
    }
  }

  private final Map<String, List<Stored>> stored = new HashMap<>();
  private final Map<String, java.util.Deque<Throwable>> failNext = new HashMap<>();
  private final Map<String, Throwable> failNextRead = new HashMap<>();
  private CompletableFuture<Void> held;
  private final AtomicInteger waiting = new AtomicInteger();

  @Override
  public synchronized CompletionStage<Events> read(String persistenceId) {
    Throwable failure = failNextRead.remove(persistenceId);
    if (failure != null) {
      return CompletableFuture.failedFuture(failure);
    }
    List<Stored> events = stored.getOrDefault(persistenceId, List.of());
    return CompletableFuture.completedFuture(new Events(
        events.stream().map(Stored::event).toList(), events.size()));
  }

  @Override
  public CompletionStage<Void> append(String persistenceId, long sequenceNumber, Object event) {
    CompletableFuture<Void> gate;
    synchronized (this) {
      java.util.Deque<Throwable> failures = failNext.get(persistenceId);
      Throwable failure = failures == null ? null : failures.poll();
      if (failure != null) {
        return CompletableFuture.failedFuture(failure);
      }
      gate = held;
    }
    if (gate == null) {
      return store(persistenceId, sequenceNumber, event);
    }
    // stored when released, as a transaction commits only then
    waiting.incrementAndGet();
    return gate.thenCompose(done -> store(persistenceId, sequenceNumber, event));
  }

  private synchronized CompletableFuture<Void> store(
      String persistenceId, long sequenceNumber, Object event) {
    List<Stored> events = stored.computeIfAbsent(persistenceId, id -> new ArrayList<>());
    if (sequenceNumber != events.size() + 1) {
      return CompletableFuture.failedFuture(new IllegalStateException(
          "duplicate key: " + persistenceId + " #" + sequenceNumber + ", highest "
              + events.size()));
    }
    events.add(new Stored(sequenceNumber, event));
    return CompletableFuture.completedFuture(null);
  }

  /** The next append of {@code persistenceId} fails with {@code failure}, storing nothing. */
  synchronized void failNext(String persistenceId, Throwable failure) {
    failNext.computeIfAbsent(persistenceId, id -> new java.util.ArrayDeque<>()).add(failure);
  }

  /** The next read of {@code persistenceId} fails with {@code failure}. */
  synchronized void failNextRead(String persistenceId, Throwable failure) {
    failNextRead.put(persistenceId, failure);
  }

  /** From now on appends complete (and store) only once {@link #release} is called. */
  synchronized void hold() {
    held = new CompletableFuture<>();
  }

  /** @return how many appends wait for {@link #release} */
  int waiting() {
    return waiting.get();
  }

  /** Completes the appends held so far; later ones complete at once. */
  void release() {
    CompletableFuture<Void> gate;
    synchronized (this) {
      gate = held;
      held = null;
    }
    waiting.set(0);
    if (gate != null) {
      gate.complete(null);
    }
  }

  /** @return what {@code persistenceId} has stored, in order */
  synchronized List<Stored> stored(String persistenceId) {
    return List.copyOf(stored.getOrDefault(persistenceId, List.of()));
  }
}
