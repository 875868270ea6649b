package io.tasker.protocol;

/** How one handler attempt ended. */
public enum AttemptOutcome {
  /** The handler returned a result. */
  SUCCEEDED,
  /** The handler threw. */
  FAILED,
  /** The handler ran past the task's timeout. */
  TIMED_OUT,
  /** The task was cancelled while the handler ran. */
  CANCELLED,
  /** The node running the attempt stopped before it reported an outcome; the attempt counts. */
  LOST
}
