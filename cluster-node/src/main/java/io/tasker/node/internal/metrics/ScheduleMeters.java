package io.tasker.node.internal.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.tasker.node.ScheduleSpec;
import io.tasker.node.schedule.ScheduleEntity;
import io.tasker.node.schedule.ScheduleMetrics;

/** Schedule firings, and firings skipped (misfire, overlap, ended), by the task {@code type}. */
public final class ScheduleMeters implements ScheduleMetrics {
  private final MeterRegistry registry;

  public ScheduleMeters(MeterRegistry registry) {
    this.registry = registry;
  }

  @Override
  public void recorded(ScheduleSpec spec, ScheduleEntity.Event event) {
    if (spec == null) {
      return;
    }
    if (event instanceof ScheduleEntity.Fired) {
      Counter.builder("tasker.schedule.firings").description("Schedule firings")
          .tag("type", spec.task().type()).register(registry).increment();
    } else if (event instanceof ScheduleEntity.Skipped skipped) {
      Counter.builder("tasker.schedule.skipped")
          .description("Schedule firings skipped, by reason (misfire, overlap, ended)")
          .tag("type", spec.task().type()).tag("reason", skipped.reason())
          .register(registry).increment(skipped.count());
    }
  }
}
