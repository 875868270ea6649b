package io.tasker.node.internal.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.tasker.node.queue.QueueMetrics;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Permit gauges of the queue managers this node hosts, by {@code queue}: held, waiting, and
 * whether the rate limit holds waiting requests back. Set by the managers after each command,
 * read at scrape time.
 */
public final class QueueMeters implements QueueMetrics {
  /** The last report of one queue's manager. */
  private static final class Permits {
    volatile int held;
    volatile int waiting;
    volatile int rateLimited;
  }

  private final MeterRegistry registry;
  private final Map<String, Permits> queues = new ConcurrentHashMap<>();

  public QueueMeters(MeterRegistry registry) {
    this.registry = registry;
  }

  @Override
  public void permits(String queue, int held, int waiting, boolean rateLimited) {
    Permits permits = queues.get(queue);
    if (permits == null) {
      permits = queues.computeIfAbsent(queue, this::register);
    }
    permits.held = held;
    permits.waiting = waiting;
    permits.rateLimited = rateLimited ? 1 : 0;
  }

  private Permits register(String queue) {
    Permits permits = new Permits();
    Gauge.builder("tasker.queue.permits.held", permits, p -> p.held)
        .description("Permits held by running tasks (on the node hosting the queue's manager)")
        .tag("queue", queue).register(registry);
    Gauge.builder("tasker.queue.permits.waiting", permits, p -> p.waiting)
        .description("Permit requests waiting (on the node hosting the queue's manager)")
        .tag("queue", queue).register(registry);
    Gauge.builder("tasker.queue.rate.limited", permits, p -> p.rateLimited)
        .description("1 while waiting requests wait for the queue's rate limit, else 0")
        .tag("queue", queue).register(registry);
    return permits;
  }
}
