package io.tasker.node;

import io.tasker.protocol.QueueStats;
import io.tasker.node.schedule.DeclaredSchedules;
import io.tasker.node.schedule.ScheduleEntity;
import io.tasker.node.schedule.ScheduleSettings;
import io.tasker.node.ScheduleSpec;
import io.tasker.node.ScheduleView;
import io.tasker.node.task.AttemptResult;
import io.tasker.node.task.HandlerRegistry;
import io.tasker.node.task.HandlerRuntime;
import io.tasker.node.task.MiddlewareChain;
import io.tasker.node.task.TaskEntity;
import io.tasker.node.task.TaskEntity.State;
import io.tasker.protocol.ClusterView;
import io.tasker.protocol.EnqueueRequest;
import io.tasker.protocol.QueueCounts;
import io.tasker.protocol.QueueLimits;
import io.tasker.protocol.QueueUpdate;
import io.tasker.protocol.ScheduleNotFoundException;
import io.tasker.protocol.TaskId;
import io.tasker.protocol.TaskNotFoundException;
import io.tasker.protocol.TaskPage;
import io.tasker.protocol.TaskQuery;
import io.tasker.protocol.TaskSpec;
import io.tasker.protocol.TaskStatus;
import io.tasker.protocol.TaskSummary;
import io.tasker.protocol.TaskView;
import io.tasker.protocol.TaskerUnavailableException;
import io.tasker.protocol.Validation;
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
 * not apply (one task runs at a time), and nothing survives {@link #close()}. Schedules fire
 * during {@link #runDue()} (and any call that runs due tasks) by the same rules as the schedule
 * entity: move a settable clock past a fire time, then call {@link #runDue()}.
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
  /** Run-time changes per queue, reported as the queue's settings version. */
  private final Map<String, Long> versions = new java.util.HashMap<>();
  private final Function<String, QueueLimits> configuredLimits;
  private final Map<String, ScheduleEntity.State> schedules = new java.util.TreeMap<>();
  private final ScheduleSettings scheduleSettings;
  /** Callers of {@link #result} waiting for unfinished tasks. */
  private final Map<TaskId, List<CompletableFuture<TaskView>>> waiting = new java.util.HashMap<>();

  InlineTasker(
      HandlerRegistry registry,
      Clock clock,
      Function<String, QueueLimits> limits,
      ScheduleSettings scheduleSettings) {
    this.registry = registry;
    this.scheduleSettings = scheduleSettings;
    this.clock = clock;
    this.configuredLimits = limits;
    this.watchdog =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread thread = new Thread(r, "tasker-inline-timeouts");
              thread.setDaemon(true);
              return thread;
            });
    this.handlers = new HandlerRuntime(registry, null, watchdog, clock);
  }

  @Override
  public synchronized CompletionStage<EnqueueResult> enqueue(EnqueueRequest request) {
    return attempt(
        () -> {
          EnqueueResult stored = store(request);
          if (!stored.created()) {
            return stored;
          }
          runDue();
          return new EnqueueResult(tasks.get(stored.task().id()).toView(), true);
        });
  }

  /**
   * As a node does: all requests are checked, and pass the middlewares, before any is stored,
   * so an invalid or refused one stores none.
   */
  @Override
  public synchronized CompletionStage<List<EnqueueResult>> enqueueAll(
      List<EnqueueRequest> requests) {
    return attempt(
        () -> {
          List<EnqueueResult> stored =
              registry.acceptAll(validateAll(requests)).stream().map(this::store).toList();
          runDue();
          return stored.stream().map(result -> new EnqueueResult(
              tasks.get(result.task().id()).toView(), result.created())).toList();
        });
  }

  private EnqueueResult store(EnqueueRequest request) {
    return store(registry.accept(request, clock.instant()));
  }

  private EnqueueResult store(MiddlewareChain.Accepted accepted) {
    EnqueueResult result;
    try {
      result = tasks.containsKey(accepted.id())
          ? new EnqueueResult(tasks.get(accepted.id()).toView(), false)
          : created(accepted.id(), accepted.spec());
    } catch (RuntimeException failed) {
      accepted.done(failed);
      throw failed;
    }
    accepted.done(null);
    return result;
  }

  private EnqueueResult created(TaskId id, TaskSpec spec) {
    State empty = State.empty(id);
    return new EnqueueResult(record(empty, empty.accept(spec, clock.instant())).toView(), true);
  }

  /**
   * Fires every schedule whose fire time has come (creating its tasks), then runs every task
   * whose run time has come, one at a time by priority then run time, until none is due.
   *
   * @return the number of attempts run
   */
  public synchronized int runDue() {
    int attempts = 0;
    for (Optional<State> next = fireSchedulesThenNextDue(); next.isPresent();
        next = fireSchedulesThenNextDue()) {
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

  /** Completes when a later call (e.g. {@link #runDue()}) finishes the task. */
  @Override
  public CompletionStage<TaskView> result(TaskId id) {
    return await(id, null);
  }

  @Override
  public CompletionStage<TaskView> result(TaskId id, Duration timeout) {
    try {
      return await(id, OutcomeWaits.checked(timeout));
    } catch (ValidationException invalid) {
      return CompletableFuture.failedFuture(invalid);
    }
  }

  private synchronized CompletionStage<TaskView> await(TaskId id, Duration timeout) {
    State task = tasks.get(id);
    if (task == null) {
      return CompletableFuture.failedFuture(new TaskNotFoundException(id));
    } else if (task.status().isTerminal()) {
      return CompletableFuture.completedFuture(task.toView());
    }
    CompletableFuture<TaskView> outcome = new CompletableFuture<>();
    waiting.computeIfAbsent(id, k -> new java.util.ArrayList<>()).add(outcome);
    if (timeout != null && !watchdog.isShutdown()) {
      watchdog.schedule(() -> {
        synchronized (this) {
          waiting.getOrDefault(id, new java.util.ArrayList<>()).remove(outcome);
          outcome.complete(tasks.get(id).toView());
        }
      }, timeout.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS);
    }
    return outcome;
  }

  @Override
  public synchronized CompletionStage<TaskView> cancel(TaskId id) {
    return change(id, task -> task.cancel(clock.instant()));
  }

  @Override
  public synchronized CompletionStage<TaskView> reschedule(
      TaskId id, Instant runAt, Integer priority) {
    try {
      Validation.time(clock.instant(), runAt, "runAt");
    } catch (ValidationException invalid) {
      return CompletableFuture.failedFuture(invalid);
    }
    return change(id, task -> task.reschedule(runAt, priority, clock.instant()));
  }

  @Override
  public synchronized CompletionStage<TaskView> retry(TaskId id) {
    return change(id, task -> task.requeue(clock.instant()));
  }

  /** Limits are kept and reported, but do not apply: inline runs one task at a time. */
  @Override
  public synchronized CompletionStage<QueueStats> updateQueue(String queue, QueueUpdate update) {
    QueueLimits current = limits.computeIfAbsent(queue, configuredLimits);
    QueueLimits changed = update.applyTo(current);
    if (!changed.equals(current)) {
      limits.put(queue, changed);
      versions.merge(queue, 1L, Long::sum);
    }
    return queueStats(queue);
  }

  @Override
  public synchronized CompletionStage<QueueStats> resetQueue(String queue) {
    QueueLimits before = limits.remove(queue);
    if (before != null && !before.equals(configuredLimits.apply(queue))) {
      versions.merge(queue, 1L, Long::sum);
    }
    return queueStats(queue);
  }

  @Override
  public synchronized CompletionStage<QueueStats> queueStats(String queue) {
    int waiting = (int) tasks.values().stream()
        .filter(t -> t.spec().queue().equals(queue) && t.status() == TaskStatus.SCHEDULED)
        .count();
    QueueLimits inForce = limits.computeIfAbsent(queue, configuredLimits);
    return CompletableFuture.completedFuture(new QueueStats(
        queue, inForce, versions.getOrDefault(queue, 0L), 0, waiting, 0, false));
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
          .filter(t -> query.createdInRange(t.createdAt()))
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
    Map<String, Long> due = new java.util.HashMap<>();
    Instant now = clock.instant();
    tasks.values().forEach(task -> {
      byQueue.computeIfAbsent(task.spec().queue(), q -> new java.util.EnumMap<>(TaskStatus.class))
          .merge(task.status(), 1L, Long::sum);
      if (task.status() == TaskStatus.SCHEDULED && !task.runAt().isAfter(now)) {
        due.merge(task.spec().queue(), 1L, Long::sum);
      }
    });
    return CompletableFuture.completedFuture(byQueue.entrySet().stream()
        .map(e -> new QueueCounts(e.getKey(), e.getValue(), due.getOrDefault(e.getKey(), 0L)))
        .toList());
  }

  @Override
  public TaskSpec validate(EnqueueRequest request) {
    return registry.resolve(request, clock.instant());
  }

  @Override
  public CompletionStage<ClusterView> cluster() {
    return CompletableFuture.completedFuture(new ClusterView(NODE,
        List.of(new ClusterView.Member(NODE, "Up", Set.of("worker", "gateway"), true)), List.of()));
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
  public synchronized void close() {
    watchdog.shutdownNow();
    waiting.values().forEach(outcomes -> outcomes.forEach(outcome -> outcome.completeExceptionally(
        new TaskerUnavailableException("Tasker was closed while waiting for a task's outcome"))));
    waiting.clear();
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
    registry.middleware().recorded(after.id(), after.spec(), event);
    if (after.status().isTerminal() && waiting.containsKey(after.id())) {
      TaskView finished = after.toView();
      waiting.remove(after.id()).forEach(outcome -> outcome.complete(finished));
    }
    return after;
  }

  private Optional<State> fireSchedulesThenNextDue() {
    Instant now = clock.instant();
    for (String id : List.copyOf(schedules.keySet())) {
      ScheduleEntity.State schedule = enqueueFirings(schedules.get(id));
      TaskId last = schedule.lastTask();
      boolean running = last != null && tasks.containsKey(last)
          && !tasks.get(last).status().isTerminal();
      for (ScheduleEntity.Event event : schedule.evaluate(now, running, scheduleSettings)) {
        log.info("schedule {}: {}", id, event);
        schedule = schedule.apply(event);
      }
      schedules.put(id, enqueueFirings(schedule));
    }
    return nextDue();
  }

  /** Enqueues the firings recorded but not yet enqueued, as the schedule entity does. */
  private ScheduleEntity.State enqueueFirings(ScheduleEntity.State schedule) {
    for (ScheduleEntity.Firing firing : schedule.unenqueued()) {
      EnqueueRequest request = schedule.spec().task()
          .withIdempotencyKey(firing.taskKey(schedule.id()))
          .withRunAt(firing.runAt());
      try {
        TaskId task = store(request).task().id();
        schedule = schedule.apply(
            new ScheduleEntity.TaskCreated(firing, task, clock.instant()));
      } catch (ValidationException | io.tasker.protocol.EnqueueRejectedException refused) {
        log.error("schedule {}: the task of the firing at {} was refused: {}", schedule.id(),
            firing.fireAt(), refused.getMessage());
        schedule = schedule.apply(new ScheduleEntity.FiringFailed(
            firing, refused.getMessage(), clock.instant()));
      }
    }
    return schedule;
  }

  // Schedules

  @Override
  public synchronized CompletionStage<ScheduleView> upsertSchedule(ScheduleSpec spec) {
    return attempt(() -> {
      spec.validate(clock.instant(), this::validate);
      ScheduleEntity.State schedule =
          schedules.getOrDefault(spec.id(), ScheduleEntity.State.empty(spec.id()));
      Optional<ScheduleEntity.Event> event = schedule.upsert(spec, clock.instant());
      if (event.isPresent()) {
        schedules.put(spec.id(), schedule.apply(event.get()));
        runDue();
      }
      return schedules.get(spec.id()).toView(ScheduleEntity.UPCOMING);
    });
  }

  @Override
  public synchronized CompletionStage<ScheduleView> getSchedule(String id) {
    return attempt(() -> findSchedule(id).toView(ScheduleEntity.UPCOMING));
  }

  @Override
  public synchronized CompletionStage<List<ScheduleView>> schedules() {
    return CompletableFuture.completedFuture(schedules.values().stream()
        .map(s -> s.toView(ScheduleEntity.UPCOMING)).toList());
  }

  @Override
  public synchronized CompletionStage<ScheduleView> deleteSchedule(String id) {
    return attempt(() -> {
      ScheduleView last = findSchedule(id).toView(ScheduleEntity.UPCOMING);
      schedules.remove(id);
      return last;
    });
  }

  @Override
  public synchronized CompletionStage<ScheduleView> pauseSchedule(String id) {
    return changeSchedule(id, s -> s.pause(clock.instant()));
  }

  @Override
  public synchronized CompletionStage<ScheduleView> resumeSchedule(String id) {
    return changeSchedule(id, s -> s.resume(clock.instant()));
  }

  @Override
  public synchronized CompletionStage<ScheduleView> triggerSchedule(String id) {
    return changeSchedule(id, s -> Optional.of(s.fireNow(clock.instant())));
  }

  private CompletionStage<ScheduleView> changeSchedule(
      String id, Function<ScheduleEntity.State, Optional<ScheduleEntity.Event>> decision) {
    return attempt(() -> {
      ScheduleEntity.State schedule = findSchedule(id);
      Optional<ScheduleEntity.Event> event = decision.apply(schedule);
      if (event.isPresent()) {
        schedules.put(id, schedule.apply(event.get()));
        runDue();
      }
      return schedules.get(id).toView(ScheduleEntity.UPCOMING);
    });
  }

  private ScheduleEntity.State findSchedule(String id) {
    ScheduleEntity.State schedule = id == null ? null : schedules.get(id);
    if (schedule == null) {
      throw new ScheduleNotFoundException(String.valueOf(id));
    }
    return schedule;
  }

  /** Upserts the schedules of the configuration (an inline instance starts empty). */
  void declare(List<DeclaredSchedules.Declared> declared) {
    for (DeclaredSchedules.Declared d : declared) {
      try {
        upsertSchedule(d.spec()).toCompletableFuture().join();
      } catch (java.util.concurrent.CompletionException e) {
        if (e.getCause() instanceof ValidationException invalid) {
          throw new IllegalArgumentException("tasker.schedules." + d.spec().id() + "."
              + invalid.field() + ": " + invalid.reason(), invalid);
        }
        throw e;
      }
    }
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

  /** Workflows need a node: inline mode has no workflow executions yet. */
  @Override
  public WorkflowDefinition defineWorkflow(WorkflowDefinition definition) {
    throw noWorkflows();
  }

  @Override
  public CompletionStage<Boolean> storeWorkflow(WorkflowDefinition definition) {
    throw noWorkflows();
  }

  @Override
  public CompletionStage<WorkflowDefinition> getWorkflow(String name, Integer version) {
    throw noWorkflows();
  }

  @Override
  public CompletionStage<List<WorkflowDefinition>> workflows() {
    throw noWorkflows();
  }

  @Override
  public CompletionStage<String> startWorkflow(
      String workflow, Object input, String idempotencyKey) {
    throw noWorkflows();
  }

  /** Inline mode runs no executions: every list is empty. */
  @Override
  public CompletionStage<WorkflowExecutionPage> listWorkflowExecutions(String workflow,
      WorkflowStatus status, int limit, String cursor) {
    return attempt(() -> {
      io.tasker.node.workflow.ExecutionList.check(workflow, limit, cursor);
      return new WorkflowExecutionPage(List.of(), null);
    });
  }

  @Override
  public CompletionStage<WorkflowExecution> getWorkflowExecution(String executionId) {
    throw noWorkflows();
  }

  @Override
  public CompletionStage<WorkflowExecution> awaitWorkflow(String executionId, Duration timeout) {
    throw noWorkflows();
  }

  @Override
  public CompletionStage<WorkflowExecution> cancelWorkflow(String executionId) {
    throw noWorkflows();
  }

  @Override
  public CompletionStage<WorkflowExecution> retryWorkflow(String executionId) {
    throw noWorkflows();
  }

  private static UnsupportedOperationException noWorkflows() {
    return new UnsupportedOperationException(
        "workflows need a node: inline mode does not run them (start a node with an H2 journal"
            + " in tests)");
  }
}
