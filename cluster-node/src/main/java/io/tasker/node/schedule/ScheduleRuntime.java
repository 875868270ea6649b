package io.tasker.node.schedule;

import io.tasker.node.EnqueueResult;
import io.tasker.protocol.EnqueueRequest;
import io.tasker.protocol.TaskId;
import io.tasker.protocol.TaskView;
import java.time.Clock;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * What a schedule entity uses from its node: the normal enqueue path (so a firing's task is
 * created, validated and deduplicated exactly like any other), task lookups for overlap checks,
 * its index rows, the clock and its metrics.
 */
public record ScheduleRuntime(
    Clock clock,
    Function<EnqueueRequest, CompletionStage<EnqueueResult>> enqueue,
    Function<TaskId, CompletionStage<TaskView>> task,
    ScheduleIndex index,
    ScheduleSettings settings,
    ScheduleMetrics metrics) {

  /** A runtime that records no metrics (tests). */
  public ScheduleRuntime(
      Clock clock,
      Function<EnqueueRequest, CompletionStage<EnqueueResult>> enqueue,
      Function<TaskId, CompletionStage<TaskView>> task,
      ScheduleIndex index,
      ScheduleSettings settings) {
    this(clock, enqueue, task, index, settings, ScheduleMetrics.NONE);
  }
}
