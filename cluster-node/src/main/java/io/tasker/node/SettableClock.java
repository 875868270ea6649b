package io.tasker.node;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * A clock that moves only when told, for tests of anything about time: give it to {@link
 * TaskerBuilder#clock(Clock)}, then {@link #advance(Duration)} it and {@link
 * InlineTasker#runDue()}.
 */
public final class SettableClock extends Clock {
  private volatile Instant now;

  /** @param start the clock's first reading */
  public SettableClock(Instant start) {
    this.now = start;
  }

  /** @return a clock standing at the current time */
  public static SettableClock startingNow() {
    return new SettableClock(Instant.now());
  }

  /** Moves the clock on by {@code duration}. */
  public void advance(Duration duration) {
    now = now.plus(duration);
  }

  /** Sets the clock to {@code instant}. */
  public void set(Instant instant) {
    now = instant;
  }

  @Override
  public Instant instant() {
    return now;
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    throw new UnsupportedOperationException("SettableClock is always UTC");
  }
}
