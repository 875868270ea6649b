package io.tasker.node.task;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import io.tasker.node.TaskHandler;
import io.tasker.protocol.EnqueueRequest;
import io.tasker.protocol.TaskSpec;
import io.tasker.protocol.ValidationException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The handlers of this node by task type. It turns an {@link EnqueueRequest} into an accepted
 * {@link TaskSpec}: the type must be registered and the payload must decode into the handler's
 * payload class, so a task that could never run is refused at enqueue instead of stored.
 */
public final class HandlerRegistry {

  /** One registered handler with its payload class and defaults. */
  public record Registration<P>(
      String type, Class<P> payloadClass, TaskHandler<P> handler, HandlerDefaults defaults) {}

  private final Map<String, Registration<?>> byType;
  private final ObjectMapper mapper;
  private final MiddlewareChain middleware;

  public HandlerRegistry(Map<String, Registration<?>> byType, ObjectMapper mapper) {
    this(byType, mapper, MiddlewareChain.EMPTY);
  }

  /** @param middleware what enqueues and attempts of these handlers pass through */
  public HandlerRegistry(
      Map<String, Registration<?>> byType, ObjectMapper mapper, MiddlewareChain middleware) {
    this.byType = Map.copyOf(byType);
    this.mapper = mapper;
    this.middleware = middleware;
  }

  public MiddlewareChain middleware() {
    return middleware;
  }

  /** @return the registered task types */
  public Set<String> types() {
    return byType.keySet();
  }

  public ObjectMapper mapper() {
    return mapper;
  }

  /**
   * @throws ValidationException naming {@code type} if no handler is registered for it
   */
  public Registration<?> get(String type) {
    Registration<?> registration = byType.get(type);
    if (registration == null) {
      throw new ValidationException("type", "no handler is registered for task type '" + type + "'");
    }
    return registration;
  }

  /**
   * @param request the caller's request
   * @param now the current time, for a {@code delay}
   * @return the task as it will be stored
   * @throws ValidationException naming the first offending field
   */
  public TaskSpec resolve(EnqueueRequest request, Instant now) {
    if (request.type() == null) {
      throw new ValidationException("type", "is required");
    }
    Registration<?> registration = get(request.type());
    decode(registration, request.payload());
    HandlerDefaults defaults = registration.defaults();
    return TaskSpec.of(
        request.type(),
        request.queue() != null ? request.queue() : defaults.queue(),
        request.payload(),
        request.priority() != null ? request.priority() : 0,
        request.resolveRunAt(now),
        request.maxAttempts() != null ? request.maxAttempts() : defaults.maxAttempts(),
        request.backoff() != null ? request.backoff() : defaults.backoff(),
        request.timeout() != null ? request.timeout() : defaults.timeout(),
        request.idempotencyKey(),
        request.concurrencyKey(),
        request.metadata());
  }

  /**
   * Resolves a request to be stored: {@link #resolve}, then the middlewares' {@link
   * MiddlewareChain#onEnqueue}, then its id. Every enqueue passes here; {@code validate} does
   * not. The caller stores the task and then calls {@link MiddlewareChain.Accepted#done}.
   *
   * @throws ValidationException naming the first offending field
   * @throws io.tasker.protocol.EnqueueRejectedException if a middleware refused the task
   */
  public MiddlewareChain.Accepted accept(EnqueueRequest request, Instant now) {
    return accept(resolve(request, now));
  }

  /** @return {@code spec}, resolved already, as the middlewares pass it on to be stored */
  public MiddlewareChain.Accepted accept(TaskSpec spec) {
    return middleware.onEnqueue(spec);
  }

  /**
   * {@link #accept(TaskSpec)} for each spec, all or none: if one is refused, the enqueues of
   * those accepted before it are over ({@link MiddlewareChain.Accepted#done} with the refusal).
   */
  public List<MiddlewareChain.Accepted> acceptAll(List<TaskSpec> specs) {
    List<MiddlewareChain.Accepted> accepted = new ArrayList<>(specs.size());
    try {
      for (TaskSpec spec : specs) {
        accepted.add(accept(spec));
      }
    } catch (RuntimeException refused) {
      accepted.forEach(task -> task.done(refused));
      throw refused;
    }
    return accepted;
  }

  /**
   * A missing or {@code null} payload decodes to {@code null} for any class, which a handler
   * would only meet as a {@code NullPointerException} at run time; so it is refused unless the
   * payload class takes any JSON value ({@code Object}) or none ({@code Void}). A {@code
   * JsonNode} handler gets a {@code NullNode}, never {@code null}.
   *
   * @throws ValidationException naming {@code payload} if it does not decode into the class
   */
  <P> P decode(Registration<P> registration, JsonNode payload) {
    Class<P> payloadClass = registration.payloadClass();
    P value;
    try {
      value = mapper.treeToValue(payload == null ? NullNode.getInstance() : payload, payloadClass);
    } catch (JsonProcessingException | IllegalArgumentException e) {
      String reason =
          e instanceof JsonProcessingException jpe ? jpe.getOriginalMessage() : e.getMessage();
      throw new ValidationException(
          "payload", "does not decode into " + payloadClass.getSimpleName() + ": " + reason);
    }
    if (value == null && payloadClass != Void.class && payloadClass != Object.class) {
      throw new ValidationException(
          "payload", "is required: task type '" + registration.type() + "' takes a "
              + payloadClass.getSimpleName());
    }
    return value;
  }
}
