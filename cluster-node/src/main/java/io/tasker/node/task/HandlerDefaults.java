package io.tasker.node.task;

import io.tasker.protocol.Backoff;
import java.time.Duration;
import java.util.List;

/**
 * The settings a task takes from its handler when its enqueue request leaves them open.
 *
 * @param queue the queue tasks go to
 * @param maxAttempts attempts before dead-lettering
 * @param backoff delays between attempts
 * @param timeout longest run of one attempt
 * @param nonRetryable exception types that send a task straight to {@code DEAD}
 */
public record HandlerDefaults(
    String queue,
    int maxAttempts,
    Backoff backoff,
    Duration timeout,
    List<Class<? extends Throwable>> nonRetryable) {

  public HandlerDefaults {
    nonRetryable = List.copyOf(nonRetryable);
  }

  public HandlerDefaults withQueue(String value) {
    return new HandlerDefaults(value, maxAttempts, backoff, timeout, nonRetryable);
  }

  public HandlerDefaults withMaxAttempts(int value) {
    return new HandlerDefaults(queue, value, backoff, timeout, nonRetryable);
  }

  public HandlerDefaults withBackoff(Backoff value) {
    return new HandlerDefaults(queue, maxAttempts, value, timeout, nonRetryable);
  }

  public HandlerDefaults withTimeout(Duration value) {
    return new HandlerDefaults(queue, maxAttempts, backoff, value, nonRetryable);
  }

  public HandlerDefaults withNonRetryable(List<Class<? extends Throwable>> value) {
    return new HandlerDefaults(queue, maxAttempts, backoff, timeout, value);
  }

  boolean isNonRetryable(Throwable error) {
    return nonRetryable.stream().anyMatch(type -> type.isInstance(error));
  }
}
