package io.tasker.node;

import com.fasterxml.jackson.databind.JsonNode;
import io.tasker.protocol.TaskId;
import io.tasker.protocol.TaskerSerializable;
import java.time.Instant;
import java.util.List;

/**
 * A workflow execution as it stands: its definition's name and version, status, and every step
 * with its tasks, and the compensations that ran.
 *
 * @param error why it failed, timed out or was cancelled, or {@code null}
 * @param endedAt when it reached a final status, or {@code null}
 */
public record WorkflowExecution(
    String id,
    String workflow,
    int version,
    WorkflowStatus status,
    JsonNode input,
    String error,
    Instant startedAt,
    Instant endedAt,
    List<StepRun> steps,
    List<CompensationRun> compensations)
    implements TaskerSerializable {

  public WorkflowExecution {
    steps = List.copyOf(steps);
    compensations = List.copyOf(compensations);
  }

  /** What a step or compensation is doing. */
  public enum StepStatus {
    PENDING,
    RUNNING,
    SUCCEEDED,
    FAILED,
    /** an optional step that failed: its dependents ran without its output */
    SKIPPED,
    /** stopped when the execution failed, timed out or was cancelled */
    CANCELLED
  }

  /**
   * One step.
   *
   * @param attempts the attempts of its tasks, summed over elements and workflow retries
   * @param input the payload its task got (for a forEach step, the array of the elements')
   * @param output its task's result (for a forEach step, the array of the elements' results)
   * @param tasks the tasks run for it, oldest first
   */
  public record StepRun(
      String name,
      StepStatus status,
      int attempts,
      JsonNode input,
      JsonNode output,
      String error,
      Instant startedAt,
      Instant endedAt,
      List<TaskId> tasks)
      implements TaskerSerializable {}

  /** One compensation, in the order they ran. */
  public record CompensationRun(
      String step,
      StepStatus status,
      int attempts,
      JsonNode input,
      String error,
      Instant startedAt,
      Instant endedAt,
      TaskId task)
      implements TaskerSerializable {}

  /** @return the step named {@code name}, or {@code null} */
  public StepRun step(String name) {
    return steps.stream().filter(s -> s.name().equals(name)).findFirst().orElse(null);
  }
}
