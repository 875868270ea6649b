package io.tasker.node;

import io.tasker.protocol.ErrorCode;
import io.tasker.protocol.TaskerException;

/**
 * A workflow definition that cannot run: a cycle, an unknown dependency or task type, a template
 * that is malformed or reads a step that is not upstream. Names the step and its field.
 */
public final class WorkflowDefinitionException extends TaskerException {
  private final String step;
  private final String field;
  private final String reason;

  /**
   * @param step the step at fault, or {@code null} for the workflow itself
   * @param field the field at fault ({@code dependsOn}, {@code type}, {@code input}, ...)
   * @param reason what is wrong
   */
  public WorkflowDefinitionException(String step, String field, String reason) {
    super(ErrorCode.VALIDATION_FAILED,
        (step == null ? "" : "step '" + step + "': ") + field + ": " + reason);
    this.step = step;
    this.field = field;
    this.reason = reason;
  }

  /** @return the step at fault, or {@code null} when the fault is the workflow's */
  public String step() {
    return step;
  }

  /** @return the offending field: {@code steps.<step>.<field>} or the workflow's field */
  public String field() {
    return step == null ? field : "steps." + step + "." + field;
  }

  /** @return what is wrong, without the step's or field's name */
  public String reason() {
    return reason;
  }
}
