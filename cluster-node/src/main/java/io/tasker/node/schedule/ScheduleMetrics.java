package io.tasker.node.schedule;

import io.tasker.node.ScheduleSpec;

/** What schedules tell the node's metrics: their stored events (firings, skipped firings). */
public interface ScheduleMetrics {
  ScheduleMetrics NONE = (spec, event) -> {};

  /** {@code event} of the schedule {@code spec} is durable (never called on replay). */
  void recorded(ScheduleSpec spec, ScheduleEntity.Event event);
}
