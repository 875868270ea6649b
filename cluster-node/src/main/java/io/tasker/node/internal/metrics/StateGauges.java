package io.tasker.node.internal.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.tasker.protocol.QueueCounts;
import io.tasker.protocol.TaskStatus;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Gauges of what a query answers rather than an event: task counts per queue and status (from
 * the task index) and cluster members per status. The node refreshes them on a timer, so a scrape
 * costs no query. A queue or status no longer seen reads 0.
 */
public final class StateGauges {
  private record Key(String name, String tagKey1, String tag1, String tagKey2, String tag2) {}

  private final MeterRegistry registry;
  private final Map<Key, AtomicLong> values = new ConcurrentHashMap<>();

  public StateGauges(MeterRegistry registry) {
    this.registry = registry;
  }

  /**
   * Sets {@code tasker_queue_depth{queue, state}} from the index's counts: one state per task
   * status, and {@code due_waiting}, the scheduled tasks already due (a subset of {@code
   * scheduled}, so summing all states double-counts them).
   */
  public void queueDepths(List<QueueCounts> counts) {
    Set<Key> seen = new HashSet<>();
    for (QueueCounts queue : counts) {
      for (TaskStatus status : TaskStatus.values()) {
        Key key = new Key("tasker.queue.depth", "queue", queue.queue(),
            "state", status.name().toLowerCase(Locale.ROOT));
        seen.add(key);
        gauge(key, "Tasks per queue and state (from the task index)")
            .set(queue.byStatus().get(status));
      }
      Key due = new Key("tasker.queue.depth", "queue", queue.queue(), "state", "due_waiting");
      seen.add(due);
      gauge(due, "Tasks per queue and state (from the task index)").set(queue.dueWaiting());
    }
    zeroOthers("tasker.queue.depth", seen);
  }

  /** Sets {@code tasker_cluster_members{status}} and the unreachable ones. */
  public void members(Map<String, Long> byStatus, long unreachable) {
    Set<Key> seen = new HashSet<>();
    byStatus.forEach((status, count) -> {
      Key key = new Key("tasker.cluster.members", "status", status.toLowerCase(Locale.ROOT),
          null, null);
      seen.add(key);
      gauge(key, "Cluster members per status, as this node sees them").set(count);
    });
    zeroOthers("tasker.cluster.members", seen);
    gauge(new Key("tasker.cluster.members.unreachable", null, null, null, null),
        "Cluster members this node cannot reach").set(unreachable);
  }

  private void zeroOthers(String name, Set<Key> seen) {
    values.forEach((key, value) -> {
      if (key.name().equals(name) && !seen.contains(key)) {
        value.set(0);
      }
    });
  }

  private AtomicLong gauge(Key key, String description) {
    AtomicLong value = values.get(key);
    return value != null ? value : values.computeIfAbsent(key, k -> {
      AtomicLong created = new AtomicLong();
      Gauge.Builder<AtomicLong> builder =
          Gauge.builder(k.name(), created, AtomicLong::get).description(description);
      if (k.tagKey1() != null) {
        builder.tag(k.tagKey1(), k.tag1());
      }
      if (k.tagKey2() != null) {
        builder.tag(k.tagKey2(), k.tag2());
      }
      builder.register(registry);
      return created;
    });
  }
}
