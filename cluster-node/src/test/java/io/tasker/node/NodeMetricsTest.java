package io.tasker.node;

import static io.tasker.node.Stages.join;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tasker.protocol.Backoff;
import io.tasker.protocol.EnqueueRequest;
import io.tasker.protocol.TaskId;
import io.tasker.protocol.TaskStatus;
import io.tasker.protocol.ValidationException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A real node (sharding, H2 journal, queue manager) records its metrics in the registry given
 * to its builder: counters per queue and type match what ran, the histograms saw every attempt,
 * and the gauges refreshed on their timer show the queue's tasks by state.
 */
class NodeMetricsTest {
  private static final Duration PATIENCE = Duration.ofSeconds(30);
  private static final TaskType<String> WORK = TaskType.of("work", String.class);
  private static final TaskType<String> SLOW = TaskType.of("slow", String.class);
  private static final String QUEUE = "metered";

  /** Attempts per payload: "ok" succeeds, "once" fails its first attempt, "always" every one. */
  private final Map<String, AtomicInteger> attempts = new ConcurrentHashMap<>();

  private String work(String payload) {
    int attempt = attempts.computeIfAbsent(payload, p -> new AtomicInteger()).incrementAndGet();
    if (payload.equals("always") || (payload.equals("once") && attempt == 1)) {
      throw new IllegalStateException("attempt " + attempt + " of " + payload + " fails");
    }
    return "done";
  }

  private static String blockUntilInterrupted(String payload) throws InterruptedException {
    new CountDownLatch(1).await(); // the timeout's interrupt ends it
    return "never";
  }

  @Test
  void countsTimesAndGaugesWhatRan() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    Backoff quick = Backoff.fixed(Duration.ofMillis(50)).withoutJitter();
    TaskerBuilder builder = TestJournals.h2(Tasker.builder(), "metrics")
        .meterRegistry(registry)
        .config(ConfigFactory.parseString("tasker.metrics.refresh-interval = 200ms")
            .withFallback(ConfigFactory.load()))
        .handler(WORK, (payload, ctx) -> work(payload),
            h -> h.queue(QUEUE).maxAttempts(2).backoff(quick))
        .handler(SLOW, (payload, ctx) -> blockUntilInterrupted(payload),
            h -> h.queue(QUEUE).maxAttempts(1).timeout(Duration.ofMillis(200)));
    try (TaskerNode node = builder.start()) {
      assertTrue(registry == node.meterRegistry());
      TaskId ok = join(node.enqueue(WORK.with("ok")));
      TaskId once = join(node.enqueue(WORK.with("once")));
      TaskId always = join(node.enqueue(WORK.with("always")));
      TaskId slow = join(node.enqueue(SLOW.with("slow")));
      TaskId later = join(node.enqueue(WORK.with("later").delay(Duration.ofHours(1))));
      join(node.cancel(later));
      Stages.failure(ValidationException.class,
          node.enqueue(EnqueueRequest.of("no-such-type", null)));

      awaitStatus(node, ok, TaskStatus.SUCCEEDED);
      awaitStatus(node, once, TaskStatus.SUCCEEDED);
      awaitStatus(node, always, TaskStatus.DEAD);
      awaitStatus(node, slow, TaskStatus.DEAD);

      assertEquals(4, count(registry, "tasker.tasks.enqueued", WORK));
      assertEquals(5, count(registry, "tasker.tasks.started", WORK)); // ok 1, once 2, always 2
      assertEquals(2, count(registry, "tasker.tasks.succeeded", WORK));
      assertEquals(3, registry.get("tasker.tasks.failed")
          .tags("queue", QUEUE, "type", "work", "outcome", "failed").counter().count());
      assertEquals(1, count(registry, "tasker.tasks.dead", WORK));
      assertEquals(1, count(registry, "tasker.tasks.cancelled", WORK));
      assertEquals(1, registry.get("tasker.tasks.failed")
          .tags("queue", QUEUE, "type", "slow", "outcome", "timed_out").counter().count());
      assertEquals(1, count(registry, "tasker.tasks.dead", SLOW));
      assertEquals(1, registry.get("tasker.enqueue.rejected").tag("reason", "validation")
          .counter().count());

      Timer execution = timer(registry, "tasker.task.execution", WORK);
      assertEquals(5, execution.count());
      assertEquals(5, timer(registry, "tasker.task.lateness", WORK).count());
      assertTrue(registry.get("tasker.journal.commit").timer().count() > 0);
      assertTrue(registry.get("tasker.journal.batch.size").summary().totalAmount() >= 13);

      await().atMost(PATIENCE).until(() ->
          depth(registry, "succeeded") == 2 && depth(registry, "dead") == 2
              && depth(registry, "cancelled") == 1 && depth(registry, "scheduled") == 0);
      await().atMost(PATIENCE).until(() -> registry.find("tasker.cluster.members")
          .tag("status", "up").gauge() != null
          && registry.get("tasker.cluster.members").tag("status", "up").gauge().value() == 1);
      assertEquals(0, registry.get("tasker.queue.permits.held").tag("queue", QUEUE)
          .gauge().value());
      assertEquals(0, registry.get("tasker.queue.permits.waiting").tag("queue", QUEUE)
          .gauge().value());

      join(node.schedule("hourly").every(Duration.ofHours(1)).task(WORK, "ok").upsert());
      join(node.triggerSchedule("hourly"));
      assertEquals(1, registry.get("tasker.schedule.firings").tag("type", "work")
          .counter().count());
    }
  }

  private static void awaitStatus(TaskerNode node, TaskId id, TaskStatus status) {
    await().atMost(PATIENCE).until(() -> join(node.get(id)).status() == status);
  }

  private static double count(MeterRegistry registry, String name, TaskType<?> type) {
    return registry.get(name).tags("queue", QUEUE, "type", type.name()).counter().count();
  }

  private static Timer timer(MeterRegistry registry, String name, TaskType<?> type) {
    return registry.get(name).tags("queue", QUEUE, "type", type.name()).timer();
  }

  private static double depth(MeterRegistry registry, String state) {
    var gauge = registry.find("tasker.queue.depth").tags("queue", QUEUE, "state", state).gauge();
    return gauge == null ? -1 : gauge.value();
  }
}
