package io.tasker.node.internal.alerts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.tasker.node.AlertEvent;
import io.tasker.node.AlertEvent.Alert;
import io.tasker.node.AlertEvent.State;
import io.tasker.protocol.QueueCounts;
import io.tasker.protocol.TaskStatus;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AlertRulesTest {
  private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

  private static AlertSettings settings(String hocon) {
    return AlertSettings.create(ConfigFactory.parseString(hocon)
        .withFallback(ConfigFactory.defaultReference()).resolve().getConfig("tasker.alerts"));
  }

  private static List<QueueCounts> scheduled(String queue, long count) {
    return List.of(new QueueCounts(queue, Map.of(TaskStatus.SCHEDULED, count), count));
  }

  @Test
  void firesOncePerCrossingAndAgainOnlyAfterResolving() {
    AlertRules rules = new AlertRules(settings("tasker.alerts.queues.q.depth = 5"));
    assertEquals(List.of(), rules.check(scheduled("q", 5), Map.of(), NOW), "at, not above");
    List<AlertEvent> fired = rules.check(scheduled("q", 6), Map.of(), NOW);
    assertEquals(List.of(new AlertEvent("q", Alert.DEPTH, State.FIRING, 6, 5, NOW)), fired);
    assertEquals(List.of(), rules.check(scheduled("q", 9), Map.of(), NOW));
    assertEquals(List.of(), rules.check(scheduled("q", 6), Map.of(), NOW));
    assertEquals(List.of(new AlertEvent("q", Alert.DEPTH, State.RESOLVED, 0, 5, NOW)),
        rules.check(List.of(), Map.of(), NOW), "a queue gone from the index has no tasks");
    assertEquals(State.FIRING, rules.check(scheduled("q", 6), Map.of(), NOW).get(0).state());
  }

  @Test
  void defaultsApplyToEveryQueueAndEachAlertFiresOnItsOwn() {
    AlertRules rules = new AlertRules(
        settings("tasker.alerts.defaults { due-waiting = 1, error-rate = 0.5 }"));
    List<AlertEvent> fired = rules.check(scheduled("any", 2), Map.of("any", 0.75), NOW);
    assertEquals(Set.of(Alert.DUE_WAITING, Alert.ERROR_RATE),
        Set.copyOf(fired.stream().map(AlertEvent::alert).toList()));
    List<AlertEvent> resolved = rules.check(scheduled("any", 2), Map.of(), NOW);
    assertEquals(List.of(new AlertEvent("any", Alert.ERROR_RATE, State.RESOLVED, 0, 0.5, NOW)),
        resolved, "no attempts in the window: resolved");
  }

  @Test
  void aTakenOverAlertDoesNotFireAgainButResolves() {
    AlertRules rules = new AlertRules(settings("tasker.alerts.queues.q.depth = 5"));
    List<AlertEvent> resumed = rules.resume(Set.of("q|DEPTH", "q|NO_SUCH_ALERT", "junk"), NOW);
    assertEquals(1, resumed.size());
    assertEquals("q|DEPTH", AlertRules.id(resumed.get(0)));
    assertTrue(rules.check(scheduled("q", 8), Map.of(), NOW).isEmpty());
    assertEquals(State.RESOLVED, rules.check(scheduled("q", 1), Map.of(), NOW).get(0).state());
  }

  @Test
  void latenessIsCheckedInSecondsPerQueue() {
    AlertRules rules = new AlertRules(settings("tasker.alerts.queues.q.lateness-p99 = 2s"));
    assertEquals(List.of(new AlertEvent("q", Alert.LATENESS_P99, State.FIRING, 2.5, 2, NOW)),
        rules.checkLateness(Map.of("q", 2.5, "other", 100.0), NOW));
    assertEquals(State.RESOLVED, rules.checkLateness(Map.of(), NOW).get(0).state());
  }
}
