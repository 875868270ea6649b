package io.tasker.node.index;

import java.time.Instant;

/**
 * A workflow execution's row in {@code tasker_workflow_index}: present while the execution has
 * not ended, due from {@code wakeAt} on, so the waker brings back an execution whose node died.
 */
public record WorkflowRow(String id, Instant wakeAt, long seqNr, boolean removed)
    implements WakeRow {

  @Override
  public Writer writer() {
    return WakeRowTable.WORKFLOWS;
  }
}
