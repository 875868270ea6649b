package io.tasker.protocol;

/** Tasker cannot complete the operation now; nothing was changed and the caller may retry. */
public final class TaskerUnavailableException extends TaskerException {

  /** @param message what is unavailable */
  public TaskerUnavailableException(String message) {
    super(ErrorCode.UNAVAILABLE, message);
  }
}
