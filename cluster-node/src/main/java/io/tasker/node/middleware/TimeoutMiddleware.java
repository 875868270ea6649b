package io.tasker.node.middleware;

import io.tasker.node.TaskMiddleware;
import io.tasker.node.task.MiddlewareChain;
import java.time.Duration;

/**
 * Shortens the attempts in its scope to {@code after} (when the task's own timeout is longer).
 * The attempt's own watchdog enforces it: the handler is interrupted, the attempt ends TIMED_OUT
 * and is retried like any timeout.
 */
public final class TimeoutMiddleware implements TaskMiddleware, MiddlewareChain.AttemptTimeout {
  private final Duration after;

  public TimeoutMiddleware(Duration after) {
    if (after == null || after.isNegative() || after.isZero()) {
      throw new IllegalArgumentException("timeout middleware: 'after' must be positive");
    }
    this.after = after;
  }

  @Override
  public Duration after() {
    return after;
  }
}
