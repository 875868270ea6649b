package io.tasker.protocol;

/** The task's current status does not allow the requested operation. Nothing was changed. */
public final class TaskStateConflictException extends TaskerException {
  private final TaskId taskId;
  private final TaskStatus status;

  /**
   * @param taskId the task
   * @param status its current status
   * @param message why the operation is refused
   */
  public TaskStateConflictException(TaskId taskId, TaskStatus status, String message) {
    super(ErrorCode.TASK_STATE_CONFLICT, message);
    this.taskId = taskId;
    this.status = status;
  }

  /** @return the task */
  public TaskId taskId() {
    return taskId;
  }

  /** @return the task's status when the operation was refused */
  public TaskStatus status() {
    return status;
  }
}
