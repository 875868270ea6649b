package io.tasker.node.workflow;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.databind.JsonNode;
import io.tasker.node.WorkflowDefinition;
import io.tasker.node.WorkflowExecution;
import io.tasker.node.WorkflowExecution.StepStatus;
import io.tasker.node.WorkflowNotFoundException;
import io.tasker.node.WorkflowStateConflictException;
import io.tasker.node.WorkflowStatus;
import io.tasker.node.index.JdbcTaskIndex;
import io.tasker.node.index.WakeTarget;
import io.tasker.node.index.WorkflowRow;
import io.tasker.node.journal.EventWithRow;
import io.tasker.node.task.TaskEntity;
import io.tasker.node.task.TaskPartition;
import io.tasker.protocol.AttemptRecord;
import io.tasker.protocol.EnqueueRequest;
import io.tasker.protocol.TaskId;
import io.tasker.protocol.TaskNotFoundException;
import io.tasker.protocol.TaskStatus;
import io.tasker.protocol.TaskView;
import io.tasker.protocol.TaskerException;
import io.tasker.protocol.TaskerSerializable;
import io.tasker.protocol.ValidationException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionException;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EffectBuilder;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * One workflow execution, as an event-sourced sharded actor. {@link Start} stores the
 * definition and input; from then on its pure state ({@link ExecutionState}) decides, after
 * every change, which steps start: a {@link JobScheduled} per task, persisted before the task
 * is enqueued with an idempotency key of execution, round, step, element and attempt, so a redo
 * lands on the same task. The actor enqueues those tasks and waits for their outcomes through
 * the node's outcome wait, renewed when it times out and after every recovery; an outcome
 * counts once persisted ({@link JobEnded}). A task's outcome is durable in the task, so one
 * missed by a dying node is found by the next wait: at least once, and repeats are ignored.
 * While not ended the execution has a row in the workflow index, so the waker brings it back.
 * A step that fails for good (or a timeout, or a cancel) moves it to COMPENSATING: running
 * tasks are cancelled, then compensations run one by one in reverse order of completion.
 */
