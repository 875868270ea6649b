package io.tasker.node.middleware;

import io.tasker.node.TaskContext;
import io.tasker.node.TaskMiddleware;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/** Logs each attempt's start and end at one level, with or without its payload. */
public final class LoggingMiddleware implements TaskMiddleware {
  static final Logger LOG = LoggerFactory.getLogger("io.tasker.middleware.logging");

  private final Level level;
  private final boolean payload;

  public LoggingMiddleware(Level level, boolean payload) {
    this.level = level;
    this.payload = payload;
  }

  @Override
  public Object around(Object input, TaskContext context, Next next) throws Exception {
    if (!LOG.isEnabledForLevel(level)) {
      return next.proceed();
    }
    LOG.atLevel(level).log("task {} [{}] attempt {} in queue {} started{}", context.taskId(),
        context.type(), context.attempt(), context.queue(), payload ? " with " + input : "");
    long started = System.nanoTime();
    try {
      Object result = next.proceed();
      LOG.atLevel(level).log("task {} [{}] attempt {} succeeded in {} ms", context.taskId(),
          context.type(), context.attempt(), (System.nanoTime() - started) / 1_000_000);
      return result;
    } catch (Exception e) {
      LOG.atLevel(level).log("task {} [{}] attempt {} failed in {} ms: {}", context.taskId(),
          context.type(), context.attempt(), (System.nanoTime() - started) / 1_000_000,
          e.toString());
      throw e;
    }
  }
}
