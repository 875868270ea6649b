package io.tasker.node.task;

import io.tasker.protocol.AttemptOutcome;
import io.tasker.protocol.TaskId;
import io.tasker.protocol.TaskSpec;
import java.time.Duration;

/**
 * What tasks tell the node's metrics: each stored transition, and each handler run. Called on
 * the entity's and the workers' threads, so implementations must be cheap and thread-safe.
 */
public interface TaskMetrics {
  /** Records nothing: inline mode and tests. */
  TaskMetrics NONE = new TaskMetrics() {
    @Override
    public void recorded(TaskSpec spec, TaskEntity.Event event) {}

    @Override
    public void ran(TaskSpec spec, Duration lateness, Duration execution, AttemptOutcome outcome) {}
  };

  /** {@code event} of a task of {@code spec} is durable (never called on replay). */
  void recorded(TaskSpec spec, TaskEntity.Event event);

  /** As {@link #recorded(TaskSpec, TaskEntity.Event)}, knowing the task's id. */
  default void recorded(TaskId id, TaskSpec spec, TaskEntity.Event event) {
    recorded(spec, event);
  }

  /**
   * A handler returned (or its attempt was stopped).
   *
   * @param lateness how long after the task's run time the handler started
   * @param execution how long the handler ran
   */
  void ran(TaskSpec spec, Duration lateness, Duration execution, AttemptOutcome outcome);
}
