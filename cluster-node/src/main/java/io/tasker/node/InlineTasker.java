package io.tasker.node;

import io.tasker.node.queue.QueueManager.QueueStats;
import io.tasker.node.task.AttemptResult;
import io.tasker.node.task.HandlerRegistry;
import io.tasker.node.task.HandlerRuntime;
import io.tasker.node.task.TaskEntity;
import io.tasker.node.task.TaskEntity.State;
import io.tasker.protocol.ClusterView;
import io.tasker.protocol.EnqueueRequest;
import io.tasker.protocol.QueueCounts;
import io.tasker.protocol.QueueLimits;
import io.tasker.protocol.TaskId;
import io.tasker.protocol.TaskNotFoundException;
import io.tasker.protocol.TaskPage;
import io.tasker.protocol.TaskQuery;
import io.tasker.protocol.TaskSpec;
import io.tasker.protocol.TaskStatus;
import io.tasker.protocol.TaskSummary;
import io.tasker.protocol.TaskView;
import io.tasker.protocol.ValidationException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tasker without a cluster or journal, for tests and small apps. Tasks that are due run
 * synchronously in the calling thread, during {@link #enqueue} or {@link #runDue()}, through the
 * same state machine as the task entity: the same retries, backoff times, dead-lettering,
 * timeouts and errors. A retry whose backoff has not elapsed waits for the clock: call {@link
 * #runDue()} later, or give the builder a settable {@link Clock} and move it on. Queue limits do
 * not apply (one task runs at a time), and nothing survives {@link #close()}.
 */
public final class InlineTasker implements Tasker {
  private static final Logger log = LoggerFactory.getLogger(InlineTasker.class);
  private static final String NODE = "inline";

  private final HandlerRegistry registry;
  private final HandlerRuntime handlers;
  private final ScheduledExecutorService watchdog;
  private final Clock clock;
  private final Map<TaskId, State> tasks = new LinkedHashMap<>();
  private final Map<String, QueueLimits> limits = new java.util.HashMap<>();
  private final Function<String, QueueLimits> configuredLimits;

  InlineTasker(HandlerRegistry registry, Clock clock, Function<String, QueueLimits> limits) {
    this.registry = registry;
    this.clock = clock;
    this.configuredLimits = limits;
    this.watchdog =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread thread = new Thread(r, "tasker-inline-timeouts");
              thread.setDaemon(true);
              return thread;
            });
    this.handlers = new HandlerRuntime(registry, null, watchdog);
  }

  @Override
  public synchronized CompletionStage<EnqueueResult> enqueue(EnqueueRequest request) {
    return attempt(
        () -> {
          TaskSpec spec = registry.resolve(request, clock.instant());
          TaskId id =
              spec.idempotencyKey() != null
                  ? TaskId.forIdempotencyKey(spec.type(), spec.queue(), spec.idempotencyKey())
                  : TaskId.random(spec.type());
          if (tasks.containsKey(id)) {
            return new EnqueueResult(tasks.get(id).toView(), false);
          }
          State empty = State.empty(id);
          record(empty, empty.accept(spec, clock.instant()));
          runDue();
          return new EnqueueResult(tasks.get(id).toView(), true);
        });
  }

  /**
   * Runs every task whose run time has come, one at a time by priority then run time, until
   * none is due.
   *
   * @return the number of attempts run
   */
  public synchronized int runDue() {
    int attempts = 0;
    for (Optional<State> next = nextDue(); next.isPresent(); next = nextDue()) {
      State task = next.get();
      State running = record(task, task.start(NODE, clock.instant(), Duration.ZERO));
      AttemptResult result =
          handlers.runHere(running.id(), running.spec(), running.attempts());
      record(running, running.finish(result, clock.instant(), ThreadLocalRandom.current()::nextDouble));
      attempts++;
    }
    return attempts;
  }

  @Override
  public synchronized CompletionStage<TaskView> get(TaskId id) {
    return attempt(() -> find(id).toView());
  }

  @Override
  public synchronized CompletionStage<TaskView> cancel(TaskId id) {
    return change(id, task -> task.cancel(clock.instant()));
  }

  @Override
  public synchronized CompletionStage<TaskView> reschedule(
      TaskId id, Instant runAt, Integer priority) {
    return change(id, task -> task.reschedule(runAt, priority, clock.instant()));
  }

  @Override
  public synchronized CompletionStage<TaskView> retry(TaskId id) {
    return change(id, task -> task.requeue(clock.instant()));
  }

  /** Limits are kept and reported, but do not apply: inline runs one task at a time. */
  @Override
  public synchronized CompletionStage<QueueStats> updateQueue(String queue, QueueLimits limits) {
    this.limits.put(queue, limits);
    return queueStats(queue);
  }

  @Override
  public synchronized CompletionStage<QueueStats> queueStats(String queue) {
    int waiting = (int) tasks.values().stream()
        .filter(t -> t.spec().queue().equals(queue) && t.status() == TaskStatus.SCHEDULED)
        .count();
    QueueLimits inForce = limits.computeIfAbsent(queue, configuredLimits);
    return CompletableFuture.completedFuture(new QueueStats(queue, inForce, 0, waiting, 0));
  }

  @Override
  public synchronized CompletionStage<TaskPage> list(TaskQuery query) {
    return attempt(() -> {
      boolean newest = query.order() == TaskQuery.Order.NEWEST;
      Comparator<TaskSummary> order = newest
          ? Comparator.comparing(TaskSummary::createdAt).reversed()
          : Comparator.comparing(TaskSummary::runAt);
      List<TaskSummary> matching = tasks.values().stream()
          .map(task -> task.toIndexRow(0).task())
          .filter(t -> query.queue() == null || t.queue().equals(query.queue()))
          .filter(t -> query.status() == null || t.status() == query.status())
          .filter(t -> query.type() == null || t.type().equals(query.type()))
          .sorted(order.thenComparing(t -> t.id().value()))
          .toList();
      int from = query.cursor() == null ? 0 : offset(query.cursor());
      if (from > matching.size()) {
        throw new ValidationException("cursor", "is not a cursor this instance handed out");
      }
      int to = Math.min(matching.size(), from + query.limit());
      return new TaskPage(matching.subList(from, to),
          to < matching.size() ? Integer.toString(to) : null);
    });
  }

  private static int offset(String cursor) {
    try {
      int offset = Integer.parseInt(cursor);
      if (offset >= 0) {
        return offset;
      }
    } catch (NumberFormatException e) {
      // refused below
    }
    throw new ValidationException("cursor", "is not a cursor this instance handed out");
  }

  @Override
  public synchronized CompletionStage<List<QueueCounts>> counts() {
    Map<String, Map<TaskStatus, Long>> byQueue = new java.util.TreeMap<>();
    tasks.values().forEach(task -> byQueue
        .computeIfAbsent(task.spec().queue(), q -> new java.util.EnumMap<>(TaskStatus.class))
        .merge(task.status(), 1L, Long::sum));
    return CompletableFuture.completedFuture(byQueue.entrySet().stream()
        .map(e -> new QueueCounts(e.getKey(), e.getValue())).toList());
  }

  @Override
  public TaskSpec validate(EnqueueRequest request) {
    return registry.resolve(request, clock.instant());
  }

  @Override
  public CompletionStage<ClusterView> cluster() {
    return CompletableFuture.completedFuture(new ClusterView(NODE,
        List.of(new ClusterView.Member(NODE, "Up", Set.of("worker", "gateway"))), List.of()));
  }

  @Override
  public CompletionStage<Boolean> ready() {
    return CompletableFuture.completedFuture(true);
  }

  @Override
  public Set<String> taskTypes() {
    return registry.types();
  }

  @Override
  public void close() {
    watchdog.shutdownNow();
  }

  private CompletionStage<TaskView> change(TaskId id, Function<State, TaskEntity.Event> decision) {
    return attempt(
        () -> {
          State task = find(id);
          record(task, decision.apply(task));
          runDue();
          return tasks.get(id).toView();
        });
  }

  private State record(State before, TaskEntity.Event event) {
    State after = before.apply(event);
    tasks.put(after.id(), after);
    log.info("task {} [{}] {}", after.id(), after.spec().type(), event.describe());
    return after;
  }

  private Optional<State> nextDue() {
    Instant now = clock.instant();
    return tasks.values().stream()
        .filter(t -> t.status() == TaskStatus.SCHEDULED && !t.runAt().isAfter(now))
        .min(Comparator.comparingInt((State t) -> -t.priority()).thenComparing(State::runAt));
  }

  private State find(TaskId id) {
    State task = tasks.get(id);
    if (task == null) {
      throw new TaskNotFoundException(id);
    }
    return task;
  }

  private static <T> CompletionStage<T> attempt(java.util.function.Supplier<T> action) {
    try {
      return CompletableFuture.completedFuture(action.get());
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }
}
