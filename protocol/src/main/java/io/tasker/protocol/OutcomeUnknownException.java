package io.tasker.protocol;

/**
 * Tasker did not confirm a change of a task in time, and it may or may not have been applied:
 * the wait for the answer ended, the write it was waiting for may still commit. Read the task to
 * find out. Repeating an enqueue is safe with the same idempotency key (it answers the stored
 * task, if any); without one it may store the task twice.
 */
public final class OutcomeUnknownException extends TaskerException {
  private final TaskId taskId;

  /**
   * @param taskId the task the change was for (for an enqueue: the id it was to be stored as)
   * @param message what was not confirmed
   */
  public OutcomeUnknownException(TaskId taskId, String message) {
    super(ErrorCode.UNAVAILABLE, message);
    this.taskId = taskId;
  }

  /** @return the task the change was for; GET it to see whether the change was applied */
  public TaskId taskId() {
    return taskId;
  }
}
