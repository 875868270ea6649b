package io.tasker.protocol;

/** No task exists with the given id. */
public final class TaskNotFoundException extends TaskerException {
  private final TaskId taskId;

  /** @param taskId the id that was asked for */
  public TaskNotFoundException(TaskId taskId) {
    super(ErrorCode.TASK_NOT_FOUND, "no task with id " + taskId);
    this.taskId = taskId;
  }

  /** @return the id that was asked for */
  public TaskId taskId() {
    return taskId;
  }
}
