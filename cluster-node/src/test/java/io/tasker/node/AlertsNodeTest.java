package io.tasker.node;

import static io.tasker.node.Stages.join;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tasker.node.AlertEvent.Alert;
import io.tasker.node.AlertEvent.State;
import io.tasker.protocol.TaskId;
import io.tasker.protocol.TaskStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * On a real node (H2 journal, cluster singleton), per-queue thresholds fire an alert once per
 * crossing: the listener, the metrics and the configured alert task see one event while the
 * signal stays above its threshold, a "resolved" one when it goes back, and a second firing
 * only after that.
 */
class AlertsNodeTest {
  private static final Duration PATIENCE = Duration.ofSeconds(30);
  private static final TaskType<String> WORK = TaskType.of("work", String.class);
  private static final TaskType<AlertPayload> HOOK = TaskType.of("alert-hook", AlertPayload.class);

  /** The payload of the task enqueued per alert event. */
  public record AlertPayload(
      String queue, String alert, double value, double threshold, String state, String at) {}

  private final List<AlertEvent> events = Collections.synchronizedList(new ArrayList<>());
  private final List<AlertPayload> hooked = Collections.synchronizedList(new ArrayList<>());

  private TaskerBuilder node(String journal, SimpleMeterRegistry registry, String alerts) {
    return TestJournals.h2(Tasker.builder(), journal)
        .meterRegistry(registry)
        .config(ConfigFactory.parseString("tasker.alerts { check-interval = 100ms\n"
                + " task-type = alert-hook\n" + alerts + " }")
            .withFallback(ConfigFactory.load()))
        .onAlert(events::add)
        .handler(WORK, (payload, ctx) -> {
          if (payload.equals("fail")) {
            throw new IllegalStateException("fails, as planned");
          }
          return "done";
        }, h -> h.maxAttempts(1))
        .handler(HOOK, (payload, ctx) -> {
          hooked.add(payload);
          return "seen";
        });
  }

  private List<AlertEvent> of(Alert alert) {
    synchronized (events) {
      return events.stream().filter(e -> e.alert() == alert).toList();
    }
  }

