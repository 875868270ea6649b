package io.tasker.node;

import io.tasker.protocol.ErrorCode;
import io.tasker.protocol.TaskerException;

/** No workflow definition of that name on this node, or no execution with that id. */
public final class WorkflowNotFoundException extends TaskerException {
  /** @param what e.g. {@code "workflow order-processing"} or {@code "workflow execution 7f.."} */
  public WorkflowNotFoundException(String what) {
    super(ErrorCode.WORKFLOW_NOT_FOUND, what + " not found");
  }
}
