package io.tasker.node.queue;

import java.time.Clock;
import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * What a queue manager needs from its node.
 *
 * @param permitLease how long a permit lives without renewal
 * @param startUpGrace how long a manager that starts for a queue seen before grants nothing,
 *     learning from the renewals of running tasks who holds permits: one renewal period of the
 *     tasks ({@code tasker.permits.keep-alive}) plus a margin for delivery
 * @param ticker a {@link System#nanoTime()}-like reading for leases, the rate limit and the
 *     start-up grace (tests pass a settable one)
 * @param clock the time recorded in settings events
 */
public record QueueRuntime(
    Duration permitLease, Duration startUpGrace, LongSupplier ticker, Clock clock) {

  /** @return a runtime on the system's clocks */
  public static QueueRuntime of(Duration permitLease, Duration startUpGrace) {
    return new QueueRuntime(permitLease, startUpGrace, System::nanoTime, Clock.systemUTC());
  }
}