  @Test
  void aDepthAlertFiresOncePerCrossingAndAgainOnlyAfterItResolved() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    String queue = "backlog";
    try (TaskerNode node = node("alerts-depth", registry,
        "queues { backlog { depth = 5 } }").start()) {
      join(node.pauseQueue(queue));
      List<TaskId> first = enqueue(node, queue, 6);

      await().atMost(PATIENCE).until(() -> of(Alert.DEPTH).size() == 1);
      AlertEvent fired = of(Alert.DEPTH).get(0);
      assertEquals(queue, fired.queue());
      assertEquals(State.FIRING, fired.state());
      assertEquals(6, fired.value());
      assertEquals(5, fired.threshold());
      // still above the threshold for many checks: no second event
      await().during(Duration.ofSeconds(1)).atMost(PATIENCE)
          .until(() -> of(Alert.DEPTH).size() == 1);
      assertEquals(1, fired(registry, queue));
      assertEquals(1, active(registry, queue));
      await().atMost(PATIENCE).until(() -> hooked.size() == 1);
      assertEquals(new AlertPayload(queue, "depth", 6, 5, "firing", fired.at().toString()),
          hooked.get(0));

      join(node.resumeQueue(queue));
      first.forEach(id -> awaitStatus(node, id, TaskStatus.SUCCEEDED));
      await().atMost(PATIENCE).until(() -> of(Alert.DEPTH).size() == 2);
      assertEquals(State.RESOLVED, of(Alert.DEPTH).get(1).state());
      assertEquals(0, active(registry, queue));
      await().atMost(PATIENCE).until(() -> hooked.size() == 2);
      assertEquals("resolved", hooked.get(1).state());

      join(node.pauseQueue(queue));
      enqueue(node, queue, 6);
      await().atMost(PATIENCE).until(() -> of(Alert.DEPTH).size() == 3);
      assertEquals(State.FIRING, of(Alert.DEPTH).get(2).state());
      assertEquals(2, fired(registry, queue));
      assertEquals(1, active(registry, queue));
      await().atMost(PATIENCE).until(() -> hooked.size() == 3);
    }
  }

  @Test
  void deadTasksAndFailingAttemptsFireTheirAlerts() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    String queue = "fragile";
    try (TaskerNode node = node("alerts-dead", registry,
        "queues { fragile { dead = 1, error-rate = 0.5, error-rate-window = 1m } }").start()) {
      TaskId ok = join(node.enqueue(WORK.with("ok").queue(queue)));
      awaitStatus(node, ok, TaskStatus.SUCCEEDED);
      TaskId failed = join(node.enqueue(WORK.with("fail").queue(queue)));
      awaitStatus(node, failed, TaskStatus.DEAD);
      // 1 dead (not above 1), 1 failed attempt of 2 (not above 0.5): nothing fires
      await().during(Duration.ofMillis(500)).atMost(PATIENCE).until(events::isEmpty);

      TaskId second = join(node.enqueue(WORK.with("fail").queue(queue)));
      awaitStatus(node, second, TaskStatus.DEAD);
      await().atMost(PATIENCE).until(() -> of(Alert.DEAD).size() == 1
          && of(Alert.ERROR_RATE).size() == 1);
      assertEquals(2, of(Alert.DEAD).get(0).value());
      assertEquals(2.0 / 3, of(Alert.ERROR_RATE).get(0).value(), 1e-9);
      assertEquals(1, registry.get("tasker.alerts.fired")
          .tags("queue", queue, "alert", "error-rate").counter().count());
    }
  }

  @Test
  void aLateStartFiresTheNodesLatenessAlertUntilItLeavesTheWindow() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    String queue = "late";
    try (TaskerNode node = node("alerts-late", registry,
        "queues { late { lateness-p99 = 5s, lateness-window = 2s } }").start()) {
      TaskId onTime = join(node.enqueue(WORK.with("ok").queue(queue)));
      awaitStatus(node, onTime, TaskStatus.SUCCEEDED);
      TaskId late = join(node.enqueue(WORK.with("ok").queue(queue)
          .runAt(java.time.Instant.now().minus(Duration.ofMinutes(1)))));
      awaitStatus(node, late, TaskStatus.SUCCEEDED);

      await().atMost(PATIENCE).until(() -> of(Alert.LATENESS_P99).size() == 1);
      AlertEvent fired = of(Alert.LATENESS_P99).get(0);
      assertEquals(State.FIRING, fired.state());
      assertEquals(5, fired.threshold());
      org.junit.jupiter.api.Assertions.assertTrue(fired.value() >= 60, "seconds late");
      // the late start leaves the 2 s window: resolved
      await().atMost(PATIENCE).until(() -> of(Alert.LATENESS_P99).size() == 2);
      assertEquals(State.RESOLVED, of(Alert.LATENESS_P99).get(1).state());
      assertEquals(1, registry.get("tasker.alerts.fired")
          .tags("queue", queue, "alert", "lateness-p99").counter().count());
    }
  }

  private static List<TaskId> enqueue(TaskerNode node, String queue, int count) {
    List<TaskId> ids = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      ids.add(join(node.enqueue(WORK.with("ok").queue(queue))));
    }
    return ids;
  }

  private static void awaitStatus(TaskerNode node, TaskId id, TaskStatus status) {
    await().atMost(PATIENCE).until(() -> join(node.get(id)).status() == status);
  }

  private static double fired(SimpleMeterRegistry registry, String queue) {
    return registry.get("tasker.alerts.fired").tags("queue", queue, "alert", "depth")
        .counter().count();
  }

  private static double active(SimpleMeterRegistry registry, String queue) {
    return registry.get("tasker.alert.active").tags("queue", queue, "alert", "depth")
        .gauge().value();
  }
}
