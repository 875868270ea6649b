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
import org.apache.pekko.actor.typed.ActorRef;

/**
 * One task: its commands, events and state. It is enqueued {@code SCHEDULED}; when due it asks
 * its queue's {@link QueueManager} for a permit, records the attempt's start, runs the handler
 * on the worker pool and records the outcome: {@code SUCCEEDED}, back to {@code SCHEDULED} with
 * a backoff, or {@code DEAD}. Cancel, reschedule and re-run of a dead task arrive at any time.
 * Each task has its own journal (persistence id {@code Task|<id>}); its {@link TaskPartition}
 * holds it in memory while it needs to be ({@link TaskSlot}).
 *
 * <p>The decisions live in {@link State}, a pure value, so inline mode runs the very same state
 * machine without actors or a journal.
 */
public final class TaskEntity {
  private TaskEntity() {}

  /** @return the persistence id of task {@code id}'s events */
  public static String persistenceId(TaskId id) {
    return IndexRow.persistenceId(id);
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
   * caller waits in the partition's memory, up to {@code upTo}, and is then answered {@link
   * NotFinished} (so also when its partition stops): it asks again (see {@link OutcomeWaiters}).
   */
  public record AwaitOutcome(Duration upTo, ActorRef<Reply> replyTo) implements ReplyingCommand {}

  /**
   * From the waker: the task index says this task needs attention by {@code indexedWakeAt}.
   * Bringing the task into memory is the point; it then arms its timer. For an attempt of an earlier
   * incarnation, {@code indexedWakeAt} is its lease as its node last extended it.
   */
  public record Wake(Instant indexedWakeAt) implements Command {}

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
   * What a task persists: an event with the task's index row as of it, which the journal
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

    /** @return when this task next needs to be in memory, or null once finished */
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
}
