package io.tasker.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * A request to enqueue a task, as a caller states it: everything but {@code type} may be left
 * {@code null} and is then taken from the handler's and the node's defaults. Immutable; the
 * {@code withX} methods return copies.
 *
 * @param type the registered task type
 * @param payload the handler's input as JSON
 * @param queue the queue, or {@code null} for the handler's queue
 * @param runAt the earliest start, or {@code null}; exclusive with {@code delay}
 * @param delay start this long from now, or {@code null}; exclusive with {@code runAt}
 * @param priority higher first, or {@code null} for 0
 * @param maxAttempts attempts before dead-lettering, or {@code null}
 * @param backoff delays between attempts, or {@code null}
 * @param timeout longest run of one attempt, or {@code null}
 * @param idempotencyKey makes repeated enqueues in the same queue return the same task
 * @param concurrencyKey the key per-key concurrency limits count by
 * @param metadata free-form string pairs handed to the handler
 */
public record EnqueueRequest(
    String type,
    JsonNode payload,
    String queue,
    Instant runAt,
    Duration delay,
    Integer priority,
    Integer maxAttempts,
    Backoff backoff,
    Duration timeout,
    String idempotencyKey,
    String concurrencyKey,
    Map<String, String> metadata) {

  /**
   * @param type the registered task type
   * @param payload the handler's input as JSON
   * @return a request with every other field left to the defaults
   */
  public static EnqueueRequest of(String type, JsonNode payload) {
    return new EnqueueRequest(
        type, payload, null, null, null, null, null, null, null, null, null, Map.of());
  }

  /**
   * @param now the current time
   * @return when the first attempt may start: {@code runAt}, {@code now + delay}, or now
   * @throws ValidationException if both are given, the delay is negative or too long, or {@code
   *     runAt} is outside {@link Validation#time}'s range
   */
  public Instant resolveRunAt(Instant now) {
    if (runAt != null && delay != null) {
      throw new ValidationException("delay", "give either runAt or delay, not both");
    }
    if (delay != null) {
      return Validation.afterDelay(now, delay, "delay");
    }
    return runAt != null ? Validation.time(now, runAt, "runAt") : now;
  }

  public EnqueueRequest withQueue(String value) {
    return new EnqueueRequest(type, payload, value, runAt, delay, priority, maxAttempts, backoff,
        timeout, idempotencyKey, concurrencyKey, metadata);
  }

  public EnqueueRequest withRunAt(Instant value) {
    return new EnqueueRequest(type, payload, queue, value, null, priority, maxAttempts, backoff,
        timeout, idempotencyKey, concurrencyKey, metadata);
  }

  public EnqueueRequest withDelay(Duration value) {
    return new EnqueueRequest(type, payload, queue, null, value, priority, maxAttempts, backoff,
        timeout, idempotencyKey, concurrencyKey, metadata);
  }

  public EnqueueRequest withPriority(int value) {
    return new EnqueueRequest(type, payload, queue, runAt, delay, value, maxAttempts, backoff,
        timeout, idempotencyKey, concurrencyKey, metadata);
  }

  public EnqueueRequest withMaxAttempts(int value) {
    return new EnqueueRequest(type, payload, queue, runAt, delay, priority, value, backoff,
        timeout, idempotencyKey, concurrencyKey, metadata);
  }

  public EnqueueRequest withBackoff(Backoff value) {
    return new EnqueueRequest(type, payload, queue, runAt, delay, priority, maxAttempts, value,
        timeout, idempotencyKey, concurrencyKey, metadata);
  }

  public EnqueueRequest withTimeout(Duration value) {
    return new EnqueueRequest(type, payload, queue, runAt, delay, priority, maxAttempts, backoff,
        value, idempotencyKey, concurrencyKey, metadata);
  }

  public EnqueueRequest withIdempotencyKey(String value) {
    return new EnqueueRequest(type, payload, queue, runAt, delay, priority, maxAttempts, backoff,
        timeout, value, concurrencyKey, metadata);
  }

  public EnqueueRequest withConcurrencyKey(String value) {
    return new EnqueueRequest(type, payload, queue, runAt, delay, priority, maxAttempts, backoff,
        timeout, idempotencyKey, value, metadata);
  }

  public EnqueueRequest withMetadata(String key, String value) {
    Map<String, String> copy = new HashMap<>(metadata == null ? Map.of() : metadata);
    copy.put(key, value);
    return new EnqueueRequest(type, payload, queue, runAt, delay, priority, maxAttempts, backoff,
        timeout, idempotencyKey, concurrencyKey, copy);
  }
}
