package io.tasker.node.task;

import io.tasker.node.index.IndexRow;
import io.tasker.node.index.JdbcTaskIndex;
import io.tasker.node.journal.JournalRow;
import io.tasker.protocol.TaskId;
import io.tasker.protocol.TaskSpec;
import io.tasker.protocol.TaskView;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;

/**
 * Stores new tasks without their entities: per task its {@link TaskEntity.Enqueued} event,
 * written as the journal plugin writes it (sequence number 1), and its index row, a whole batch
 * in one transaction. Per task that saves an entity start, a recovery query, a journal round
 * trip through the entity and its reply; tasks due within the waker's look-ahead are then woken
 * at once (their entities recover the event and arm their timers), the others by the waker.
 *
 * <p>A task with an idempotency key has its id from the key: a repeat collides with the stored
 * event, which fails the whole transaction. The batch is then stored again without the tasks
 * found stored, and those go to their entities ({@link Entities#enqueue}), which answer with the
 * stored task. Repeats within one batch go to their entity once the first is stored.
 *
 * <p>Single enqueues ({@link #storeOne}) are committed in groups: while one transaction is in
 * flight, the tasks that arrive wait for the next, which takes them all.
 */
public final class NewTasks {
  /** The most tasks stored in one transaction. */
  public static final int PER_TRANSACTION = 1000;

  /** A stored task, and whether this enqueue created it. */
  public record Stored(TaskView task, boolean created) {}

  /** The entity path, for tasks that may be stored already, and the wake of new ones. */
  public interface Entities {
    /** Enqueues {@code task} through its entity, as {@code requestId} (see {@link TaskEntity.Enqueue}). */
    CompletionStage<Stored> enqueue(MiddlewareChain.Accepted task, String requestId);

    void wake(TaskId id);
  }

  private record Pending(MiddlewareChain.Accepted task, CompletableFuture<Stored> stored) {}

  private final TaskMetrics metrics;
  private final Serialization serialization;
  private final JdbcTaskIndex index;
  private final Clock clock;
  private final Duration lookahead;
  private final Entities entities;
  private final boolean jdbcJournal;
  private final String writer = UUID.randomUUID().toString();
  private final ConcurrentLinkedQueue<Pending> waiting = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean storing = new AtomicBoolean();

  /** @param lookahead the waker's: tasks due within it are woken once stored */
  public NewTasks(
      ActorSystem<?> system, JdbcTaskIndex index, Clock clock, Duration lookahead,
      TaskMetrics metrics, Entities entities) {
    this.serialization = SerializationExtension.get(system.classicSystem());
    this.metrics = metrics;
    this.index = index;
    this.clock = clock;
    this.lookahead = lookahead;
    this.entities = entities;
    // events written here are read by entities through the journal plugin: ours only
    this.jdbcJournal = "tasker-journal".equals(
        system.settings().config().getString("pekko.persistence.journal.plugin"));
  }

  /** @return whether tasks are stored here; if not (another journal), through their entities */
  public boolean batched() {
    return jdbcJournal;
  }

  /**
   * Stores {@code task} with those enqueued at the same time: at once if no store is in flight,
   * else in the next transaction.
   */
  public CompletionStage<Stored> storeOne(MiddlewareChain.Accepted task) {
    Pending pending = new Pending(task, new CompletableFuture<>());
    waiting.add(pending);
    storeWaiting();
    return pending.stored();
  }

  private void storeWaiting() {
    while (!waiting.isEmpty() && storing.compareAndSet(false, true)) {
      List<Pending> group = new ArrayList<>();
      Pending next;
      while (group.size() < PER_TRANSACTION && (next = waiting.poll()) != null) {
        group.add(next);
      }
      if (group.isEmpty()) {
        storing.set(false);
        continue; // another caller took them; look again in case more came
      }
      store(group.stream().map(Pending::task).toList()).whenComplete((stored, failure) -> {
        for (int i = 0; i < group.size(); i++) {
          if (failure != null) {
            group.get(i).stored().completeExceptionally(failure);
          } else {
            group.get(i).stored().complete(stored.get(i));
          }
        }
        storing.set(false);
        storeWaiting();
      });
      return;
    }
  }

