package io.tasker.node.middleware;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.tasker.node.TaskContext;
import io.tasker.node.TaskMiddleware;
import io.tasker.protocol.TaskId;
import io.tasker.protocol.TaskSpec;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.MDC;

/**
 * OpenTelemetry spans with the messaging semantic conventions: a PRODUCER span {@code send
 * {queue}} from enqueue until the task is stored (with its id), whose context (W3C trace
 * context) is stored in the task's metadata under {@value #PREFIX}{@code traceparent} (and
 * {@code tracestate}; {@link io.tasker.protocol.Validation#RESERVED_METADATA_KEYS}), so it
 * survives retries, restarts and failover; and a CONSUMER span {@code process {queue}} around
 * each attempt, linked to it (or its child, with {@code parent}). The attempt's trace and span
 * ids go into the MDC.
 */
public final class TracingMiddleware implements TaskMiddleware {
  /** Metadata keys of the stored trace context start with this (reserved). */
  public static final String PREFIX = "tasker.";
  static final AttributeKey<String> SYSTEM = AttributeKey.stringKey("messaging.system");
  static final AttributeKey<String> OPERATION_TYPE =
      AttributeKey.stringKey("messaging.operation.type");
  static final AttributeKey<String> OPERATION_NAME =
      AttributeKey.stringKey("messaging.operation.name");
  static final AttributeKey<String> DESTINATION =
      AttributeKey.stringKey("messaging.destination.name");
  static final AttributeKey<String> MESSAGE_ID = AttributeKey.stringKey("messaging.message.id");
  static final AttributeKey<Long> ATTEMPT = AttributeKey.longKey("messaging.tasker.attempt");
  static final AttributeKey<String> TASK_TYPE = AttributeKey.stringKey("messaging.tasker.type");

  private static final W3CTraceContextPropagator W3C = W3CTraceContextPropagator.getInstance();
  private static final TextMapGetter<Map<String, String>> FROM_METADATA = new TextMapGetter<>() {
    @Override
    public Iterable<String> keys(Map<String, String> metadata) {
      return List.of("traceparent", "tracestate");
    }

    @Override
    public String get(Map<String, String> metadata, String key) {
      return metadata == null ? null : metadata.get(PREFIX + key);
    }
  };

  private final Tracer tracer;
  private final boolean processAsChild;
  /**
   * Send spans from {@code onEnqueue} to {@code onEnqueued}, by span id (which the task carries
   * in its stored trace context): the chain calls {@code onEnqueued} for every {@code
   * onEnqueue} that returned, so each leaves this map (unless a later middleware overwrites the
   * reserved trace keys, which it must not).
   */
  private final Map<String, Span> sending = new ConcurrentHashMap<>();

  /**
   * @param processAsChild make each attempt's span a child of the send span instead of a new
   *     trace linked to it
   */
  public TracingMiddleware(OpenTelemetry openTelemetry, boolean processAsChild) {
    this.tracer = openTelemetry.getTracer("io.tasker");
    this.processAsChild = processAsChild;
  }

  @Override
  public TaskSpec onEnqueue(TaskSpec task) {
    Span span = tracer.spanBuilder("send " + task.queue())
        .setSpanKind(SpanKind.PRODUCER)
        .setAttribute(SYSTEM, "tasker")
        .setAttribute(OPERATION_TYPE, "send")
        .setAttribute(OPERATION_NAME, "send")
        .setAttribute(DESTINATION, task.queue())
        .setAttribute(TASK_TYPE, task.type())
        .startSpan();
    try {
      Map<String, String> carrier = new HashMap<>();
      W3C.inject(Context.current().with(span), carrier, Map::put);
      for (Map.Entry<String, String> entry : carrier.entrySet()) {
        task = task.withMetadata(PREFIX + entry.getKey(), entry.getValue());
      }
    } catch (RuntimeException e) {
      end(span, null, task, e);
      throw e;
    }
    if (span.isRecording()) { // else unsampled or a no-op: ending it does nothing
      sending.put(span.getSpanContext().getSpanId(), span);
    }
    return task;
  }

  /** Ends the send span once the task is stored, or its enqueue failed. */
  @Override
  public void onEnqueued(TaskId taskId, TaskSpec task, Throwable failure) {
    Context stored = W3C.extract(Context.root(), task.metadata(), FROM_METADATA);
    Span span = sending.remove(Span.fromContext(stored).getSpanContext().getSpanId());
    if (span != null) {
      end(span, taskId, task, failure);
    }
  }

  private static void end(Span span, TaskId taskId, TaskSpec task, Throwable failure) {
    // a later middleware may have routed the task to another queue
    span.updateName("send " + task.queue()).setAttribute(DESTINATION, task.queue());
    if (taskId != null) {
      span.setAttribute(MESSAGE_ID, taskId.value());
    }
    if (failure != null) {
      span.setStatus(StatusCode.ERROR, failure.toString());
      span.recordException(failure);
    }
    span.end();
  }

  @Override
  public Object around(Object payload, TaskContext context, Next next) throws Exception {
    Context stored = W3C.extract(Context.root(), context.metadata(), FROM_METADATA);
    SpanContext sent = Span.fromContext(stored).getSpanContext();
    SpanBuilder builder = tracer.spanBuilder("process " + context.queue())
        .setSpanKind(SpanKind.CONSUMER)
        .setAttribute(SYSTEM, "tasker")
        .setAttribute(OPERATION_TYPE, "process")
        .setAttribute(OPERATION_NAME, "process")
        .setAttribute(DESTINATION, context.queue())
        .setAttribute(MESSAGE_ID, context.taskId().value())
        .setAttribute(ATTEMPT, (long) context.attempt())
        .setAttribute(TASK_TYPE, context.type());
    if (sent.isValid()) {
      if (processAsChild) {
        builder.setParent(stored);
      } else {
        builder.addLink(sent);
      }
    }
    Span span = builder.startSpan();
    try (Scope scope = span.makeCurrent()) {
      MDC.put("traceId", span.getSpanContext().getTraceId());
      MDC.put("spanId", span.getSpanContext().getSpanId());
      return next.proceed();
    } catch (Exception e) {
      span.setStatus(StatusCode.ERROR, e.toString());
      span.recordException(e);
      throw e;
    } finally {
      MDC.remove("traceId");
      MDC.remove("spanId");
      span.end();
    }
  }
}
