package io.tasker.node;

import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import io.tasker.node.middleware.LoggingMiddleware;
import io.tasker.node.middleware.MetricsMiddleware;
import io.tasker.node.middleware.RateLimitMiddleware;
import io.tasker.node.middleware.TimeoutMiddleware;
import io.tasker.node.middleware.TracingMiddleware;
import java.time.Duration;
import org.slf4j.event.Level;

/**
 * The built-in middlewares, each usable alone; register them with {@link
 * TaskerBuilder#middleware} or configure them in {@code tasker.middleware}.
 */
public final class Middlewares {
  private Middlewares() {}

  /**
   * @return logs each attempt's start and end (logger {@code io.tasker.middleware.logging}) at
   *     {@code level}, with the payload if {@code payload}
   */
  public static TaskMiddleware logging(Level level, boolean payload) {
    return new LoggingMiddleware(level, payload);
  }

  /**
   * @return times what is inside it in the chain, per type, queue and outcome, as {@code
   *     tasker.middleware.handler} in {@code registry}
   */
  public static TaskMiddleware metrics(MeterRegistry registry) {
    return new MetricsMiddleware(registry);
  }

  /**
   * @return ends the attempts of its scope after {@code after} when their own timeout is longer
   *     (the attempt then ends TIMED_OUT, and is retried like any timeout)
   */
  public static TaskMiddleware timeout(Duration after) {
    return new TimeoutMiddleware(after);
  }

  /**
   * @return lets at most {@code perSecond} attempts of its scope a second through on this node
   *     (bursts up to {@code burst}); the others wait for their turn within their timeout
   */
  public static TaskMiddleware rateLimit(double perSecond, int burst) {
    return new RateLimitMiddleware(perSecond, burst);
  }

  /**
   * @param processAsChild each attempt's span a child of the enqueue's span, instead of linked
   * @return OpenTelemetry spans {@code send {queue}} at enqueue and {@code process {queue}}
   *     around each attempt; {@link TaskerBuilder#openTelemetry} adds it outermost
   */
  public static TaskMiddleware tracing(OpenTelemetry openTelemetry, boolean processAsChild) {
    return new TracingMiddleware(openTelemetry, processAsChild);
  }
}
