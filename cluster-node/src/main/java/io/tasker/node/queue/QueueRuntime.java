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
 * @param maxWaiting the most permit requests a manager keeps waiting in memory; beyond it new
 *     requests are answered {@link QueueManager.Parked} ({@code tasker.permits.max-waiting})
 * @param parked the parked tasks in the task index, and a way to wake them
 * @param ticker a {@link System#nanoTime()}-like reading for leases, the rate limit and the
 *     start-up grace (tests pass a settable one)
 * @param clock the time recorded in settings events
 * @param metrics where the manager reports its permit table
 */
public record QueueRuntime(
    Duration permitLease,
    Duration startUpGrace,
    int maxWaiting,
    ParkedTasks parked,
    LongSupplier ticker,
    Clock clock,
    QueueMetrics metrics) {

  public QueueRuntime {
    if (maxWaiting < 2) {
      throw new IllegalArgumentException("maxWaiting must be at least 2, was " + maxWaiting);
    }
  }

  /** A runtime that reports no metrics (tests). */
  public QueueRuntime(Duration permitLease, Duration startUpGrace, int maxWaiting,
      ParkedTasks parked, LongSupplier ticker, Clock clock) {
    this(permitLease, startUpGrace, maxWaiting, parked, ticker, clock, QueueMetrics.NONE);
  }

  /** The default of {@code tasker.permits.max-waiting}. */
  public static final int DEFAULT_MAX_WAITING = 10_000;

  /** @return a runtime on the system's clocks, without parked tasks (for tests) */
  public static QueueRuntime of(Duration permitLease, Duration startUpGrace) {
    return of(permitLease, startUpGrace, DEFAULT_MAX_WAITING, ParkedTasks.NONE);
  }

  /** @return a runtime on the system's clocks */
  public static QueueRuntime of(
      Duration permitLease, Duration startUpGrace, int maxWaiting, ParkedTasks parked) {
    return of(permitLease, startUpGrace, maxWaiting, parked, QueueMetrics.NONE);
  }

  /** @return a runtime on the system's clocks, reporting to {@code metrics} */
  public static QueueRuntime of(Duration permitLease, Duration startUpGrace, int maxWaiting,
      ParkedTasks parked, QueueMetrics metrics) {
    return new QueueRuntime(permitLease, startUpGrace, maxWaiting, parked, System::nanoTime,
        Clock.systemUTC(), metrics);
  }
}
