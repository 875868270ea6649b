package io.tasker.node;

/**
 * Where a workflow execution stands. {@code RUNNING} and {@code COMPENSATING} are in progress;
 * the others are final:
 *
 * <ul>
 *   <li>{@code SUCCEEDED}: every step succeeded (or failed while optional);
 *   <li>{@code COMPENSATED}: a step failed for good and the compensations of the steps that had
 *       succeeded all ran, in reverse order of completion;
 *   <li>{@code FAILED}: a step failed for good and there was nothing to compensate, or a
 *       compensation failed for good (see the execution's error and compensation trail);
 *   <li>{@code TIMED_OUT}: the workflow's timeout passed; running steps were cancelled and
 *       compensations ran;
 *   <li>{@code CANCELLED}: cancelled; running steps were cancelled and compensations ran.
 * </ul>
 */
public enum WorkflowStatus {
  RUNNING,
  COMPENSATING,
  SUCCEEDED,
  COMPENSATED,
  FAILED,
  TIMED_OUT,
  CANCELLED;

  /** @return whether the execution has ended */
  public boolean isTerminal() {
    return this != RUNNING && this != COMPENSATING;
  }
}