  /**
   * Stores {@code tasks} (at most {@link #PER_TRANSACTION}) and tells each one's middlewares how
   * its enqueue ended.
   *
   * @return the stored tasks, in the order of {@code tasks}, once all are durable
   */
  public CompletionStage<List<Stored>> store(List<MiddlewareChain.Accepted> tasks) {
    Instant now = clock.instant();
    List<Attempt> attempts = new ArrayList<>(tasks.size());
    Map<TaskId, Attempt> firsts = new HashMap<>();
    List<Attempt> firstsInOrder = new ArrayList<>();
    for (MiddlewareChain.Accepted task : tasks) {
      String requestId = task.spec().idempotencyKey() == null ? null : UUID.randomUUID().toString();
      Attempt attempt = new Attempt(task, requestId, new CompletableFuture<>());
      attempts.add(attempt);
      Attempt first = firsts.putIfAbsent(task.id(), attempt);
      if (first == null) {
        firstsInOrder.add(attempt);
      } else {
        // a repeat within the batch finds the task its first stored
        first.stored().handle((stored, failure) -> null)
            .thenCompose(done -> entities.enqueue(task, attempt.requestId()))
            .whenComplete(attempt::complete);
      }
    }
    insert(firstsInOrder, now);
    List<CompletableFuture<Stored>> all = attempts.stream().map(Attempt::stored).toList();
    return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))
        .thenApply(done -> all.stream().map(CompletableFuture::join).toList());
  }

  /** One task's way through {@link #store}. */
  private record Attempt(
      MiddlewareChain.Accepted task, String requestId, CompletableFuture<Stored> stored) {
    void complete(Stored result, Throwable failure) {
      task.done(failure);
      if (failure != null) {
        stored.completeExceptionally(failure);
      } else {
        stored.complete(result);
      }
    }
  }

  private void insert(List<Attempt> attempts, Instant now) {
    if (attempts.isEmpty()) {
      return;
    }
    List<JournalRow> events = new ArrayList<>(attempts.size());
    List<IndexRow> rows = new ArrayList<>(attempts.size());
    List<TaskEntity.State> states = new ArrayList<>(attempts.size());
    List<TaskEntity.Enqueued> enqueuedAll = new ArrayList<>(attempts.size());
    for (Attempt attempt : attempts) {
      TaskId id = attempt.task().id();
      TaskEntity.State empty = TaskEntity.State.empty(id);
      TaskEntity.Enqueued enqueued = empty.accept(attempt.task().spec(), attempt.requestId(), now);
      TaskEntity.State stored = empty.apply(enqueued);
      enqueuedAll.add(enqueued);
      states.add(stored);
      events.add(JournalRow.of(serialization, TaskEntity.persistenceId(id), 1, writer,
          now.toEpochMilli(), enqueued));
      rows.add(stored.toIndexRow(1));
    }
    index.insertNew(events, rows).whenComplete((done, failure) -> {
      if (failure == null) {
        stored(attempts, states, enqueuedAll);
      } else {
        insertFailed(attempts, now, failure);
      }
    });
  }

  private void stored(
      List<Attempt> attempts, List<TaskEntity.State> states, List<TaskEntity.Enqueued> events) {
    List<TaskEntity.State> dueSoon = new ArrayList<>();
    Instant soon = clock.instant().plus(lookahead);
    for (int i = 0; i < attempts.size(); i++) {
      TaskEntity.State state = states.get(i);
      metrics.recorded(state.id(), state.spec(), events.get(i));
      // the waker may have scanned past this wake time already: the entity must hear now
      if (state.wakeAt() != null && !state.wakeAt().isAfter(soon)) {
        dueSoon.add(state);
      }
      attempts.get(i).complete(new Stored(state.toView(), true), null);
    }
    dueSoon.sort(Comparator.comparing(TaskEntity.State::wakeAt));
    dueSoon.forEach(state -> entities.wake(state.id()));
  }

  /**
   * A failed transaction with keyed tasks: those already stored go to their entities, the rest
   * is tried again. Each round takes at least one keyed task out, so it ends.
   */
  private void insertFailed(List<Attempt> attempts, Instant now, Throwable failure) {
    List<Attempt> keyed = attempts.stream().filter(a -> a.requestId() != null).toList();
    if (keyed.isEmpty()) {
      attempts.forEach(attempt -> attempt.complete(null, failure));
      return;
    }
    index.storedInJournal(keyed.stream()
            .map(a -> TaskEntity.persistenceId(a.task().id())).toList())
        .whenComplete((found, lookupFailure) -> {
          Set<String> stored = found == null ? Set.of() : found;
          List<Attempt> colliding = keyed.stream()
              .filter(a -> stored.contains(TaskEntity.persistenceId(a.task().id()))).toList();
          if (colliding.isEmpty()) {
            colliding = keyed; // a collision not committed yet: the entity path settles it
          }
          List<Attempt> rest = new ArrayList<>(attempts);
          rest.removeAll(colliding);
          for (Attempt attempt : colliding) {
            entities.enqueue(attempt.task(), attempt.requestId())
                .whenComplete(attempt::complete);
          }
          insert(rest, now);
        });
  }
}
