package io.tasker.node.queue;

/**
 * A token bucket on a monotonic nanosecond clock: {@code ratePerSecond} tokens flow in, at most
 * {@code burst} are kept. A rate of zero means unlimited. Not thread-safe: owned by one actor.
 */
public final class TokenBucket {
  private static final double NANOS_PER_SECOND = 1_000_000_000d;
  // refills add up in floating point; a token promised by nanosUntilNextToken must be there
  private static final double WHOLE = 1 - 1e-12;

  private final double ratePerNano;
  private final int burst;
  private double tokens;
  private long lastRefillNanos;

  public TokenBucket(double ratePerSecond, int burst, long nowNanos) {
    this.ratePerNano = ratePerSecond / NANOS_PER_SECOND;
    this.burst = burst;
    this.tokens = burst;
    this.lastRefillNanos = nowNanos;
  }

  public boolean isUnlimited() {
    return ratePerNano == 0;
  }

  /** @return true and takes a token if one is there */
  public boolean tryAcquire(long nowNanos) {
    if (isUnlimited()) {
      return true;
    }
    refill(nowNanos);
    if (tokens >= WHOLE) {
      tokens -= 1;
      return true;
    }
    return false;
  }

  /** @return nanoseconds until the next whole token, 0 if one is there now */
  public long nanosUntilNextToken(long nowNanos) {
    if (isUnlimited()) {
      return 0;
    }
    refill(nowNanos);
    return tokens >= WHOLE ? 0 : (long) Math.ceil((1 - tokens) / ratePerNano);
  }

  private void refill(long nowNanos) {
    long elapsed = nowNanos - lastRefillNanos;
    if (elapsed > 0) {
      tokens = Math.min(burst, tokens + elapsed * ratePerNano);
      lastRefillNanos = nowNanos;
    }
  }
}
