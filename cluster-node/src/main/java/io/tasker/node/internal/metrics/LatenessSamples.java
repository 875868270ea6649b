package io.tasker.node.internal.metrics;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The latest lateness samples of this node's attempts, per queue, for the lateness alert: kept
 * apart from the meter registry, which may record nothing (a composite with no registry in
 * it). At most {@link #CAPACITY} samples per queue, so a p99 is exact over the window or over
 * the last samples, whichever is fewer, and costs one sort of them per check.
 */
public final class LatenessSamples {
  static final int CAPACITY = 4096;

  private record Sample(long atNanos, long latenessNanos) {}

  private final Map<String, ArrayDeque<Sample>> byQueue = new ConcurrentHashMap<>();
  private volatile boolean enabled;

  /** Starts keeping samples (off unless a lateness alert is configured: no cost otherwise). */
  public void enable() {
    enabled = true;
  }

  void record(String queue, Duration lateness) {
    if (!enabled) {
      return;
    }
    ArrayDeque<Sample> samples = byQueue.computeIfAbsent(queue, q -> new ArrayDeque<>());
    synchronized (samples) {
      if (samples.size() == CAPACITY) {
        samples.removeFirst();
      }
      samples.addLast(new Sample(System.nanoTime(), Math.max(0, lateness.toNanos())));
    }
  }

  /**
   * @param window per queue, how far back samples count
   * @return per queue with samples in its window, their 99th percentile in seconds
   */
  public Map<String, Double> p99(Function<String, Duration> window) {
    long now = System.nanoTime();
    Map<String, Double> p99 = new TreeMap<>();
    byQueue.forEach((queue, samples) -> {
      long since = now - window.apply(queue).toNanos();
      long[] recent;
      synchronized (samples) {
        while (!samples.isEmpty() && samples.peekFirst().atNanos() - since < 0) {
          samples.removeFirst();
        }
        recent = samples.stream().mapToLong(Sample::latenessNanos).toArray();
      }
      if (recent.length > 0) {
        Arrays.sort(recent);
        int rank = (int) Math.ceil(0.99 * recent.length) - 1;
        p99.put(queue, recent[Math.max(0, rank)] / 1e9);
      }
    });
    return p99;
  }
}
