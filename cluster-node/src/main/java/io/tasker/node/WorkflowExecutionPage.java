package io.tasker.node;

import java.time.Instant;
import java.util.List;

/**
 * One page of workflow executions, newest start first (see {@link
 * Tasker#listWorkflowExecutions}).
 *
 * @param nextCursor gives the next page, or {@code null} on the last one
 */
public record WorkflowExecutionPage(List<Summary> executions, String nextCursor) {

  public WorkflowExecutionPage {
    executions = List.copyOf(executions);
  }

  /** An execution as its list row has it: the full one is {@link Tasker#getWorkflowExecution}. */
  public record Summary(String id, String workflow, int version, WorkflowStatus status,
      Instant startedAt) {}
}
