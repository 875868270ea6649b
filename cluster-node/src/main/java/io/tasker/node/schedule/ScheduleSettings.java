package io.tasker.node.schedule;

import java.time.Duration;

/**
 * The {@code tasker.schedules} settings.
 *
 * @param misfireThreshold a fire time found this late counts as missed (misfire policies apply)
 * @param runAllCap the most missed fire times a {@code RUN_ALL} schedule catches up at once
 * @param pollInterval how often a schedule with a queued firing checks its previous task, and
 *     retries an enqueue that failed
 */
public record ScheduleSettings(Duration misfireThreshold, int runAllCap, Duration pollInterval) {

  /** Defaults as in {@code reference.conf}, for tests. */
  public static final ScheduleSettings DEFAULTS =
      new ScheduleSettings(Duration.ofMinutes(1), 10, Duration.ofSeconds(1));
}
