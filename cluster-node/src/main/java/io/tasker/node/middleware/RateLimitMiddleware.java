package io.tasker.node.middleware;

import io.tasker.node.TaskContext;
import io.tasker.node.TaskMiddleware;
import io.tasker.node.queue.TokenBucket;
import java.util.concurrent.TimeUnit;

/**
 * Starts at most {@code perSecond} handler calls a second (bursts up to {@code burst}) on this
 * node, over all the tasks of its scope: an attempt waits for a token before going on. The wait
 * counts towards the attempt's timeout and ends early when the attempt is cancelled. (Queue
 * rate limits, {@code tasker.queues.<q>.rate}, are cluster-wide; this one is node-local.)
 */
public final class RateLimitMiddleware implements TaskMiddleware {
  private final TokenBucket bucket; // guarded by this

  public RateLimitMiddleware(double perSecond, int burst) {
    if (!(perSecond > 0) || burst < 1) {
      throw new IllegalArgumentException(
          "rate-limit middleware: 'per-second' must be positive and 'burst' at least 1");
    }
    this.bucket = new TokenBucket(perSecond, burst, System.nanoTime());
  }

  @Override
  public Object around(Object payload, TaskContext context, Next next) throws Exception {
    while (true) {
      long wait;
      synchronized (this) {
        long now = System.nanoTime();
        if (bucket.tryAcquire(now)) {
          break;
        }
        wait = bucket.nanosUntilNextToken(now);
      }
      TimeUnit.NANOSECONDS.sleep(Math.max(wait, 1)); // interrupted by a timeout or cancel
    }
    return next.proceed();
  }
}
