package io.tasker.node.internal.alerts;

import io.tasker.node.internal.metrics.LatenessSamples;
import java.time.Clock;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * The lateness alert, checked by every node over the attempts it started: lateness is measured
 * where a handler starts, and gathering every node's samples in one place would cost more than
 * the alert is worth. Its events therefore come from each node whose own p99 crosses.
 */
public final class LatenessWatch {
  private LatenessWatch() {}

  /**
   * Checks every {@code check-interval}, when some queue has a lateness threshold, until the
   * actor system terminates.
   */
  public static void start(ActorSystem<?> system, AlertSettings settings,
      LatenessSamples samples, Clock clock, AlertEffects effects) {
    if (!settings.latenessEnabled()) {
      return;
    }
    samples.enable();
    AlertRules rules = new AlertRules(settings);
    // fixed delay: runs never overlap, so the rules' state needs no lock
    system.scheduler().scheduleWithFixedDelay(settings.checkInterval(),
        settings.checkInterval(),
        () -> rules.checkLateness(samples.p99(queue -> settings.of(queue).latenessWindow()),
            clock.instant()).forEach(effects::deliver),
        system.executionContext());
  }
}
