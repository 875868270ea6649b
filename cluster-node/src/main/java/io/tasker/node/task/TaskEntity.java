package io.tasker.node.task;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.databind.JsonNode;
import io.tasker.node.index.IndexRow;
import io.tasker.node.journal.EventWithRow;
import io.tasker.node.queue.QueueManager;
import io.tasker.protocol.AttemptOutcome;
import io.tasker.protocol.AttemptRecord;
import io.tasker.protocol.ErrorCode;
import io.tasker.protocol.TaskId;
import io.tasker.protocol.TaskNotFoundException;
import io.tasker.protocol.TaskSpec;
import io.tasker.protocol.TaskStateConflictException;
import io.tasker.protocol.TaskStatus;
import io.tasker.protocol.TaskSummary;
import io.tasker.protocol.TaskerUnavailableException;
import io.tasker.protocol.TaskView;
import io.tasker.protocol.TaskerException;
import io.tasker.protocol.TaskerSerializable;
import io.tasker.protocol.Validation;
import io.tasker.protocol.ValidationException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleSupplier;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.japi.function.Procedure;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.SnapshotSelectionCriteria;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.Recovery;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EffectBuilder;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * One task, as an event-sourced sharded actor. It is enqueued {@code SCHEDULED}; its own timer
 * fires at the run time, it asks its queue's {@link QueueManager} for a permit, records the
 * attempt's start, runs the handler on the worker pool and records the outcome: {@code
 * SUCCEEDED}, back to {@code SCHEDULED} with a backoff, or {@code DEAD}. Cancel, reschedule and
 * re-run of a dead task arrive at any time; terminal tasks passivate.
 *
 * <p>The decisions live in {@link State}, a pure value, so inline mode runs the very same state
 * machine without actors or a journal.
 */
