package io.tasker.node;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.tasker.protocol.Backoff;
import io.tasker.protocol.EnqueueRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.function.UnaryOperator;

/**
 * A typed request to enqueue one task; immutable, each method returns a refined copy. Made by
 * {@link TaskType#with(Object)}.
 *
 * @param <P> the payload type
 */
public final class TaskRequest<P> {
  private final TaskType<P> type;
  private final P payload;
  private final UnaryOperator<EnqueueRequest> options;

  TaskRequest(TaskType<P> type, P payload, UnaryOperator<EnqueueRequest> options) {
    this.type = type;
    this.payload = payload;
    this.options = options == null ? UnaryOperator.identity() : options;
  }

  private TaskRequest<P> and(UnaryOperator<EnqueueRequest> option) {
    return new TaskRequest<>(type, payload, r -> option.apply(options.apply(r)));
  }

  /** @return a copy that runs no earlier than {@code time} */
  public TaskRequest<P> runAt(Instant time) {
    return and(r -> r.withRunAt(time));
  }

  /** @return a copy that runs {@code delay} after it is enqueued */
  public TaskRequest<P> delay(Duration delay) {
    return and(r -> r.withDelay(delay));
  }

  /** @return a copy in the given queue */
  public TaskRequest<P> queue(String queue) {
    return and(r -> r.withQueue(queue));
  }

  /** @return a copy with the given priority (higher runs first when permits are scarce) */
  public TaskRequest<P> priority(int priority) {
    return and(r -> r.withPriority(priority));
  }

  /** @return a copy allowing this many attempts before dead-lettering */
  public TaskRequest<P> maxAttempts(int maxAttempts) {
    return and(r -> r.withMaxAttempts(maxAttempts));
  }

  /** @return a copy with this backoff between attempts */
  public TaskRequest<P> backoff(Backoff backoff) {
    return and(r -> r.withBackoff(backoff));
  }

  /** @return a copy whose attempts may run at most this long */
  public TaskRequest<P> timeout(Duration timeout) {
    return and(r -> r.withTimeout(timeout));
  }

  /** @return a copy that a repeated enqueue with the same key in the same queue answers */
  public TaskRequest<P> idempotencyKey(String key) {
    return and(r -> r.withIdempotencyKey(key));
  }

  /** @return a copy counted against the queue's per-key concurrency limit under this key */
  public TaskRequest<P> concurrencyKey(String key) {
    return and(r -> r.withConcurrencyKey(key));
  }

  /** @return a copy carrying this metadata pair to the handler */
  public TaskRequest<P> metadata(String key, String value) {
    return and(r -> r.withMetadata(key, value));
  }

  EnqueueRequest toEnqueueRequest(ObjectMapper mapper) {
    return options.apply(EnqueueRequest.of(type.name(), mapper.valueToTree(payload)));
  }
}
