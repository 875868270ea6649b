package io.tasker.protocol;

/** Machine-readable error codes, shared by the Java API and the HTTP contract. */
public enum ErrorCode {
  /** A field of a request is missing or out of range; the error names the field. */
  VALIDATION_FAILED,
  /** No task has the given id. */
  TASK_NOT_FOUND,
  /** No schedule has the given id. */
  SCHEDULE_NOT_FOUND,
  /** No workflow definition or execution with that name or id. */
  WORKFLOW_NOT_FOUND,
  /** The task's status does not allow the operation (e.g. cancel of a finished task). */
  TASK_STATE_CONFLICT,
  /** A middleware refused the task at enqueue; the error gives the reason. */
  ENQUEUE_REJECTED,
  /** Tasker could not complete the operation now (e.g. its database is unreachable); retry. */
  UNAVAILABLE
}
