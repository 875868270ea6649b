package io.tasker.node.internal.metrics;

import io.micrometer.core.instrument.Timer;
import java.time.Duration;

/** The bucket range of Tasker's time histograms: a millisecond to an hour. */
final class Histograms {
  private Histograms() {}

  static Timer.Builder timer(String name, String description) {
    return Timer.builder(name)
        .description(description)
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(1))
        .maximumExpectedValue(Duration.ofHours(1));
  }
}
