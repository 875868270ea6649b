package io.tasker.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * A task as accepted: every default resolved, every field checked. This is what the journal
 * keeps, so a change of defaults never changes tasks already accepted.
 *
 * <p>Specs are checked where they are made from a caller's input ({@link #of}, {@link
 * #withQueue}, {@link #withMetadata}, {@link #validated}), not by the constructor: a spec read
 * back from the journal (or from another node of the cluster) was checked when it was accepted
 * and is taken as stored, so recovering a task neither pays for the checks again nor fails
 * because a limit was tightened after the task was accepted.
 *
 * @param type the handler's task type
 * @param queue the queue whose limits apply
 * @param payload the handler's input as JSON
 * @param priority higher runs first when permits are scarce
 * @param runAt the earliest time of the first attempt
 * @param maxAttempts attempts before the task is dead-lettered
 * @param backoff delays between attempts
 * @param timeout longest time one attempt may run
 * @param idempotencyKey the caller's key that made the id, or {@code null}
 * @param concurrencyKey the key per-key concurrency limits count by, or {@code null}
 * @param metadata free-form string pairs handed to the handler
 */
public record TaskSpec(
    String type,
    String queue,
    JsonNode payload,
    int priority,
    Instant runAt,
    int maxAttempts,
    Backoff backoff,
    Duration timeout,
    String idempotencyKey,
    String concurrencyKey,
    Map<String, String> metadata)
    implements TaskerSerializable {

  /**
   * Takes the fields as they are, unchecked (a {@code null} payload is JSON null, {@code null}
   * metadata is empty): use {@link #of} for a caller's input.
   */
  public TaskSpec {
    payload = payload == null ? NullNode.getInstance() : payload;
    metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
  }

  /**
   * A spec from a caller's input, checked.
   *
   * @param type the handler's task type
   * @param queue the queue whose limits apply
   * @param payload the handler's input as JSON, or {@code null}
   * @param priority higher runs first when permits are scarce
   * @param runAt the earliest time of the first attempt
   * @param maxAttempts attempts before the task is dead-lettered
   * @param backoff delays between attempts
   * @param timeout longest time one attempt may run
   * @param idempotencyKey the caller's key that made the id, or {@code null}
   * @param concurrencyKey the key per-key concurrency limits count by, or {@code null}
   * @param metadata free-form string pairs handed to the handler, or {@code null}
   * @return the spec
   * @throws ValidationException naming the offending field
   */
  public static TaskSpec of(String type, String queue, JsonNode payload, int priority,
      Instant runAt, int maxAttempts, Backoff backoff, Duration timeout, String idempotencyKey,
      String concurrencyKey, Map<String, String> metadata) {
    Validation.name("type", type);
    Validation.name("queue", queue);
    Validation.payload(payload);
    Validation.range("priority", priority, Validation.MIN_PRIORITY, Validation.MAX_PRIORITY);
    Objects.requireNonNull(runAt, "runAt");
    Validation.range("maxAttempts", maxAttempts, 1, Validation.MAX_ATTEMPTS);
    if (backoff == null) {
      throw new ValidationException("backoff", "is required");
    }
    Validation.positive("timeout", timeout, Validation.MAX_TIMEOUT);
    Validation.key("idempotencyKey", idempotencyKey);
    Validation.key("concurrencyKey", concurrencyKey);
    return new TaskSpec(type, queue, payload, priority, runAt, maxAttempts, backoff, timeout,
        idempotencyKey, concurrencyKey, Validation.metadata(metadata));
  }

  /**
   * @return this spec, once checked as {@link #of} checks a caller's input
   * @throws ValidationException naming the offending field
   */
  public TaskSpec validated() {
    of(type, queue, payload, priority, runAt, maxAttempts, backoff, timeout, idempotencyKey,
        concurrencyKey, metadata);
    return this;
  }

  /**
   * @return a copy in {@code queue}
   * @throws ValidationException if {@code queue} is not a valid queue name
   */
  public TaskSpec withQueue(String queue) {
    return new TaskSpec(type, Validation.name("queue", queue), payload, priority, runAt,
        maxAttempts, backoff, timeout, idempotencyKey, concurrencyKey, metadata);
  }

  /**
   * @return a copy with the metadata pair {@code key}, {@code value} added or replaced
   * @throws ValidationException if the metadata would break its limits
   */
  public TaskSpec withMetadata(String key, String value) {
    Map<String, String> more = new java.util.LinkedHashMap<>(metadata);
    more.put(key, value);
    return new TaskSpec(type, queue, payload, priority, runAt, maxAttempts, backoff, timeout,
        idempotencyKey, concurrencyKey, Validation.metadata(more));
  }
}
