package io.tasker.node.internal.metrics;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.tasker.node.journal.JournalMetrics;
import java.util.concurrent.TimeUnit;

/** Events per journal transaction, and how long each took to commit. */
public final class JournalMeters implements JournalMetrics {
  private final DistributionSummary batchSize;
  private final Timer commit;

  public JournalMeters(MeterRegistry registry) {
    batchSize = DistributionSummary.builder("tasker.journal.batch.size")
        .description("Events written per journal transaction")
        .serviceLevelObjectives(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
        .register(registry);
    commit = Histograms.timer("tasker.journal.commit",
        "How long a journal transaction took, first statement to commit").register(registry);
  }

  @Override
  public void committed(int events, long commitNanos) {
    batchSize.record(events);
    commit.record(commitNanos, TimeUnit.NANOSECONDS);
  }
}