public final class WorkflowExecutionEntity
    extends EventSourcedBehaviorWithEnforcedReplies<
        WorkflowExecutionEntity.Command, WorkflowExecutionEntity.Event, ExecutionState> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY =
      EntityTypeKey.create(Command.class, "WorkflowExecution");

  public static void initSharding(ActorSystem<?> system, WorkflowRuntime runtime) {
    ClusterSharding.get(system).init(
        Entity.of(ENTITY_TYPE_KEY, ctx -> create(ctx.getEntityId(), runtime))
            .withRole(TaskPartition.WORKER_ROLE));
  }

  /** The waker's view of executions: rows of the workflow index, woken with {@link Wake}. */
  public static WakeTarget wakeTarget(JdbcTaskIndex index, ClusterSharding sharding) {
    return new WakeTarget("workflow", index::dueWorkflows,
        (id, wakeAt) -> sharding.entityRefFor(ENTITY_TYPE_KEY, id).tell(new Wake(wakeAt)));
  }

  public static Behavior<Command> create(String id, WorkflowRuntime runtime) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(
        timers -> new WorkflowExecutionEntity(id, runtime, ctx, timers)));
  }

  // Commands

  public interface Command extends TaskerSerializable {}

  /** Starts the execution; a repeat (same id) answers with the execution as it stands. */
  public record Start(WorkflowDefinition definition, JsonNode input, ActorRef<Reply> replyTo)
      implements Command {}

  public record Get(ActorRef<Reply> replyTo) implements Command {}

  /** Answers when the execution has ended (or at once if it has). */
  public record AwaitEnd(ActorRef<Reply> replyTo) implements Command {}

  public record Cancel(ActorRef<Reply> replyTo) implements Command {}

  /** Re-runs a FAILED execution from its failed steps; succeeded steps keep their outputs. */
  public record Retry(ActorRef<Reply> replyTo) implements Command {}

  /** From the waker: the execution has not ended and may have no live actor. */
  public record Wake(Instant indexedWakeAt) implements Command {}

  private enum Tick implements Command {
    INSTANCE
  }

  private record JobCreatedNow(String key, TaskId task, Throwable failure) implements Command {}

  private record JobOutcome(String key, TaskView task, Throwable failure) implements Command {}

  // Replies

  public interface Reply extends TaskerSerializable {}

  public record Current(WorkflowExecution execution) implements Reply {}

  /** @param notFound true for an unknown execution, false for a status conflict */
  public record Rejected(boolean notFound, String message) implements Reply {
    public TaskerException toException() {
      return notFound ? new WorkflowNotFoundException(message)
          : new WorkflowStateConflictException(message);
    }
  }

  // Events

  public interface Event extends TaskerSerializable {
    Instant at();
  }

  /** @param deadline when the execution times out, or {@code null} */
  public record Started(WorkflowDefinition definition, JsonNode input, Instant deadline,
      Instant at) implements Event {}

  /**
   * @param input the rendered payload, or for a forEach step the array of the elements'
   * @param elements the number of elements of a forEach step, -1 for a plain step
   */
  public record StepStarted(String step, JsonNode input, int elements, Instant at)
      implements Event {}

  public record StepSucceeded(String step, JsonNode output, Instant at) implements Event {}

  /** The step failed for good (an optional step is then skipped). */
  public record StepFailed(String step, String error, Instant at) implements Event {}

  /**
   * A task to run, persisted before it is enqueued.
   *
   * @param element the element of a forEach step, 0 for a plain step, -1 for a compensation
   * @param runAt not before this time (a retry's backoff), or {@code null}
   */
  public record JobScheduled(String key, String step, int element, int attempt, int round,
      JsonNode input, Instant runAt, Instant at) implements Event {}

  public record JobCreated(String key, TaskId task, Instant at) implements Event {}

  public record JobEnded(String key, boolean succeeded, JsonNode output, String errorType,
      String error, int taskAttempts, Instant at) implements Event {}

  /** The execution stops: running tasks are cancelled, compensations run. */
  public record Stopping(WorkflowStatus cause, String error, Instant at) implements Event {}

  public record Ended(WorkflowStatus status, String error, Instant at) implements Event {}

  /** A retry of a FAILED execution: its failed steps are pending again, in a new round. */
  public record Retried(Instant deadline, Instant at) implements Event {}

  /**
   * A command's last event with the execution's row as of it, which the journal writes in the
   * event's transaction. Replays from the journal return the bare event.
   */
  public record Indexed(
      // the journal stores the bare event; only journals that serialize the whole value (the
      // in-memory one of tests) need its type
      @JsonTypeInfo(use = JsonTypeInfo.Id.NAME)
      @JsonSubTypes({
        @JsonSubTypes.Type(Started.class),
        @JsonSubTypes.Type(StepStarted.class),
        @JsonSubTypes.Type(StepSucceeded.class),
        @JsonSubTypes.Type(StepFailed.class),
        @JsonSubTypes.Type(JobScheduled.class),
        @JsonSubTypes.Type(JobCreated.class),
        @JsonSubTypes.Type(JobEnded.class),
        @JsonSubTypes.Type(Stopping.class),
        @JsonSubTypes.Type(Ended.class),
        @JsonSubTypes.Type(Retried.class)
      })
      Event event,
      WorkflowRow row)
      implements Event, EventWithRow {
    public Instant at() {
      return event.at();
    }
  }

  // State: see ExecutionState, the pure value the events build

  // Behaviour

  private final String id;
  private final WorkflowRuntime runtime;
  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final Set<String> enqueuing = new HashSet<>();
  private final Set<String> watching = new HashSet<>();
  private final Set<String> cancelling = new HashSet<>();
  private final List<ActorRef<Reply>> waiters = new ArrayList<>();

  private WorkflowExecutionEntity(String id, WorkflowRuntime runtime,
      ActorContext<Command> context, TimerScheduler<Command> timers) {
    super(PersistenceId.of(ENTITY_TYPE_KEY.name(), id),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(10), 0.2));
    this.id = id;
    this.runtime = runtime;
    this.context = context;
    this.timers = timers;
  }

  @Override
  public ExecutionState emptyState() {
    return ExecutionState.empty(id);
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(100, 2);
  }

  @Override
  public EventHandler<ExecutionState, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(ExecutionState::apply);
  }

  @Override
  public SignalHandler<ExecutionState> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), state -> context.getSelf().tell(Tick.INSTANCE))
        .build();
  }

  @Override
  public CommandHandlerWithReply<Command, Event, ExecutionState> commandHandler() {
    return newCommandHandlerWithReplyBuilder().forAnyState().onAnyCommand(this::onCommand);
  }

  private ReplyEffect<Event, ExecutionState> onCommand(ExecutionState state, Command command) {
    Instant now = runtime.clock().instant();
    if (command instanceof Start start) {
      if (state.started()) {
        return Effect().reply(start.replyTo(), current(state));
      }
      Duration timeout = start.definition().timeout();
      return persist(state, List.of(new Started(start.definition(), start.input(),
          timeout == null ? null : now.plus(timeout), now)))
          .thenReply(start.replyTo(), this::current);
    }
    if (!state.started() && command instanceof Wake) {
      return Effect().noReply(); // a row never outlives the execution's Started event
    }
    if (!state.started()) {
      ActorRef<Reply> replyTo = replyToOf(command);
      return replyTo == null ? Effect().noReply()
          : Effect().reply(replyTo, new Rejected(true, "workflow execution " + id));
    }
    if (command instanceof Get get) {
      return Effect().reply(get.replyTo(), current(state));
    }
    if (command instanceof AwaitEnd await) {
      if (state.status().isTerminal()) {
        return Effect().reply(await.replyTo(), current(state));
      }
      waiters.add(await.replyTo());
      return Effect().noReply();
    }
    if (command instanceof Cancel cancel) {
      if (state.status() != WorkflowStatus.RUNNING) {
        return Effect().reply(cancel.replyTo(), new Rejected(false, "workflow execution " + id
            + " is " + state.status() + ": only a RUNNING execution can be cancelled"));
      }
      return persist(state, List.of(new Stopping(WorkflowStatus.CANCELLED, "cancelled", now)))
          .thenReply(cancel.replyTo(), this::current);
    }
    if (command instanceof Retry retry) {
      if (state.status() != WorkflowStatus.FAILED || state.compensated()) {
        return Effect().reply(retry.replyTo(), new Rejected(false, "workflow execution " + id
            + " is " + state.status() + ": only a FAILED execution without compensations can"
            + " be retried"));
      }
      Duration timeout = state.definition().timeout();
      return persist(state, List.of(new Retried(timeout == null ? null : now.plus(timeout), now)))
          .thenReply(retry.replyTo(), this::current);
    }
    if (command instanceof Tick || command instanceof Wake) {
      List<Event> events = state.next(now);
      if (events.isEmpty()) {
        act(state);
        return Effect().noReply();
      }
      return persist(state, events).thenNoReply();
    }
    if (command instanceof JobCreatedNow created) {
      return onJobCreated(state, created, now);
    }
    if (command instanceof JobOutcome outcome) {
      return onJobOutcome(state, outcome, now);
    }
    throw new IllegalArgumentException("unknown command " + command);
  }

  /**
   * Persists, the last event with the execution's row as of it (one transaction), then lets the
   * plan decide again (which acts once nothing more is to persist).
   */
  private EffectBuilder<Event, ExecutionState> persist(ExecutionState state, List<Event> events) {
    ExecutionState after = state;
    for (Event event : events) {
      after = after.apply(event);
    }
    long seqNr = lastSequenceNumber(context) + events.size();
    Instant at = events.get(events.size() - 1).at();
    List<Event> withRow = new ArrayList<>(events);
    withRow.set(withRow.size() - 1, new Indexed(withRow.get(withRow.size() - 1),
        new WorkflowRow(id, after.status().isTerminal() ? null : at, seqNr,
            after.status().isTerminal(), after.definition().name(), after.definition().version(),
            after.status().name(), after.startedAt())));
    return Effect().persist(withRow).thenRun(stored -> context.getSelf().tell(Tick.INSTANCE));
  }

  private ReplyEffect<Event, ExecutionState> onJobCreated(ExecutionState state,
      JobCreatedNow created, Instant now) {
    enqueuing.remove(created.key());
    ExecutionState.Job job = state.jobs().get(created.key());
    if (job == null || job.task() != null || job.status() != StepStatus.RUNNING) {
      return Effect().noReply();
    }
    if (created.failure() != null) {
      Throwable cause = unwrap(created.failure());
      if (cause instanceof ValidationException invalid) {
        return persist(state, state.onJobEnded(new JobEnded(job.key(), false, null,
            invalid.getClass().getName(),
            "the task was refused: " + invalid.getMessage(), 0, now))).thenNoReply();
      }
      context.getLog().warn("workflow execution {}: enqueue of {} failed, retrying: {}", id,
          job.key(), cause.toString());
      timers.startSingleTimer(Tick.INSTANCE, runtime.retryInterval());
      return Effect().noReply();
    }
    return persist(state, List.of(new JobCreated(job.key(), created.task(), now))).thenNoReply();
  }

  private ReplyEffect<Event, ExecutionState> onJobOutcome(ExecutionState state,
      JobOutcome outcome, Instant now) {
    watching.remove(outcome.key());
    ExecutionState.Job job = state.jobs().get(outcome.key());
    if (job == null || job.status() != StepStatus.RUNNING) {
      return Effect().noReply();
    }
    if (outcome.failure() != null && unwrap(outcome.failure()) instanceof TaskNotFoundException) {
      // removed by retention before this execution learned how it ended
      return persist(state, state.onJobEnded(new JobEnded(job.key(), false, null,
          TaskNotFoundException.class.getName(), "task " + job.task()
              + " no longer exists: its outcome is unknown", 0, now))).thenNoReply();
    }
    if (outcome.failure() != null) {
      context.getLog().warn("workflow execution {}: waiting for task {} failed, retrying: {}",
          id, job.task(), unwrap(outcome.failure()).toString());
      timers.startSingleTimer(Tick.INSTANCE, runtime.retryInterval());
      return Effect().noReply();
    }
    TaskView task = outcome.task();
    if (!task.status().isTerminal()) {
      context.getSelf().tell(Tick.INSTANCE); // the wait timed out: wait again
      return Effect().noReply();
    }
    AttemptRecord last = task.lastAttempt();
    boolean succeeded = task.status() == TaskStatus.SUCCEEDED;
    String errorType = succeeded ? null : task.status() == TaskStatus.CANCELLED
        ? "cancelled" : last == null ? null : last.errorType();
    String error = succeeded ? null : task.status() == TaskStatus.CANCELLED
        ? "the task was cancelled" : last == null ? "failed" : last.errorMessage();
    return persist(state, state.onJobEnded(new JobEnded(job.key(), succeeded, task.result(),
        errorType,
        error, task.attempts(), now))).thenNoReply();
  }

  /** The effects the state asks for: enqueues, outcome waits, cancels, timers, answers. */
  private void act(ExecutionState state) {
    Instant now = runtime.clock().instant();
    for (ExecutionState.Job job : state.jobs().values()) {
      if (job.status() != StepStatus.RUNNING) {
        continue;
      }
      if (job.task() == null) {
        if (enqueuing.add(job.key())) {
          context.pipeToSelf(runtime.enqueue().apply(request(state, job, now)),
              (result, failure) -> new JobCreatedNow(job.key(),
                  result == null ? null : result.task().id(), failure));
        }
        continue;
      }
      if (watching.add(job.key())) {
        context.pipeToSelf(runtime.result().apply(job.task(), runtime.watch()),
            (task, failure) -> new JobOutcome(job.key(), task, failure));
      }
      if (state.status() == WorkflowStatus.COMPENSATING && job.element() >= 0
          && cancelling.add(job.key())) {
        runtime.cancel().apply(job.task()); // its outcome wait sees the end
      }
    }
    if (state.status() == WorkflowStatus.RUNNING && state.deadline() != null) {
      Duration left = Duration.between(now, state.deadline());
      timers.startSingleTimer("deadline", Tick.INSTANCE,
          left.isNegative() ? Duration.ZERO : left.compareTo(Duration.ofDays(1)) > 0
              ? Duration.ofDays(1) : left);
    } else {
      timers.cancel("deadline");
    }
    if (state.status().isTerminal() && !waiters.isEmpty()) {
      Reply reply = current(state);
      waiters.forEach(waiter -> waiter.tell(reply));
      waiters.clear();
    }
  }

  private EnqueueRequest request(ExecutionState state, ExecutionState.Job job, Instant now) {
    WorkflowDefinition.Step step = state.definition().step(job.step());
    EnqueueRequest request;
    if (job.element() < 0) {
      WorkflowDefinition.Compensation compensation = step.compensation();
      request = EnqueueRequest.of(compensation.type(), job.input());
      if (compensation.maxAttempts() != null) {
        request = request.withMaxAttempts(compensation.maxAttempts());
      }
      if (compensation.backoff() != null) {
        request = request.withBackoff(compensation.backoff());
      }
    } else {
      // with retryOn, the plan retries (only the named errors): each attempt is its own task
      request = EnqueueRequest.of(step.type(), job.input());
      if (!step.retryOn().isEmpty()) {
        request = request.withMaxAttempts(1);
      } else if (step.maxAttempts() != null) {
        request = request.withMaxAttempts(step.maxAttempts());
      }
      if (step.backoff() != null) {
        request = request.withBackoff(step.backoff());
      }
      if (step.timeout() != null) {
        request = request.withTimeout(step.timeout());
      }
    }
    if (job.runAt() != null && job.runAt().isAfter(now)) {
      request = request.withRunAt(job.runAt());
    }
    return request.withIdempotencyKey(job.key())
        .withMetadata("workflow", state.definition().name())
        .withMetadata("workflow-execution", id)
        .withMetadata("workflow-step", job.step());
  }

  private Reply current(ExecutionState state) {
    return new Current(state.toView());
  }

  private static ActorRef<Reply> replyToOf(Command command) {
    if (command instanceof Get c) {
      return c.replyTo();
    } else if (command instanceof AwaitEnd c) {
      return c.replyTo();
    } else if (command instanceof Cancel c) {
      return c.replyTo();
    } else if (command instanceof Retry c) {
      return c.replyTo();
    }
    return null;
  }

  private static Throwable unwrap(Throwable failure) {
    Throwable error = failure;
    while (error instanceof CompletionException && error.getCause() != null) {
      error = error.getCause();
    }
    return error;
  }
}
