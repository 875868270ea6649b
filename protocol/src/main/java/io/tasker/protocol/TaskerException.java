package io.tasker.protocol;

/** Base of the typed errors Tasker reports to callers; each carries an {@link ErrorCode}. */
public abstract class TaskerException extends RuntimeException {
  private final ErrorCode code;

  protected TaskerException(ErrorCode code, String message) {
    super(message);
    this.code = code;
  }

  /** @return the machine-readable code of this error */
  public ErrorCode code() {
    return code;
  }
}
