package io.tasker.node;

/**
 * User code that performs one kind of task. Returning normally completes the attempt with the
 * returned value as the task's result (any Jackson-serializable value, or {@code null}); throwing
 * fails it and lets the retry policy decide (throw {@link NonRetryableException} to give up at
 * once).
 *
 * <p>Delivery is at least once: an attempt whose node dies is run again, so a handler may see the
 * same task twice. Use {@link TaskContext#taskId()} and {@link TaskContext#attempt()} to make
 * side effects idempotent.
 *
 * @param <P> the payload type, decoded from the task's JSON payload with Jackson
 */
@FunctionalInterface
public interface TaskHandler<P> {

  /**
   * @param payload the decoded payload
   * @param context the task's id, attempt, metadata and cancellation signal
   * @return the result to store, or {@code null}
   * @throws Exception to fail the attempt
   */
  Object handle(P payload, TaskContext context) throws Exception;
}
