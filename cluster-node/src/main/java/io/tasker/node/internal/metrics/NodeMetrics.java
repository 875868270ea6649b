package io.tasker.node.internal.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.tasker.protocol.QueueCounts;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.typed.Cluster;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A node's meters, one part per concern, and the timer that refreshes its state gauges. */
public final class NodeMetrics implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NodeMetrics.class);

  private final MeterRegistry registry;
  private final TaskMeters tasks;
  private final QueueMeters queues;
  private final ScheduleMeters schedules;
  private final JournalMeters journal;
  private final EnqueueMeters enqueues;
  private final StateGauges state;
  private final AtomicBoolean refreshing = new AtomicBoolean();
  private volatile Cancellable refresher;

  public NodeMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.tasks = new TaskMeters(registry);
    this.queues = new QueueMeters(registry);
    this.schedules = new ScheduleMeters(registry);
    this.journal = new JournalMeters(registry);
    this.enqueues = new EnqueueMeters(registry);
    this.state = new StateGauges(registry);
  }

  public MeterRegistry registry() {
    return registry;
  }

  public TaskMeters tasks() {
    return tasks;
  }

  public QueueMeters queues() {
    return queues;
  }

  public ScheduleMeters schedules() {
    return schedules;
  }

  public JournalMeters journal() {
    return journal;
  }

  public EnqueueMeters enqueues() {
    return enqueues;
  }

  /**
   * Refreshes the queue depth and membership gauges every {@code interval}, skipping a round
   * while the previous count query is still running (a slow database gets no query storm).
   */
  public void refreshEvery(Duration interval, ActorSystem<?> system,
      Supplier<CompletionStage<List<QueueCounts>>> counts) {
    refresher = system.scheduler().scheduleWithFixedDelay(Duration.ZERO, interval,
        () -> refresh(system, counts), system.executionContext());
  }

  private void refresh(ActorSystem<?> system, Supplier<CompletionStage<List<QueueCounts>>> counts) {
    Cluster cluster = Cluster.get(system);
    Map<String, Long> byStatus = new HashMap<>();
    cluster.state().getMembers()
        .forEach(member -> byStatus.merge(member.status().toString(), 1L, Long::sum));
    state.members(byStatus, cluster.state().getUnreachable().stream()
        .map(Member::address).distinct().count());
    if (!refreshing.compareAndSet(false, true)) {
      return;
    }
    try {
      counts.get().whenComplete((found, failure) -> {
        refreshing.set(false);
        if (failure != null) {
          log.debug("queue depth gauges not refreshed: {}", failure.toString());
        } else {
          state.queueDepths(found);
        }
      });
    } catch (RuntimeException failure) {
      refreshing.set(false);
      log.debug("queue depth gauges not refreshed: {}", failure.toString());
    }
  }

  @Override
  public void close() {
    Cancellable timer = refresher;
    if (timer != null) {
      timer.cancel();
    }
  }
}
