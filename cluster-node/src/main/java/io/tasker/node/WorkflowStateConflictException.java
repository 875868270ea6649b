package io.tasker.node;

import io.tasker.protocol.ErrorCode;
import io.tasker.protocol.TaskerException;

/**
 * The execution's status forbids the operation: a cancel of an ended one, a retry of a running one.
 */
public final class WorkflowStateConflictException extends TaskerException {
  /** @param message what was asked and the execution's status */
  public WorkflowStateConflictException(String message) {
    super(ErrorCode.TASK_STATE_CONFLICT, message);
  }
}
