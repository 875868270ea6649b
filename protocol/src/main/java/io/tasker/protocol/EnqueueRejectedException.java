package io.tasker.protocol;

/**
 * A middleware refused a task at enqueue (HTTP 422). Nothing was stored; the same request will
 * be refused again unless what the middleware checks changes.
 */
public final class EnqueueRejectedException extends TaskerException {
  private final String reason;

  /** @param reason why the task is refused, in words a caller can act on */
  public EnqueueRejectedException(String reason) {
    super(ErrorCode.ENQUEUE_REJECTED, "enqueue rejected: " + reason);
    this.reason = reason;
  }

  /** @return why the task was refused */
  public String reason() {
    return reason;
  }
}
