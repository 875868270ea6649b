package io.tasker.bench;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * What every system's handler calls, written once: counts attempts per task, takes the start
 * time of each first attempt (for lateness), fails the first attempt of the tasks the workload
 * chose, and counts down a latch when a task succeeds. A task that succeeds twice or is run more
 * often than planned is counted as a duplicate, never as progress.
 */
public final class Sink {
  /** Thrown by the handler on purpose; no stack trace, so failures cost the same everywhere. */
  public static final class IntentionalFailure extends RuntimeException {
    IntentionalFailure() {
      super("intentional first-attempt failure", null, false, false);
    }
  }

  private final int tasks;
  private final int failEvery;
  private final AtomicIntegerArray attempts;
  private final AtomicIntegerArray succeeded;
  private final AtomicLongArray firstStartMicros;
  private final AtomicLong firstRunNanos = new AtomicLong(Long.MAX_VALUE);
  private final AtomicLong lastSuccessNanos = new AtomicLong(Long.MIN_VALUE);
  private final AtomicLong duplicates = new AtomicLong();
  private final AtomicLong failuresThrown = new AtomicLong();
  private final AtomicLong unknown = new AtomicLong();
  private final CountDownLatch allSucceeded;

  /**
   * @param tasks tasks in the workload
   * @param failEvery 0: no failures; k: tasks with {@code seq % k == 0} fail their first attempt
   */
  public Sink(int tasks, int failEvery) {
    this.tasks = tasks;
    this.failEvery = failEvery;
    this.attempts = new AtomicIntegerArray(tasks);
    this.succeeded = new AtomicIntegerArray(tasks);
    this.firstStartMicros = new AtomicLongArray(tasks);
    this.allSucceeded = new CountDownLatch(tasks);
  }

  /** The handler body of every system under test. */
  public void run(int seq) {
    long now = System.nanoTime();
    if (seq < 0 || seq >= tasks) {
      unknown.incrementAndGet();
      return;
    }
    int attempt = attempts.incrementAndGet(seq);
    if (attempt == 1) {
      // the wall clock the systems compare run times with, to the microsecond
      java.time.Instant start = java.time.Instant.now();
      firstStartMicros.set(seq, start.getEpochSecond() * 1_000_000 + start.getNano() / 1000);
    }
    firstRunNanos.accumulateAndGet(now, Math::min);
    if (attempt == 1 && plannedToFail(seq)) {
      failuresThrown.incrementAndGet();
      throw new IntentionalFailure();
    }
    if (succeeded.compareAndSet(seq, 0, 1)) {
      lastSuccessNanos.accumulateAndGet(now, Math::max);
      allSucceeded.countDown();
    } else {
      duplicates.incrementAndGet();
    }
  }

  boolean plannedToFail(int seq) {
    return failEvery > 0 && seq % failEvery == 0;
  }

  /** @return true if every task succeeded within the time */
  public boolean await(long timeout, TimeUnit unit) throws InterruptedException {
    return allSucceeded.await(timeout, unit);
  }

  public long remaining() {
    return allSucceeded.getCount();
  }

  public long firstRunNanos() {
    return firstRunNanos.get();
  }

  public long lastSuccessNanos() {
    return lastSuccessNanos.get();
  }

  public long duplicates() {
    return duplicates.get();
  }

  public long failuresThrown() {
    return failuresThrown.get();
  }

  public long unknown() {
    return unknown.get();
  }

  public int attempts(int seq) {
    return attempts.get(seq);
  }

  /** @return start of the first attempt (epoch microseconds), 0 if it never ran */
  public long firstStartMicros(int seq) {
    return firstStartMicros.get(seq);
  }

  public int tasks() {
    return tasks;
  }
}
