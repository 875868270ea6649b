package io.tasker.node;

import io.tasker.node.task.TaskEntity;
import io.tasker.protocol.TaskId;
import io.tasker.protocol.TaskView;
import io.tasker.protocol.TaskerUnavailableException;
import io.tasker.protocol.ValidationException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;

/**
 * A node's waits for task outcomes ({@link Tasker#result}), without polling: each round asks the
 * task's entity to answer when the task finishes ({@link TaskEntity.AwaitOutcome}). A round that
 * ends without the outcome is followed by another, until the caller's deadline: the entity said
 * {@link TaskEntity.NotFinished} (its wait ran out, or it stopped: passivation, a hand-off to
 * another node), or nothing came (the entity's node died, a message was lost in a rebalance). So
 * a wait outlives moves and deaths of the entity, and costs one message per round, not per poll.
 */
final class OutcomeWaits {
  /** One round: the entity waits up to {@code wait}; the caller up to {@code askTimeout}. */
  interface Entities {
    CompletionStage<TaskEntity.Reply> awaitOutcome(TaskId id, Duration wait, Duration askTimeout);
  }

  private final Entities entities;
  private final Duration round;
  private final Set<CompletableFuture<TaskView>> pending = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  /** @param round the longest round (a lost waiter is noticed after it plus a third) */
  OutcomeWaits(Entities entities, Duration round) {
    this.entities = entities;
    this.round = round;
  }

  /**
   * @param timeout the longest wait, or {@code null} for no limit
   * @return the task once finished; or, once {@code timeout} passed, as it stands
   */
  CompletionStage<TaskView> await(TaskId id, Duration timeout) {
    CompletableFuture<TaskView> outcome = new CompletableFuture<>();
    pending.add(outcome);
    outcome.whenComplete((view, failure) -> pending.remove(outcome));
    if (closed) {
      outcome.completeExceptionally(closedError());
    } else {
      next(id, timeout == null ? null : System.nanoTime() + timeout.toNanos(), outcome);
    }
    return outcome;
  }

  private void next(TaskId id, Long deadline, CompletableFuture<TaskView> outcome) {
    long left = deadline == null ? Long.MAX_VALUE : Math.max(0, deadline - System.nanoTime());
    Duration wait = left < round.toNanos() ? Duration.ofNanos(left) : round;
    entities.awaitOutcome(id, wait, wait.plus(round.dividedBy(3))).whenComplete((reply, error) -> {
      Throwable failure = error instanceof CompletionException ? error.getCause() : error;
      boolean over = deadline != null && deadline - System.nanoTime() <= 0;
      if (outcome.isDone()) {
        return;
      } else if (reply instanceof TaskEntity.Accepted finished) {
        outcome.complete(finished.task());
      } else if (reply instanceof TaskEntity.Rejected rejected) {
        outcome.completeExceptionally(rejected.toException(id));
      } else if (reply instanceof TaskEntity.NotFinished notYet && over) {
        outcome.complete(notYet.task());
      } else if (failure != null && !(failure instanceof TimeoutException)) {
        outcome.completeExceptionally(failure);
      } else if (failure != null && over && wait.isZero()) {
        outcome.completeExceptionally(new TaskerUnavailableException(
            "task " + id + " did not answer in time; its outcome is unknown"));
      } else {
        // past the deadline without a view (the last round got no answer): one more, at once
        next(id, deadline, outcome);
      }
    });
  }

  /** Ends every wait in flight: the node stops. */
  void close() {
    closed = true;
    for (CompletableFuture<TaskView> wait : List.copyOf(pending)) {
      wait.completeExceptionally(closedError());
    }
  }

  private static TaskerUnavailableException closedError() {
    return new TaskerUnavailableException("Tasker was closed while waiting for a task's outcome");
  }

  /** @throws ValidationException naming {@code timeout} if it is negative or missing */
  static Duration checked(Duration timeout) {
    if (timeout == null || timeout.isNegative()) {
      throw new ValidationException("timeout", "must be zero or positive");
    }
    return timeout;
  }
}
