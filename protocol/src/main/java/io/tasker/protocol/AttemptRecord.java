package io.tasker.protocol;

import java.time.Instant;

/**
 * One handler attempt in a task's history.
 *
 * @param number 1-based attempt number, counted over the task's whole life
 * @param node the node that ran it
 * @param startedAt when the handler was started
 * @param finishedAt when the outcome was recorded, {@code null} while running
 * @param outcome how it ended, {@code null} while running
 * @param errorType the exception class name for failed attempts, otherwise {@code null}
 * @param errorMessage the exception message for failed attempts, otherwise {@code null}
 */
public record AttemptRecord(
    int number,
    String node,
    Instant startedAt,
    Instant finishedAt,
    AttemptOutcome outcome,
    String errorType,
    String errorMessage)
    implements TaskerSerializable {

  /** @return this attempt closed with the given outcome */
  public AttemptRecord finish(
      Instant at, AttemptOutcome outcome, String errorType, String errorMessage) {
    return new AttemptRecord(number, node, startedAt, at, outcome, errorType, errorMessage);
  }

  /** @return true while the attempt has no outcome yet */
  public boolean inProgress() {
    return outcome == null;
  }
}