public final class TaskEntity
    extends EventSourcedBehaviorWithEnforcedReplies<TaskEntity.Command, TaskEntity.Event, TaskEntity.State> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY =
      EntityTypeKey.create(Command.class, "Task");

  /** Nodes with this cluster role host tasks and run handlers; others only forward to them. */
  public static final String WORKER_ROLE = "worker";

  /**
   * @param shardsPerType shards of each task type
   * @param rebalanceShare share of all shards one rebalance round may move
   */
  public static void initSharding(
      ActorSystem<?> system, TaskRuntime runtime, int shardsPerType, double rebalanceShare) {
    ClusterSharding.get(system)
        .init(
            Entity.of(
                    ENTITY_TYPE_KEY,
                    ctx -> create(TaskId.of(ctx.getEntityId()), ctx.getShard(), runtime))
                .withMessageExtractor(new TaskPlacement.Extractor(shardsPerType))
                .withAllocationStrategy(new TaskPlacement.AllocationStrategy(rebalanceShare))
                // a message, not a plain stop: it waits behind commands already queued or stashed
                .withStopMessage(Stop.INSTANCE)
                .withRole(WORKER_ROLE));
  }

  /** @return the persistence id of task {@code id}'s events */
  public static String persistenceId(TaskId id) {
    return IndexRow.persistenceId(id);
  }

  public static Behavior<Command> create(
      TaskId id, ActorRef<ClusterSharding.ShardCommand> shard, TaskRuntime runtime) {
    return Behaviors.setup(
        ctx -> Behaviors.withTimers(timers -> new TaskEntity(id, shard, runtime, ctx, timers)));
  }

  // Commands

  public sealed interface Command extends TaskerSerializable {}

  /** A command answered with a {@link Reply}. */
  public sealed interface ReplyingCommand extends Command {
    ActorRef<Reply> replyTo();
  }

  /**
   * Accepts the task; a repeat (same id) answers the existing task and stores nothing.
   *
   * @param requestId the same for every delivery of one enqueue, so a redelivery whose first
   *     delivery created the task (and lost its answer) is answered as the creator
   */
  public record Enqueue(TaskSpec spec, String requestId, ActorRef<Reply> replyTo)
      implements ReplyingCommand {}

  public record Get(ActorRef<Reply> replyTo) implements ReplyingCommand {}

  public record Cancel(ActorRef<Reply> replyTo) implements ReplyingCommand {}

  /** Moves the next run time and/or priority; {@code null} keeps the current value. */
  public record Reschedule(Instant runAt, Integer priority, ActorRef<Reply> replyTo)
      implements ReplyingCommand {}

  /** Re-runs a dead task with a fresh budget of attempts. */
  public record Requeue(ActorRef<Reply> replyTo) implements ReplyingCommand {}

  /**
   * Answers with the task once it is finished ({@link Accepted}), at once if it is. Otherwise the
   * caller waits in the entity's memory, up to {@code upTo}, and is then answered {@link
   * NotFinished} (so also when the entity stops): it asks again (see {@link OutcomeWaiters}).
   */
  public record AwaitOutcome(Duration upTo, ActorRef<Reply> replyTo) implements ReplyingCommand {}

  /** The wait of {@code waiter} ran out. */
  record WaitEnded(ActorRef<Reply> waiter) implements Command {}

  /**
   * From the waker: the task index says this task needs attention by {@code indexedWakeAt}.
   * Starting the entity is the point; it then arms its timer. For an attempt of an earlier
   * incarnation, {@code indexedWakeAt} is its lease as its node last extended it.
   */
  public record Wake(Instant indexedWakeAt) implements Command {}

  /** Sent by the shard when passivating. */
  private enum Stop implements Command {
    INSTANCE
  }

  private enum Timer implements Command {
    PASSIVATE_IF_IDLE,
    WAKE,
    PERMIT_KEEP_ALIVE,
    HEARTBEAT
  }

  private static final Object LEASE_TIMER = "lease";

  /** The lease of an attempt of an earlier incarnation may have run out by {@code deadline}. */
  private record LeaseExpired(Instant deadline) implements Command {}

  /** The queue manager's answer to the permit request: a grant, or the word to park. */
  private record PermitArrived(QueueManager.PermitReply reply) implements Command {}

  private record AttemptFinished(int attempt, AttemptResult result) implements Command {}

  // Replies

  public interface Reply extends TaskerSerializable {}

  /** @param created true only for the enqueue that created the task */
  public record Accepted(TaskView task, boolean created) implements Reply {}

  /** To {@link AwaitOutcome}: the task is not finished yet; ask again to go on waiting. */
  public record NotFinished(TaskView task) implements Reply {}

  public record Rejected(ErrorCode code, String message, String field, TaskStatus status)
      implements Reply {

    static Rejected of(TaskerException error, TaskStatus status) {
      return error instanceof ValidationException invalid
          ? new Rejected(error.code(), invalid.reason(), invalid.field(), status)
          : new Rejected(error.code(), error.getMessage(), null, status);
    }

    /** @return the typed exception this rejection stands for */
    public TaskerException toException(TaskId id) {
      return switch (code) {
        case VALIDATION_FAILED -> new ValidationException(field, message);
        case TASK_NOT_FOUND, SCHEDULE_NOT_FOUND, WORKFLOW_NOT_FOUND -> new TaskNotFoundException(id);
        case TASK_STATE_CONFLICT -> new TaskStateConflictException(id, status, message);
        case UNAVAILABLE -> new TaskerUnavailableException(message);
        case ENQUEUE_REJECTED -> new io.tasker.protocol.EnqueueRejectedException(message);
      };
    }
  }

  // Events

  public interface Event extends TaskerSerializable {
    Instant at();

    /** @return the transition in words, for the log */
    String describe();
  }

  /** @param requestId the enqueue that created the task, or null (stored directly, or older) */
  public record Enqueued(TaskSpec spec, Instant at, String requestId) implements Event {
    public String describe() {
      return "SCHEDULED for " + spec.runAt() + " in queue " + spec.queue();
    }
  }

  public record AttemptStarted(int attempt, String node, Instant at, Instant leaseUntil)
      implements Event {
    public String describe() {
      return "RUNNING attempt " + attempt + " on " + node;
    }
  }

  /**
   * The running attempt's handler was alive: its lease was extended. Written by earlier versions;
   * leases now live only in the task's index row ({@code TaskRows.extendLease}).
   */
  public record LeaseExtended(int attempt, Instant at, Instant leaseUntil) implements Event {
    public String describe() {
      return "attempt " + attempt + " lease extended to " + leaseUntil;
    }
  }

  public record AttemptSucceeded(int attempt, Instant at, JsonNode result) implements Event {
    public String describe() {
      return "SUCCEEDED on attempt " + attempt;
    }
  }

  public record AttemptFailed(int attempt, Instant at, AttemptResult failure, Instant retryAt)
      implements Event {
    public String describe() {
      return "attempt " + attempt + " " + failure.outcome() + " (" + failure.errorType() + ": "
          + failure.errorMessage() + "), SCHEDULED retry at " + retryAt;
    }
  }

  public record DeadLettered(int attempt, Instant at, AttemptResult failure, String reason)
      implements Event {
    public String describe() {
      return "DEAD after attempt " + attempt + ", " + reason + " (" + failure.errorType() + ": "
          + failure.errorMessage() + ")";
    }
  }

  public record Cancelled(Instant at) implements Event {
    public String describe() {
      return "CANCELLED";
    }
  }

  public record Rescheduled(Instant runAt, int priority, Instant at) implements Event {
    public String describe() {
      return "rescheduled for " + runAt + " with priority " + priority;
    }
  }

  public record Requeued(Instant runAt, Instant at) implements Event {
    public String describe() {
      return "re-run requested, SCHEDULED for " + runAt;
    }
  }

  /**
   * What the entity persists: an event with the task's index row as of it, which the journal
   * writes in the event's transaction. Replays from the journal return the bare event.
   */
  public record Indexed(
      // the journal stores the bare event; only journals that serialize the whole value (the
      // in-memory one of tests) need its type
      @JsonTypeInfo(use = JsonTypeInfo.Id.NAME)
      @JsonSubTypes({
        @JsonSubTypes.Type(Enqueued.class),
        @JsonSubTypes.Type(AttemptStarted.class),
        @JsonSubTypes.Type(LeaseExtended.class),
        @JsonSubTypes.Type(AttemptSucceeded.class),
        @JsonSubTypes.Type(AttemptFailed.class),
        @JsonSubTypes.Type(DeadLettered.class),
        @JsonSubTypes.Type(Cancelled.class),
        @JsonSubTypes.Type(Rescheduled.class),
        @JsonSubTypes.Type(Requeued.class)
      })
      Event event,
      IndexRow row)
      implements Event, EventWithRow {
    public Instant at() {
      return event.at();
    }

    public String describe() {
      return event.describe();
    }
  }

  // State

  /**
   * A task's state, and the decisions that move it on. Decisions return the event to persist or
   * throw a {@link TaskerException}; {@link #apply} folds an event in.
   */
  public record State(
      TaskId id,
      TaskSpec spec,
      TaskStatus status,
      Instant runAt,
      int priority,
      int attempts,
      int attemptBase,
      Instant leaseUntil,
      JsonNode result,
      List<AttemptRecord> history,
      Instant createdAt,
      Instant updatedAt,
      String requestId)
      implements TaskerSerializable {

    public State {
      history = List.copyOf(history);
    }

    public static State empty(TaskId id) {
      return new State(id, null, null, null, 0, 0, 0, null, null, List.of(), null, null, null);
    }

    /** @return false until the task was enqueued */
    public boolean exists() {
      return spec != null;
    }

    public TaskView toView() {
      if (!exists()) {
        throw new TaskNotFoundException(id);
      }
      return new TaskView(
          id, spec, status, runAt, priority, attempts, result, history, createdAt, updatedAt);
    }

    /** @return the node of the latest attempt, or {@code null} before the first */
    public String lastNode() {
      return history.isEmpty() ? null : history.get(history.size() - 1).node();
    }

    /** @param requestId the enqueue that creates the task (see {@link Enqueue}) */
    public Enqueued accept(TaskSpec spec, String requestId, Instant now) {
      return new Enqueued(spec, now, requestId);
    }

    /** Accepts a task stored without an enqueue request to answer (inline, stored directly). */
    public Enqueued accept(TaskSpec spec, Instant now) {
      return accept(spec, null, now);
    }

    /** @return whether the enqueue {@code requestId} created this task */
    public boolean createdBy(String requestId) {
      return requestId != null && requestId.equals(this.requestId);
    }

    public AttemptStarted start(String node, Instant now, Duration lease) {
      requireStatus(TaskStatus.SCHEDULED, "start");
      return new AttemptStarted(attempts + 1, node, now, now.plus(lease));
    }

    /** @return when this task next needs its entity alive, or null once finished */
    public Instant wakeAt() {
      return IndexRow.wakeAt(status, runAt, leaseUntil);
    }

    /** @return this task's row in the task index, as of event {@code seqNr} */
    public IndexRow toIndexRow(long seqNr) {
      TaskSummary summary = new TaskSummary(id, spec.type(), spec.queue(), status, priority,
          micros(runAt), attempts, spec.maxAttempts(), spec.concurrencyKey(), micros(createdAt),
          micros(updatedAt));
      return new IndexRow(summary, IndexRow.bucketOf(id), micros(wakeAt()), micros(leaseUntil),
          seqNr);
    }

    // the index keeps microseconds (as PostgreSQL does); compare like with like
    private static Instant micros(Instant time) {
      return time == null ? null : time.truncatedTo(java.time.temporal.ChronoUnit.MICROS);
    }

    /** Decides what follows the running attempt's outcome: success, a retry, or dead letter. */
    public Event finish(AttemptResult outcome, Instant now, DoubleSupplier random) {
      requireStatus(TaskStatus.RUNNING, "finish an attempt of");
      if (outcome.outcome() == AttemptOutcome.SUCCEEDED) {
        return new AttemptSucceeded(attempts, now, outcome.result());
      }
      int used = attempts - attemptBase;
      if (!outcome.retryable()) {
        return new DeadLettered(attempts, now, outcome, "non-retryable error");
      }
      if (used >= spec.maxAttempts()) {
        return new DeadLettered(
            attempts, now, outcome, "max attempts (" + spec.maxAttempts() + ") reached");
      }
      // a lost attempt already waited out its lease, which was its backoff: it runs again at
      // once and keeps its place in its queue (due since its first run time)
      Instant retryAt = outcome.outcome() == AttemptOutcome.LOST
          ? runAt
          : now.plus(spec.backoff().delayBefore(used, random));
      return new AttemptFailed(attempts, now, outcome, retryAt);
    }

    public Cancelled cancel(Instant now) {
      if (status.isTerminal()) {
        throw new TaskStateConflictException(
            id, status, "task " + id + " already finished as " + status);
      }
      return new Cancelled(now);
    }

    public Rescheduled reschedule(Instant newRunAt, Integer newPriority, Instant now) {
      requireStatus(TaskStatus.SCHEDULED, "reschedule");
      if (newPriority != null
          && (newPriority < Validation.MIN_PRIORITY || newPriority > Validation.MAX_PRIORITY)) {
        throw new ValidationException(
            "priority",
            "must be between " + Validation.MIN_PRIORITY + " and " + Validation.MAX_PRIORITY);
      }
      return new Rescheduled(
          newRunAt != null ? newRunAt : runAt,
          newPriority != null ? newPriority : priority,
          now);
    }

    public Requeued requeue(Instant now) {
      requireStatus(TaskStatus.DEAD, "re-run");
      return new Requeued(now, now);
    }

    private void requireStatus(TaskStatus required, String operation) {
      if (status != required) {
        throw new TaskStateConflictException(
            id, status, "cannot " + operation + " task " + id + " while it is " + status);
      }
    }

    public State apply(Event event) {
      Instant at = event.at();
      if (event instanceof Indexed indexed) {
        return apply(indexed.event());
      } else if (event instanceof Enqueued e) {
        return new State(id, e.spec(), TaskStatus.SCHEDULED, e.spec().runAt(), e.spec().priority(),
            0, 0, null, null, List.of(), at, at, e.requestId());
      } else if (event instanceof AttemptStarted e) {
        return new State(id, spec, TaskStatus.RUNNING, runAt, priority, e.attempt(), attemptBase,
            e.leaseUntil(), null,
            append(new AttemptRecord(e.attempt(), e.node(), at, null, null, null, null)), createdAt,
            at, requestId);
      } else if (event instanceof LeaseExtended e) {
        return new State(id, spec, status, runAt, priority, attempts, attemptBase,
            e.leaseUntil(), result, history, createdAt, updatedAt, requestId);
      } else if (event instanceof AttemptSucceeded e) {
        return new State(id, spec, TaskStatus.SUCCEEDED, runAt, priority, attempts, attemptBase,
            null, e.result(), closeLast(at, AttemptOutcome.SUCCEEDED, null), createdAt, at,
            requestId);
      } else if (event instanceof AttemptFailed e) {
        return new State(id, spec, TaskStatus.SCHEDULED, e.retryAt(), priority, attempts,
            attemptBase, null, null, closeLast(at, e.failure()), createdAt, at, requestId);
      } else if (event instanceof DeadLettered e) {
        return new State(id, spec, TaskStatus.DEAD, runAt, priority, attempts, attemptBase, null,
            null, closeLast(at, e.failure()), createdAt, at, requestId);
      } else if (event instanceof Cancelled) {
        return new State(id, spec, TaskStatus.CANCELLED, runAt, priority, attempts, attemptBase,
            null, null, closeLast(at, AttemptResult.cancelled()), createdAt, at, requestId);
      } else if (event instanceof Rescheduled e) {
        return new State(id, spec, status, e.runAt(), e.priority(), attempts, attemptBase,
            leaseUntil, result, history, createdAt, at, requestId);
      } else if (event instanceof Requeued e) {
        return new State(id, spec, TaskStatus.SCHEDULED, e.runAt(), priority, attempts, attempts,
            null, null, history, createdAt, at, requestId);
      }
      throw new IllegalArgumentException("unknown event " + event);
    }

    private List<AttemptRecord> append(AttemptRecord attempt) {
      List<AttemptRecord> longer = new ArrayList<>(history);
      longer.add(attempt);
      return longer;
    }

    private List<AttemptRecord> closeLast(Instant at, AttemptResult outcome) {
      return closeLast(at, outcome.outcome(), outcome);
    }

    private List<AttemptRecord> closeLast(Instant at, AttemptOutcome outcome, AttemptResult error) {
      if (history.isEmpty() || !history.get(history.size() - 1).inProgress()) {
        return history;
      }
      List<AttemptRecord> closed = new ArrayList<>(history);
      AttemptRecord last = closed.remove(closed.size() - 1);
      closed.add(last.finish(at, outcome,
          error == null ? null : error.errorType(), error == null ? null : error.errorMessage()));
      return closed;
    }
  }

  // The actor

  private enum Permit {
    NONE,
    WAITING,
    HELD
  }

  private static final Duration MAX_TIMER = Duration.ofDays(1);

  /**
   * Every event is logged here. Not {@code context.getLog()}: each call of it fills the actor's
   * logging MDC, a measurable share of a task's CPU at thousands of events a second.
   */
  private static final org.slf4j.Logger eventLog = org.slf4j.LoggerFactory.getLogger(TaskEntity.class);

  private final TaskId id;
  private final ActorRef<ClusterSharding.ShardCommand> shard;
  private final TaskRuntime runtime;
  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final ActorRef<QueueManager.PermitReply> permitAdapter;
  private final OutcomeWaiters waiters;
  private HandlerRuntime.Attempt execution;
  private Permit permit = Permit.NONE;
  private String permitQueue;
  private boolean stopping;

  private TaskEntity(
      TaskId id,
      ActorRef<ClusterSharding.ShardCommand> shard,
      TaskRuntime runtime,
      ActorContext<Command> context,
      TimerScheduler<Command> timers) {
    super(
        PersistenceId.ofUniqueId(persistenceId(id)),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(10), 0.2));
    this.id = id;
    this.shard = shard;
    this.runtime = runtime;
    this.context = context;
    this.timers = timers;
    this.permitAdapter = context.messageAdapter(QueueManager.PermitReply.class, PermitArrived::new);
    this.waiters = new OutcomeWaiters(timers);
  }

  @Override
  public State emptyState() {
    return State.empty(id);
  }

  /**
   * No snapshots: a task has a handful of events, and skipping the snapshot store saves one of
   * the two queries every new task's start costs (the other reads its highest sequence number).
   */
  @Override
  public Recovery recovery() {
    return Recovery.withSnapshotSelectionCriteria(SnapshotSelectionCriteria.none());
  }

  /**
   * Commands by the entity's situation: not (yet) stored, or stored. Written out rather than built with {@code newCommandHandlerWithReplyBuilder}:
   * the builder's dispatch (a list of cases walked per command) showed in profiles.
   */
  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return this::onCommand;
  }

  private ReplyEffect<Event, State> onCommand(State state, Command command) {
    if (!state.exists()) {
      if (command instanceof Enqueue enqueue) {
        return onEnqueue(state, enqueue);
      } else if (command instanceof Wake wake) {
        return onWakeOfUnknownTask(state, wake);
      } else if (command == Stop.INSTANCE) {
        return Effect().stop().thenNoReply();
      }
      return onUnknownTask(state, command);
    }
    if (command instanceof Timer timer) {
      return onTimer(state, timer);
    } else if (command instanceof LeaseExpired expired) {
      return onLeaseExpired(state, expired);
    } else if (command instanceof PermitArrived arrived) {
      return onPermitArrived(state, arrived);
    } else if (command instanceof AttemptFinished finished) {
      return onAttemptFinished(state, finished);
    } else if (command instanceof Wake wake) {
      return onWake(state, wake);
    } else if (command instanceof Enqueue enqueue) {
      return replyWith(enqueue.replyTo(), state, state.createdBy(enqueue.requestId()));
    } else if (command instanceof Get get) {
      return replyWith(get.replyTo(), state, false);
    } else if (command instanceof Cancel cancel) {
      return onCancel(state, cancel);
    } else if (command instanceof Reschedule reschedule) {
      return onReschedule(state, reschedule);
    } else if (command instanceof Requeue requeue) {
      return onRequeue(state, requeue);
    } else if (command instanceof AwaitOutcome await) {
      return onAwaitOutcome(state, await);
    } else if (command instanceof WaitEnded ended) {
      return onWaitEnded(state, ended);
    } else if (command == Stop.INSTANCE) {
      return onStop(state, Stop.INSTANCE);
    }
    throw new IllegalArgumentException("unknown command " + command);
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return State::apply;
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), this::onRecovered)
        .onSignal(PostStop.instance(), this::onStopped)
        .build();
  }

  private ReplyEffect<Event, State> onEnqueue(State state, Enqueue cmd) {
    return persist(state, state.accept(cmd.spec(), cmd.requestId(), now()), cmd.replyTo(), true,
        this::settle);
  }

  private ReplyEffect<Event, State> onUnknownTask(State state, Command cmd) {
    passivate();
    if (cmd instanceof ReplyingCommand replying) {
      return Effect().reply(replying.replyTo(), Rejected.of(new TaskNotFoundException(id), null));
    }
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> onWakeOfUnknownTask(State state, Wake wake) {
    // a row an earlier version wrote ahead of an enqueue that never landed: nothing to run
    runtime.index().removeIfNoEvents(id);
    passivate();
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> onWake(State state, Wake wake) {
    Instant wakeAt = state.wakeAt();
    if (state.status() != TaskStatus.RUNNING) {
      settle(state);
    } else if (execution == null) {
      // the row's wake time is the lease as last extended by the attempt's node: it ran out
      expireLeaseAt(later(wake.indexedWakeAt(), wakeAt));
    }
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> onCancel(State state, Cancel cmd) {
    return decide(state, cmd.replyTo(), s -> s.cancel(now()), cancelled -> {
      if (execution != null) {
        execution.cancel(); // the permit returns when the attempt reports back
      } else {
        releasePermit();
      }
      settle(cancelled);
    });
  }

  private ReplyEffect<Event, State> onReschedule(State state, Reschedule cmd) {
    return decide(state, cmd.replyTo(), s -> s.reschedule(cmd.runAt(), cmd.priority(), now()),
        rescheduled -> {
          releasePermit(); // a waiting request re-enters the queue with the new time and priority
          settle(rescheduled);
        });
  }

  private ReplyEffect<Event, State> onRequeue(State state, Requeue cmd) {
    return decide(state, cmd.replyTo(), s -> s.requeue(now()), this::settle);
  }

  private ReplyEffect<Event, State> onAwaitOutcome(State state, AwaitOutcome await) {
    if (state.status().isTerminal()) {
      return replyWith(await.replyTo(), state, false);
    }
    waiters.add(await.replyTo(), await.upTo()); // answered when an event finishes the task
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> onWaitEnded(State state, WaitEnded ended) {
    waiters.release(ended.waiter(), new NotFinished(state.toView()));
    if (isIdle(state)) {
      timers.startSingleTimer(Timer.PASSIVATE_IF_IDLE, Duration.ZERO);
    }
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> onTimer(State state, Timer timer) {
    switch (timer) {
      case PASSIVATE_IF_IDLE -> {
        if (isIdle(state)) {
          passivate();
        }
      }
      case WAKE -> {
        if (state.status() == TaskStatus.SCHEDULED) {
          if (now().isBefore(prepareAt(state))) {
            settle(state); // timers may fire a little early on a coarse clock
          } else if (!runtime.handlers().handles(state.spec().type())) {
            // placed here while no node with this handler was up; a rebalance moves it there
            context.getLog().debug("task {} waits for a node that handles {}", id,
                state.spec().type());
            timers.startSingleTimer(Timer.WAKE, runtime.permitKeepAlive());
          } else if (permit == Permit.NONE) {
            permit = Permit.WAITING;
            requestPermit(state);
            timers.startTimerWithFixedDelay(
                Timer.PERMIT_KEEP_ALIVE, Timer.PERMIT_KEEP_ALIVE, runtime.waitingKeepAlive());
          }
        }
      }
      case PERMIT_KEEP_ALIVE -> {
        switch (permit) {
          case WAITING -> requestPermit(state);
          case HELD -> queue(state).tell(
              new QueueManager.RenewPermit(
                  id.value(), state.spec().concurrencyKey(), runtime.worker()));
          case NONE -> timers.cancel(Timer.PERMIT_KEEP_ALIVE);
        }
      }
      case HEARTBEAT -> {
        if (state.status() == TaskStatus.RUNNING && execution != null) {
          // no event: the lease lives in the index row, guarded by the attempt's event
          runtime.index().extendLease(id, lastSequenceNumber(context), now().plus(runtime.lease()));
        } else {
          timers.cancel(Timer.HEARTBEAT);
        }
      }
    }
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> onLeaseExpired(State state, LeaseExpired expired) {
    if (state.status() != TaskStatus.RUNNING || execution != null) {
      return Effect().noReply();
    }
    if (now().isBefore(expired.deadline())) {
      expireLeaseAt(expired.deadline());
      return Effect().noReply();
    }
    AttemptResult lost = AttemptResult.lost(state.lastNode());
    return persist(state, state.finish(lost, now(), runtime.random()), null, false, this::settle);
  }

  private void expireLeaseAt(Instant deadline) {
    timers.startSingleTimer(LEASE_TIMER, new LeaseExpired(deadline), untilNow(deadline));
  }

  private ReplyEffect<Event, State> onPermitArrived(State state, PermitArrived arrived) {
    if (arrived.reply() instanceof QueueManager.Parked) {
      return onParked(state);
    }
    if (permit == Permit.HELD) {
      return Effect().noReply(); // a repeated grant of the permit we hold
    }
    if (permit != Permit.WAITING || state.status() != TaskStatus.SCHEDULED
        || now().isBefore(prepareAt(state))) {
      queue(state).tell(new QueueManager.ReleasePermit(id.value()));
      return Effect().noReply();
    }
    permit = Permit.HELD;
    timers.startTimerWithFixedDelay(
        Timer.PERMIT_KEEP_ALIVE, Timer.PERMIT_KEEP_ALIVE, runtime.permitKeepAlive());
    // recorded as starting at its run time if it is ahead: the handler waits for it
    Instant startAt = now().isBefore(state.runAt()) ? state.runAt() : now();
    AttemptStarted started = state.start(runtime.node(), startAt, runtime.lease());
    return persist(state, started, null, false, this::startAttempt);
  }

  /**
   * Too many tasks wait for the queue's permits: this one drops its request, marks its index
   * row parked (no event: the row is {@code SCHEDULED} without a wake time, which the waker
   * never scans; its next event rewrites it) and passivates, unless someone waits for its
   * outcome. The queue manager wakes it when there is room. If the mark fails, the row still
   * says due and the waker wakes the task.
   */
  private ReplyEffect<Event, State> onParked(State state) {
    if (permit != Permit.WAITING || state.status() != TaskStatus.SCHEDULED) {
      return Effect().noReply(); // a stale answer: the request was withdrawn or granted
    }
    permit = Permit.NONE;
    timers.cancel(Timer.PERMIT_KEEP_ALIVE);
    timers.cancel(Timer.WAKE);
    RecipientRef<QueueManager.Command> queue = runtime.queues().apply(permitQueue);
    QueueManager.ConfirmParked confirm = new QueueManager.ConfirmParked(id.value());
    runtime.index().park(id, lastSequenceNumber(context)).whenComplete((done, failure) -> {
      if (failure == null) {
        queue.tell(confirm);
      } else {
        eventLog.warn("task {} could not mark its row parked; the waker wakes it: {}", id,
            failure.toString());
      }
    });
    if (waiters.isEmpty()) {
      passivate(); // else it stays, parked, for its waiters (who would restart it at once)
    }
    return Effect().noReply();
  }

  /**
   * Passivation or a hand-off to another node (a rebalance, a graceful leave): a running
   * attempt is let finish and recorded first, so a graceful move never runs a handler twice.
   * (The shard waits up to its hand-off timeout; past it the attempt is interrupted and re-run
   * after its lease.)
   */
  private ReplyEffect<Event, State> onStop(State state, Stop stop) {
    if (execution != null) {
      stopping = true;
      return Effect().noReply();
    }
    return Effect().stop().thenNoReply();
  }

  private ReplyEffect<Event, State> onAttemptFinished(State state, AttemptFinished finished) {
    execution = null;
    timers.cancel(Timer.HEARTBEAT);
    if (state.status() == TaskStatus.RUNNING && state.attempts() == finished.attempt()) {
      Event outcome = state.finish(finished.result(), now(), runtime.random());
      return persist(state, outcome, null, false, next -> {
        releasePermit();
        settle(next);
        stopIfAsked();
      });
    }
    releasePermit();
    settle(state);
    stopIfAsked();
    return Effect().noReply();
  }

  private void stopIfAsked() {
    if (stopping) {
      context.getSelf().tell(Stop.INSTANCE);
    }
  }

  private void onRecovered(State state) {
    if (execution == null) {
      // recovered after a journal failure (the entity restarts, this object stays): a permit
      // taken for a write that failed is given back; the task asks again when due
      releasePermit();
    }
    if (!state.exists()) {
      return;
    }
    if (state.status() == TaskStatus.RUNNING) {
      // The attempt ran in an earlier incarnation; its outcome is unknown. Its node extended
      // the lease in the index row only, which this incarnation does not read: it gives the
      // attempt a full lease from now (a Wake from the waker, sent once the row's lease ran
      // out, cuts that short), then counts it as lost and lets the retry policy decide.
      expireLeaseAt(later(now().plus(runtime.lease()), state.leaseUntil()));
    } else {
      settle(state);
    }
  }

  private void onStopped(State state) {
    if (!waiters.isEmpty()) {
      waiters.answerAll(new NotFinished(state.toView())); // they ask again, wherever it restarts
    }
    if (execution != null) {
      execution.cancel();
      if (permit != Permit.NONE) {
        // the permit goes back when the handler's thread does, not before: a handler that
        // ignores its interrupt still counts against the queue's limits (up to the permit lease)
        RecipientRef<QueueManager.Command> queue = runtime.queues().apply(permitQueue);
        QueueManager.ReleasePermit release = new QueueManager.ReleasePermit(id.value());
        execution.result().whenComplete((result, failure) -> queue.tell(release));
        permit = Permit.NONE;
      }
    }
    releasePermit();
  }

  /** Brings timers and passivation in line with the task's status. */
  private void settle(State state) {
    if (state.status() == TaskStatus.SCHEDULED) {
      // timers take at most ~248 days; a far-off task wakes up, sees it is early and re-arms
      Duration untilDue = untilNow(prepareAt(state));
      timers.startSingleTimer(Timer.WAKE, untilDue.compareTo(MAX_TIMER) > 0 ? MAX_TIMER : untilDue);
    } else if (state.status().isTerminal()) {
      timers.cancel(Timer.WAKE);
      if (execution == null) {
        releasePermit();
      }
    }
    if (isIdle(state)) {
      // checked again when the timer fires, after the commands already in the mailbox
      timers.startSingleTimer(Timer.PASSIVATE_IF_IDLE, Duration.ZERO);
    }
  }

  /**
   * @return true when the task needs no actor: finished, or due beyond the keep-alive window,
   *     and nobody waits for its outcome
   */
  private boolean isIdle(State state) {
    if (execution != null || permit != Permit.NONE || !waiters.isEmpty()) {
      return false;
    }
    return state.status().isTerminal()
        || (state.status() == TaskStatus.SCHEDULED
            && untilNow(state.runAt()).compareTo(runtime.keepAliveWindow()) > 0);
  }

  /** The attempt is recorded: its handler starts now, or at the run time if that is ahead. */
  private void startAttempt(State state) {
    int attempt = state.attempts();
    execution = runtime.handlers().start(id, state.spec(), attempt, state.runAt());
    timers.startTimerWithFixedDelay(Timer.HEARTBEAT, runtime.lease().dividedBy(3));
    context.pipeToSelf(
        execution.result(),
        (result, error) ->
            new AttemptFinished(attempt, result != null ? result : AttemptResult.failed(error, true)));
  }

  /** @return when a scheduled task asks for its permit, a little ahead of its run time */
  private Instant prepareAt(State state) {
    return state.runAt().minus(runtime.startAhead());
  }

  private void requestPermit(State state) {
    permitQueue = state.spec().queue();
    queue(state).tell(new QueueManager.RequestPermit(id.value(), state.priority(), state.runAt(),
        state.spec().concurrencyKey(), runtime.worker(), permitAdapter));
  }

  private void releasePermit() {
    if (permit != Permit.NONE) {
      runtime.queues().apply(permitQueue).tell(new QueueManager.ReleasePermit(id.value()));
      permit = Permit.NONE;
      timers.cancel(Timer.PERMIT_KEEP_ALIVE);
    }
  }

  private ReplyEffect<Event, State> decide(
      State state, ActorRef<Reply> replyTo, Function<State, Event> decision,
      Procedure<State> afterwards) {
    Event event;
    try {
      event = decision.apply(state);
    } catch (TaskerException rejected) {
      return Effect().reply(replyTo, Rejected.of(rejected, state.status()));
    }
    return persist(state, event, replyTo, false, afterwards);
  }

  /**
   * A task's routine transitions (stored, started, succeeded) are logged at DEBUG: at thousands
   * of tasks a second, three INFO lines per task cost more CPU than the task (measured in the
   * side-by-side benchmark). What an operator looks for stays visible: failures and operator
   * actions at INFO, dead tasks at WARN.
   */
  private void logTransition(State next, Event event) {
    org.slf4j.event.Level level = event instanceof DeadLettered ? org.slf4j.event.Level.WARN
        : event instanceof Enqueued || event instanceof AttemptStarted
            || event instanceof LeaseExtended || event instanceof AttemptSucceeded
            ? org.slf4j.event.Level.DEBUG : org.slf4j.event.Level.INFO;
    if (eventLog.isEnabledForLevel(level)) {
      eventLog.atLevel(level).log("task {} [{}] {}", id, next.spec().type(), event.describe());
    }
  }

  /**
   * Persists {@code event} with the task's index row as of it (one transaction).
   *
   * @param replyTo answered with the new state once persisted, or null for internal events
   */
  private ReplyEffect<Event, State> persist(
      State state, Event event, ActorRef<Reply> replyTo, boolean created, Procedure<State> then) {
    IndexRow row = state.apply(event).toIndexRow(lastSequenceNumber(context) + 1);
    EffectBuilder<Event, State> effect = Effect().persist(new Indexed(event, row)).thenRun(next -> {
      logTransition(next, event);
      runtime.metrics().recorded(id, next.spec(), event);
      if (next.status().isTerminal() && !waiters.isEmpty()) {
        waiters.answerAll(new Accepted(next.toView(), false));
      }
      then.apply(next);
    });
    if (replyTo != null) {
      effect = effect.thenRun(next -> replyTo.tell(new Accepted(next.toView(), created)));
    }
    return effect.thenNoReply();
  }

  private ReplyEffect<Event, State> replyWith(ActorRef<Reply> replyTo, State state, boolean created) {
    return Effect().reply(replyTo, new Accepted(state.toView(), created));
  }

  private RecipientRef<QueueManager.Command> queue(State state) {
    return runtime.queues().apply(state.spec().queue());
  }

  private void passivate() {
    shard.tell(new ClusterSharding.Passivate<>(context.getSelf()));
  }

  private Instant now() {
    return runtime.clock().instant();
  }

  private static Instant later(Instant a, Instant b) {
    if (a == null) {
      return b;
    }
    return b == null || a.isAfter(b) ? a : b;
  }

  private Duration untilNow(Instant time) {
    Duration left = Duration.between(now(), time);
    return left.isNegative() ? Duration.ZERO : left;
  }
}
