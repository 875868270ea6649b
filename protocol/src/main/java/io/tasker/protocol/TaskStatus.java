package io.tasker.protocol;

/**
 * Where a task is in its lifecycle.
 *
 * <pre>
 * SCHEDULED ──► RUNNING ──► SUCCEEDED
 *     ▲            │
 *     └── retry ───┤──► DEAD       (max attempts reached or non-retryable error)
 * any non-terminal ──► CANCELLED
 * </pre>
 */
public enum TaskStatus {
  /** Waiting for its run time, or for a permit of its queue. */
  SCHEDULED,
  /** A handler attempt is in progress. */
  RUNNING,
  /** A handler attempt returned normally; final. */
  SUCCEEDED,
  /** Gave up after the last allowed attempt or a non-retryable error; final until re-run. */
  DEAD,
  /** Cancelled by a user; final. */
  CANCELLED;

  /** @return true for states no attempt follows ({@code SUCCEEDED}, {@code DEAD}, {@code CANCELLED}) */
  public boolean isTerminal() {
    return this == SUCCEEDED || this == DEAD || this == CANCELLED;
  }
}
