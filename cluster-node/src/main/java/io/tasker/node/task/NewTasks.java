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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;

/**
 * Stores new tasks without their entities: per task its {@link TaskEntity.Enqueued} event,
 * written as the journal plugin writes it (sequence number 1), and its index row, a whole batch
 * in one transaction. Per task that saves an entity start, a recovery query, a journal round
 * trip through the entity and its reply; tasks due within the waker's look-ahead are then woken
 * at once (their entities recover the event and arm their timers), the others by the waker.
 *
 * <p>A batch with many tasks due at once asks their queue's manager how many may come and wait
 * for permits in memory; the rest are stored parked (the manager wakes them by priority as
 * there is room), so a due backlog beyond {@code tasker.permits.max-waiting} costs no entity
 * start that would only end in parking.
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

    /**
     * Asks {@code queue}'s manager how many of {@code holders} (new tasks due at once, best
     * first) may come and wait for their permits; see {@link
     * io.tasker.node.queue.QueueManager.AdmitNew}.
     */
    CompletionStage<Integer> admit(String queue, List<String> holders);

    /** Tells {@code queue}'s manager that new tasks were stored parked. */
    void parked(String queue);
  }

  /**
   * A queue asks its manager what to admit only for this many due tasks or more in one
   * transaction: fewer cost more in the round trip than in parking, and a single enqueue never
   * waits for it.
   */
  static final int ADMIT_FROM = 100;

  /** Best first, as a queue serves them: higher priority, then earlier run time. */
  private static final Comparator<TaskEntity.State> SERVICE_ORDER =
      Comparator.comparingInt((TaskEntity.State s) -> -s.priority())
          .thenComparing(TaskEntity.State::runAt);

  private record Pending(MiddlewareChain.Accepted task, CompletableFuture<Stored> stored) {}

  private final TaskMetrics metrics;
  private final Serialization serialization;
  private final JdbcTaskIndex index;
  private final Clock clock;
  private final Duration lookahead;
  private final Entities entities;
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
    List<TaskEntity.State> states = new ArrayList<>(attempts.size());
    List<TaskEntity.Enqueued> enqueuedAll = new ArrayList<>(attempts.size());
    for (Attempt attempt : attempts) {
      TaskEntity.State empty = TaskEntity.State.empty(attempt.task().id());
      TaskEntity.Enqueued enqueued = empty.accept(attempt.task().spec(), attempt.requestId(), now);
      enqueuedAll.add(enqueued);
      states.add(empty.apply(enqueued));
    }
    toPark(states, now).whenComplete((parked, failure) -> {
      try {
        // the managers could not say: every task is woken, as without admission
        write(attempts, states, enqueuedAll, failure == null ? parked : Map.of(), now);
      } catch (RuntimeException unwritable) { // e.g. an event that does not serialize
        attempts.forEach(attempt -> attempt.complete(null, unwritable));
      }
    });
  }

  /**
   * @return the tasks to store parked, by queue: of the queues with {@link #ADMIT_FROM} or more
   *     tasks due at once, those their managers did not admit
   */
  private CompletionStage<Map<String, Set<TaskId>>> toPark(
      List<TaskEntity.State> states, Instant now) {
    Map<String, List<TaskEntity.State>> dueByQueue = new HashMap<>();
    for (TaskEntity.State state : states) {
      if (state.wakeAt() != null && !state.wakeAt().isAfter(now)) {
        dueByQueue.computeIfAbsent(state.spec().queue(), queue -> new ArrayList<>()).add(state);
      }
    }
    Map<String, Set<TaskId>> parked = new ConcurrentHashMap<>();
    List<CompletableFuture<?>> asked = new ArrayList<>();
    dueByQueue.forEach((queue, due) -> {
      if (due.size() < ADMIT_FROM) {
        return;
      }
      due.sort(SERVICE_ORDER);
      List<String> holders = due.stream().map(state -> state.id().value()).toList();
      asked.add(entities.admit(queue, holders).thenAccept(admitted -> {
        if (admitted < due.size()) {
          Set<TaskId> rest = new HashSet<>();
          due.subList(Math.max(0, admitted), due.size()).forEach(s -> rest.add(s.id()));
          parked.put(queue, rest);
        }
      }).toCompletableFuture());
    });
    return CompletableFuture.allOf(asked.toArray(CompletableFuture[]::new))
        .thenApply(done -> parked);
  }

  private void write(List<Attempt> attempts, List<TaskEntity.State> states,
      List<TaskEntity.Enqueued> enqueuedAll, Map<String, Set<TaskId>> parked, Instant now) {
    List<JournalRow> events = new ArrayList<>(attempts.size());
    List<IndexRow> rows = new ArrayList<>(attempts.size());
    // every event is an Enqueued: one serializer and manifest for all
    Serializer serializer = serialization.findSerializerFor(enqueuedAll.get(0));
    String manifest = Serializers.manifestFor(serializer, enqueuedAll.get(0));
    long writeTimestamp = now.toEpochMilli();
    for (int i = 0; i < states.size(); i++) {
      TaskEntity.State stored = states.get(i);
      events.add(JournalRow.of(serializer, manifest, TaskEntity.persistenceId(stored.id()), 1,
          writer, writeTimestamp, enqueuedAll.get(i)));
      IndexRow row = stored.toIndexRow(1);
      rows.add(isParked(stored, parked) ? row.parked() : row);
    }
    index.insertNew(events, rows).whenComplete((done, failure) -> {
      if (failure == null) {
        stored(attempts, states, enqueuedAll, parked);
      } else {
        insertFailed(attempts, now, failure);
      }
    });
  }

  private static boolean isParked(TaskEntity.State state, Map<String, Set<TaskId>> parked) {
    Set<TaskId> ofQueue = parked.get(state.spec().queue());
    return ofQueue != null && ofQueue.contains(state.id());
  }

  private void stored(List<Attempt> attempts, List<TaskEntity.State> states,
      List<TaskEntity.Enqueued> events, Map<String, Set<TaskId>> parked) {
    List<TaskEntity.State> dueSoon = new ArrayList<>();
    Instant soon = clock.instant().plus(lookahead);
    for (int i = 0; i < attempts.size(); i++) {
      TaskEntity.State state = states.get(i);
      metrics.recorded(state.id(), state.spec(), events.get(i));
      // the waker may have scanned past this wake time already: the entity must hear now
      if (state.wakeAt() != null && !state.wakeAt().isAfter(soon) && !isParked(state, parked)) {
        dueSoon.add(state);
      }
      attempts.get(i).complete(new Stored(state.toView(), true), null);
    }
    parked.keySet().forEach(entities::parked);
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
