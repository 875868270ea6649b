package io.tasker.protocol;

/**
 * The limits a queue enforces across the whole cluster. Zero means unlimited.
 *
 * @param maxConcurrency most tasks of the queue running at once
 * @param maxConcurrencyPerKey most tasks running at once that share a concurrency key (e.g. a
 *     tenant)
 * @param ratePerSecond most task starts per second, as the refill rate of a token bucket
 * @param burst the bucket's capacity: starts allowed at once after a quiet period (0 with a rate
 *     means one second's worth)
 * @param paused when true, no task of the queue starts; running ones finish
 */
public record QueueLimits(
    int maxConcurrency, int maxConcurrencyPerKey, double ratePerSecond, int burst, boolean paused)
    implements TaskerSerializable {

  /** No limits at all. */
  public static final QueueLimits UNLIMITED = new QueueLimits(0, 0, 0, 0);

  /** Limits of a queue that is not paused. */
  public QueueLimits(int maxConcurrency, int maxConcurrencyPerKey, double ratePerSecond, int burst) {
    this(maxConcurrency, maxConcurrencyPerKey, ratePerSecond, burst, false);
  }

  /** @throws ValidationException naming the offending field */
  public QueueLimits {
    Validation.range("maxConcurrency", maxConcurrency, 0, 1_000_000);
    Validation.range("maxConcurrencyPerKey", maxConcurrencyPerKey, 0, 1_000_000);
    if (!(ratePerSecond >= 0 && ratePerSecond <= 1_000_000)) {
      throw new ValidationException("rate", "must be between 0 (unlimited) and 1000000 per second");
    }
    Validation.range("burst", burst, 0, 1_000_000);
    if (ratePerSecond > 0 && burst == 0) {
      burst = Math.max(1, (int) Math.ceil(ratePerSecond));
    }
  }

  /** @return a copy with the given global concurrency limit */
  public QueueLimits withMaxConcurrency(int value) {
    return new QueueLimits(value, maxConcurrencyPerKey, ratePerSecond, burst, paused);
  }

  /** @return a copy with the given per-key concurrency limit */
  public QueueLimits withMaxConcurrencyPerKey(int value) {
    return new QueueLimits(maxConcurrency, value, ratePerSecond, burst, paused);
  }

  /** @return a copy with the given rate (per second) and burst */
  public QueueLimits withRate(double perSecond, int burst) {
    return new QueueLimits(maxConcurrency, maxConcurrencyPerKey, perSecond, burst, paused);
  }

  /** @return a copy that is paused or not */
  public QueueLimits withPaused(boolean value) {
    return new QueueLimits(maxConcurrency, maxConcurrencyPerKey, ratePerSecond, burst, value);
  }
}
