package io.tasker.node.internal.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.tasker.node.task.TaskEntity;
import io.tasker.node.task.TaskMetrics;
import io.tasker.protocol.AttemptOutcome;
import io.tasker.protocol.TaskSpec;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Task counters and histograms by {@code queue} and {@code type}. Meters are looked up once per
 * queue and type and kept: a registry lookup per event showed in the cost per task.
 */
public final class TaskMeters implements TaskMetrics {
  private record Key(String queue, String type) {}

  /** The meters of one queue and type. */
  private static final class Meters {
    final Counter enqueued;
    final Counter started;
    final Counter succeeded;
    final Map<AttemptOutcome, Counter> failed = new EnumMap<>(AttemptOutcome.class);
    final Counter dead;
    final Counter cancelled;
    final Timer execution;
    final Timer lateness;

    Meters(MeterRegistry registry, Key key) {
      Tags tags = Tags.of("queue", key.queue(), "type", key.type());
      enqueued = counter(registry, "tasker.tasks.enqueued", "Tasks accepted", tags);
      started = counter(registry, "tasker.tasks.started", "Attempts started", tags);
      succeeded = counter(registry, "tasker.tasks.succeeded", "Tasks succeeded", tags);
      for (AttemptOutcome outcome : FAILURES) {
        failed.put(outcome, counter(registry, "tasker.tasks.failed",
            "Attempts failed (thrown, timed out, or lost with their node)",
            tags.and("outcome", outcome.name().toLowerCase(Locale.ROOT))));
      }
      dead = counter(registry, "tasker.tasks.dead", "Tasks dead-lettered", tags);
      cancelled = counter(registry, "tasker.tasks.cancelled", "Tasks cancelled", tags);
      execution = Histograms.timer("tasker.task.execution", "How long handlers ran")
          .tags(tags).register(registry);
      lateness = Histograms.timer("tasker.task.lateness",
          "How long after their run time handlers started").tags(tags).register(registry);
    }

    private static Counter counter(MeterRegistry registry, String name, String help, Tags tags) {
      return Counter.builder(name).description(help).tags(tags).register(registry);
    }
  }

  private static final AttemptOutcome[] FAILURES = {
    AttemptOutcome.FAILED, AttemptOutcome.TIMED_OUT, AttemptOutcome.LOST
  };

  private final MeterRegistry registry;
  private final Map<Key, Meters> meters = new ConcurrentHashMap<>();
  private final LatenessSamples latenessSamples = new LatenessSamples();

  public TaskMeters(MeterRegistry registry) {
    this.registry = registry;
  }

  @Override
  public void recorded(TaskSpec spec, TaskEntity.Event event) {
    Meters m = meters(spec);
    if (event instanceof TaskEntity.Enqueued) {
      m.enqueued.increment();
    } else if (event instanceof TaskEntity.AttemptStarted) {
      m.started.increment();
    } else if (event instanceof TaskEntity.AttemptSucceeded) {
      m.succeeded.increment();
    } else if (event instanceof TaskEntity.AttemptFailed failed) {
      countFailure(m, failed.failure().outcome());
    } else if (event instanceof TaskEntity.DeadLettered dead) {
      countFailure(m, dead.failure().outcome());
      m.dead.increment();
    } else if (event instanceof TaskEntity.Cancelled) {
      m.cancelled.increment();
    }
  }

  private static void countFailure(Meters m, AttemptOutcome outcome) {
    Counter failed = m.failed.get(outcome);
    if (failed != null) {
      failed.increment();
    }
  }

  @Override
  public void ran(TaskSpec spec, Duration lateness, Duration execution, AttemptOutcome outcome) {
    Meters m = meters(spec);
    m.execution.record(execution);
    m.lateness.record(lateness.isNegative() ? Duration.ZERO : lateness);
    latenessSamples.record(spec.queue(), lateness);
  }

  /** @return this node's recent lateness per queue (for the lateness alert) */
  public LatenessSamples latenessSamples() {
    return latenessSamples;
  }

  private Meters meters(TaskSpec spec) {
    Key key = new Key(spec.queue(), spec.type());
    Meters found = meters.get(key);
    return found != null ? found : meters.computeIfAbsent(key, k -> new Meters(registry, k));
  }
}
