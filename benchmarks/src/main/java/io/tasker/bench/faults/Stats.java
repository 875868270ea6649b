package io.tasker.bench.faults;

import java.util.List;

/** Percentiles of durations in milliseconds (nearest rank); null for no values. */
final class Stats {
  private Stats() {}

  static Long percentile(List<Long> millis, double p) {
    if (millis.isEmpty()) {
      return null;
    }
    List<Long> sorted = millis.stream().sorted().toList();
    return sorted.get((int) Math.min(sorted.size() - 1, Math.ceil(p * sorted.size()) - 1));
  }

  static Long max(List<Long> millis) {
    return millis.stream().max(Long::compare).orElse(null);
  }

  static Long min(List<Long> millis) {
    return millis.stream().min(Long::compare).orElse(null);
  }
}
