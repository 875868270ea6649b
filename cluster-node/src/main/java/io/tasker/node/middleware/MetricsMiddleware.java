package io.tasker.node.middleware;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.tasker.node.TaskContext;
import io.tasker.node.TaskMiddleware;

/**
 * Times the middlewares inside it and the handler, per task type, queue and outcome, as {@code
 * tasker.middleware.handler} (the node's own {@code tasker.task.execution} times the whole
 * attempt; this one sees only what is inside it in the chain).
 */
public final class MetricsMiddleware implements TaskMiddleware {
  static final String TIMER = "tasker.middleware.handler";

  private final MeterRegistry registry;

  public MetricsMiddleware(MeterRegistry registry) {
    this.registry = registry;
  }

  @Override
  public Object around(Object payload, TaskContext context, Next next) throws Exception {
    long started = System.nanoTime();
    String outcome = "failed";
    try {
      Object result = next.proceed();
      outcome = "succeeded";
      return result;
    } finally {
      Timer.builder(TIMER)
          .description("Handler calls as seen by the metrics middleware")
          .tags("type", context.type(), "queue", context.queue(), "outcome", outcome)
          .register(registry)
          .record(System.nanoTime() - started, java.util.concurrent.TimeUnit.NANOSECONDS);
    }
  }
}
