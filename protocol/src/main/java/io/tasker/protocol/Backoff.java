package io.tasker.protocol;

import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * How long a task waits before its next attempt after a failure.
 *
 * <p>For the n-th retry (n = 1 after the first failure) the base delay is {@code initialDelay}
 * for {@link Kind#FIXED}, {@code initialDelay × (1 + factor × (n − 1))} for {@link Kind#LINEAR}
 * and {@code initialDelay × factor^(n − 1)} for {@link Kind#EXPONENTIAL}, capped at {@code
 * maxDelay}. Jitter then takes a random share of up to {@code jitter} off the delay, so retries
 * of many tasks failing together spread out instead of arriving in waves.
 *
 * @param kind the growth of the delay
 * @param initialDelay the delay before the first retry
 * @param factor growth factor (≥ 1 for exponential, ≥ 0 for linear, ignored for fixed)
 * @param maxDelay upper bound of any delay
 * @param jitter share of the delay that is randomized, from 0 (none) to 1
 */
public record Backoff(
    Kind kind, Duration initialDelay, double factor, Duration maxDelay, double jitter)
    implements TaskerSerializable {

  /** The growth of the delay between attempts. */
  public enum Kind {
    FIXED,
    LINEAR,
    EXPONENTIAL
  }

  /** The default jitter share. */
  public static final double DEFAULT_JITTER = 0.2;

  private static final Duration MAX = Duration.ofDays(30);

  /** @throws ValidationException naming the offending field */
  public Backoff {
    if (kind == null) {
      throw new ValidationException("backoff.kind", "must be one of fixed, linear, exponential");
    }
    if (initialDelay == null || initialDelay.isNegative() || initialDelay.compareTo(MAX) > 0) {
      throw new ValidationException("backoff.initialDelay", "must be between 0 and " + MAX);
    }
    if (maxDelay == null || maxDelay.compareTo(initialDelay) < 0 || maxDelay.compareTo(MAX) > 0) {
      throw new ValidationException(
          "backoff.maxDelay", "must be at least initialDelay and at most " + MAX);
    }
    double minFactor = kind == Kind.EXPONENTIAL ? 1.0 : 0.0;
    if (!(factor >= minFactor && factor <= 100)) {
      throw new ValidationException(
          "backoff.factor", "must be between " + minFactor + " and 100 for " + kind);
    }
    if (!(jitter >= 0 && jitter <= 1)) {
      throw new ValidationException("backoff.jitter", "must be between 0 and 1");
    }
  }

  /**
   * @param delay the same delay before every retry
   * @return a fixed backoff with the default jitter
   */
  public static Backoff fixed(Duration delay) {
    return new Backoff(Kind.FIXED, delay, 1.0, delay, DEFAULT_JITTER);
  }

  /**
   * @param initialDelay delay before the first retry; each retry waits one more of it
   * @param maxDelay upper bound
   * @return a linear backoff with the default jitter
   */
  public static Backoff linear(Duration initialDelay, Duration maxDelay) {
    return new Backoff(Kind.LINEAR, initialDelay, 1.0, maxDelay, DEFAULT_JITTER);
  }

  /**
   * @param initialDelay delay before the first retry
   * @param factor multiplier per retry
   * @param maxDelay upper bound
   * @return an exponential backoff with the default jitter
   */
  public static Backoff exponential(Duration initialDelay, double factor, Duration maxDelay) {
    return new Backoff(Kind.EXPONENTIAL, initialDelay, factor, maxDelay, DEFAULT_JITTER);
  }

  /**
   * @param share share of each delay to randomize, 0 to 1
   * @return this backoff with the given jitter
   */
  public Backoff withJitter(double share) {
    return new Backoff(kind, initialDelay, factor, maxDelay, share);
  }

  /** @return this backoff without jitter: delays are exact */
  public Backoff withoutJitter() {
    return withJitter(0);
  }

  /**
   * @param retry 1 for the retry after the first failure, 2 after the second, …
   * @param random source of uniform numbers in [0, 1), used for jitter
   * @return the delay before that retry
   */
  public Duration delayBefore(int retry, DoubleSupplier random) {
    if (retry < 1) {
      throw new IllegalArgumentException("retry must be at least 1, was " + retry);
    }
    double initialMillis = initialDelay.toMillis();
    double millis =
        switch (kind) {
          case FIXED -> initialMillis;
          case LINEAR -> initialMillis * (1 + factor * (retry - 1));
          case EXPONENTIAL -> initialMillis * Math.pow(factor, retry - 1);
        };
    millis = Math.min(millis, maxDelay.toMillis());
    millis -= millis * jitter * random.getAsDouble();
    return Duration.ofMillis(Math.round(millis));
  }
}
