package io.tasker.node;

import io.tasker.protocol.QueueLimits;

/** Limits of one queue, set in {@link TaskerBuilder#queue(String, java.util.function.Consumer)}. */
public final class QueueOptions {
  private QueueLimits limits;

  QueueOptions(QueueLimits configured) {
    this.limits = configured;
  }

  /** @return these options with at most {@code max} tasks running at once (0 = unlimited) */
  public QueueOptions maxConcurrency(int max) {
    limits = limits.withMaxConcurrency(max);
    return this;
  }

  /** @return these options with at most {@code max} running per concurrency key (0 = unlimited) */
  public QueueOptions maxConcurrencyPerKey(int max) {
    limits = limits.withMaxConcurrencyPerKey(max);
    return this;
  }

  /**
   * @param perSecond starts per second (0 = unlimited)
   * @param burst starts allowed at once after a quiet period
   * @return these options with a token-bucket rate limit
   */
  public QueueOptions rate(double perSecond, int burst) {
    limits = limits.withRate(perSecond, burst);
    return this;
  }

  /** @return these options with the queue paused (no task starts until resumed) */
  public QueueOptions pause() {
    limits = limits.withPaused(true);
    return this;
  }

  QueueLimits build() {
    return limits;
  }
}
