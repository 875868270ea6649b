package io.tasker.node;

import static io.tasker.node.Stages.failure;
import static io.tasker.node.Stages.join;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.tasker.protocol.Backoff;
import io.tasker.protocol.EnqueueRejectedException;
import io.tasker.protocol.EnqueueRequest;
import io.tasker.protocol.TaskId;
import io.tasker.protocol.TaskStatus;
import io.tasker.protocol.TaskView;
import io.tasker.protocol.Validation;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

/**
 * OpenTelemetry spans of enqueues and attempts, with the SDK's in-memory exporter: the trace
 * context stored with the task outlives its node.
 */
class TracingNodeTest {
  private static final Duration PATIENCE = Duration.ofSeconds(60);
  private static final TaskType<String> TRACED = TaskType.of("traced", String.class);
  private static final InMemorySpanExporter SPANS = InMemorySpanExporter.create();
  private static final OpenTelemetrySdk OTEL = OpenTelemetrySdk.builder()
      .setTracerProvider(SdkTracerProvider.builder()
          .addSpanProcessor(SimpleSpanProcessor.create(SPANS)).build())
      .build();
  private static final Config QUICK = ConfigFactory.parseString(String.join("\n",
      "tasker.task.keep-alive-window = 2s",
      "tasker.waker.scan-interval = 200ms",
      "tasker.waker.lookahead = 1s"));
  /** The trace id in the MDC of each attempt, by payload and attempt number. */
  private static final Map<String, String> TRACE_IN_MDC = new ConcurrentHashMap<>();

  @AfterAll
  static void closeSdk() {
    OTEL.close();
  }

  @BeforeEach
  void clear() {
    SPANS.reset();
  }

  private static TaskerBuilder builder(OpenTelemetry otel) {
    return Tasker.builder().openTelemetry(otel)
        .handler(TRACED, (payload, context) -> {
          TRACE_IN_MDC.put(payload + "#" + context.attempt(), MDC.get("traceId"));
          if (payload.startsWith("fail-once") && context.attempt() == 1) {
            throw new IllegalStateException("first attempt fails");
          }
          return payload;
        });
  }

  private static List<SpanData> spans(SpanKind kind) {
    return SPANS.getFinishedSpanItems().stream().filter(s -> s.getKind() == kind).toList();
  }

  private static String attribute(SpanData span, String key) {
    Object value = span.getAttributes().get(AttributeKey.stringKey(key));
    return value == null ? null : value.toString();
  }

  @Test
  void aRetryAfterANodeRestartStillLinksToTheEnqueue() {
    Span caller = OTEL.getTracer("test").spanBuilder("caller").startSpan();
    TaskId id;
    try (TaskerNode first = TestJournals.h2(builder(OTEL), "tracing")
        .config(QUICK.withFallback(ConfigFactory.load())).start()) {
      try (Scope scope = caller.makeCurrent()) {
        id = join(first.enqueue(TRACED.with("fail-once").queue("traces")
            .backoff(Backoff.fixed(Duration.ofSeconds(3)))));
      } finally {
        caller.end();
      }
      await().atMost(PATIENCE).until(() -> {
        TaskView task = join(first.get(id));
        return task.status() == TaskStatus.SCHEDULED && task.attempts() == 1;
      });
    } // the retry is due after the node stopped
    TaskView done;
    try (TaskerNode second = TestJournals.h2(builder(OTEL), "tracing")
        .config(QUICK.withFallback(ConfigFactory.load())).start()) {
      done = join(second.result(id, PATIENCE));
    }
    assertEquals(TaskStatus.SUCCEEDED, done.status());
    assertEquals(2, done.attempts());

    List<SpanData> sends = spans(SpanKind.PRODUCER);
    assertEquals(1, sends.size());
    SpanData send = sends.get(0);
    assertEquals("send traces", send.getName());
    assertEquals(caller.getSpanContext().getSpanId(), send.getParentSpanId());
    assertEquals("tasker", attribute(send, "messaging.system"));
    assertEquals("send", attribute(send, "messaging.operation.type"));
    assertEquals("traces", attribute(send, "messaging.destination.name"));
    assertEquals(id.value(), attribute(send, "messaging.message.id"));

    await().atMost(PATIENCE).until(() -> spans(SpanKind.CONSUMER).size() == 2);
    List<SpanData> processes = spans(SpanKind.CONSUMER).stream()
        .sorted(java.util.Comparator.comparing(s -> s.getAttributes()
            .get(AttributeKey.longKey("messaging.tasker.attempt"))))
        .toList();
    for (int attempt = 1; attempt <= 2; attempt++) {
      SpanData process = processes.get(attempt - 1);
      assertEquals("process traces", process.getName());
      assertEquals("process", attribute(process, "messaging.operation.type"));
      assertEquals("traces", attribute(process, "messaging.destination.name"));
      assertEquals(id.value(), attribute(process, "messaging.message.id"));
      assertEquals(attempt, process.getAttributes()
          .get(AttributeKey.longKey("messaging.tasker.attempt")));
      assertEquals(1, process.getLinks().size());
      assertEquals(send.getTraceId(), process.getLinks().get(0).getSpanContext().getTraceId());
      assertEquals(send.getSpanId(), process.getLinks().get(0).getSpanContext().getSpanId());
      assertTrue(!process.getParentSpanContext().isValid(), "a new trace, linked");
      assertEquals(process.getTraceId(), TRACE_IN_MDC.get("fail-once#" + attempt));
    }
    assertEquals(StatusCode.ERROR, processes.get(0).getStatus().getStatusCode());
    assertEquals(StatusCode.UNSET, processes.get(1).getStatus().getStatusCode());
  }

  @Test
  void theProcessSpanCanBeAChildOfTheSendSpan() {
    try (InlineTasker inline = builder(OTEL)
        .config(ConfigFactory.parseString("tasker.tracing.process-parent = parent")
            .withFallback(ConfigFactory.load()))
        .startInline()) {
      TaskId id = join(inline.enqueue(TRACED.with("as-child").queue("inline")));
      assertEquals(TaskStatus.SUCCEEDED, join(inline.get(id)).status());
    }
    SpanData send = spans(SpanKind.PRODUCER).get(0);
    SpanData process = spans(SpanKind.CONSUMER).get(0);
    assertEquals("process inline", process.getName());
    assertEquals(send.getSpanId(), process.getParentSpanId());
    assertEquals(send.getTraceId(), process.getTraceId());
  }

  @Test
  void withoutOpenTelemetryNothingIsStoredWithTheTask() {
    try (InlineTasker inline = Tasker.builder()
        .handler(TRACED, (payload, context) -> payload).startInline()) {
      TaskId id = join(inline.enqueue(TRACED.with("untraced")));
      assertEquals(Map.of(), join(inline.get(id)).spec().metadata());
    }
    assertEquals(List.of(), SPANS.getFinishedSpanItems());
  }

  /** Refuses payloads starting with "refused"; routes queue "old" to "new". */
  private static final TaskMiddleware GATE = new TaskMiddleware() {
    @Override
    public io.tasker.protocol.TaskSpec onEnqueue(io.tasker.protocol.TaskSpec task) {
      if (task.payload().asText().startsWith("refused")) {
        throw new EnqueueRejectedException("no " + task.payload().asText());
      }
      return task.queue().equals("old") ? task.withQueue("new") : task;
    }
  };

  private static SpanData sendOf(TaskId id) {
    List<SpanData> sends = spans(SpanKind.PRODUCER).stream()
        .filter(s -> id.value().equals(attribute(s, "messaging.message.id"))).toList();
    assertEquals(1, sends.size(), "one send span for " + id);
    return sends.get(0);
  }

  private static EnqueueRequest request(TaskRequest<?> request) {
    return request.toEnqueueRequest(Json.MAPPER);
  }

  @Test
  void theSendSpanEndsOnceTheTaskIsStoredAndCarriesItsId() {
    TaskRequest<String> full = TRACED.with("full").queue("old");
    for (int i = 0; i < Validation.MAX_METADATA_ENTRIES; i++) {
      full = full.metadata("k" + i, "v" + i);
    }
    try (TaskerNode node = TestJournals.h2(builder(OTEL).middleware(GATE), "tracing-send")
        .config(QUICK.withFallback(ConfigFactory.load())).start()) {
      // user metadata at its limit: the stored trace context does not count against it
      TaskId single = join(node.enqueue(full));
      TaskView done = join(node.result(single, PATIENCE));
      assertEquals(TaskStatus.SUCCEEDED, done.status());
      assertEquals(Validation.MAX_METADATA_ENTRIES + 1, done.spec().metadata().size());
      SpanData send = sendOf(single);
      assertEquals("send new", send.getName(), "named after the queue it was routed to");
      assertEquals("new", attribute(send, "messaging.destination.name"));
      assertEquals(StatusCode.UNSET, send.getStatus().getStatusCode());
      await().atMost(PATIENCE).until(() -> !spans(SpanKind.CONSUMER).isEmpty());
      assertEquals(single.value(),
          attribute(spans(SpanKind.CONSUMER).get(0), "messaging.message.id"));

      // a batch: one stored with others in one transaction, one through its entity (keyed)
      List<EnqueueResult> batch = join(node.enqueueAll(List.of(
          request(TRACED.with("later").delay(Duration.ofHours(1))),
          request(TRACED.with("keyed").delay(Duration.ofHours(1)).idempotencyKey("k1")))));
      for (EnqueueResult result : batch) {
        assertEquals(StatusCode.UNSET, sendOf(result.task().id()).getStatus().getStatusCode());
      }
      // a repeat of the key finds the stored task: a send span with its id too
      List<EnqueueResult> again = join(node.enqueueAll(List.of(
          request(TRACED.with("keyed").delay(Duration.ofHours(1)).idempotencyKey("k1")))));
      assertEquals(batch.get(1).task().id(), again.get(0).task().id());
      assertEquals(4, spans(SpanKind.PRODUCER).size());

      SPANS.reset();
      failure(EnqueueRejectedException.class, node.enqueue(TRACED.with("refused")));
      failure(EnqueueRejectedException.class, node.enqueueAll(List.of(
          request(TRACED.with("accepted-first")), request(TRACED.with("refused-second")))));
      List<SpanData> refused = spans(SpanKind.PRODUCER);
      assertEquals(3, refused.size(), "every send span ended, the accepted one too");
      for (SpanData span : refused) {
        assertEquals(StatusCode.ERROR, span.getStatus().getStatusCode());
      }
      // the refused ones never got an id; the one accepted before the refusal did, unstored
      assertEquals(2, refused.stream()
          .filter(span -> attribute(span, "messaging.message.id") == null).count());
    }
  }

  @Test
  void inlineBatchesCarryTheirIdsInTheSendSpans() {
    try (InlineTasker inline = builder(OTEL).middleware(GATE).startInline()) {
      List<EnqueueResult> batch = join(inline.enqueueAll(List.of(
          request(TRACED.with("one")), request(TRACED.with("two").queue("old")))));
      assertEquals("send default", sendOf(batch.get(0).task().id()).getName());
      assertEquals("send new", sendOf(batch.get(1).task().id()).getName());
      for (EnqueueResult result : batch) {
        assertEquals(result.task().id().value(), attribute(spans(SpanKind.CONSUMER).stream()
            .filter(s -> s.getName().equals("process " + result.task().spec().queue()))
            .findFirst().orElseThrow(), "messaging.message.id"));
      }
      failure(EnqueueRejectedException.class, inline.enqueue(TRACED.with("refused")));
      assertEquals(StatusCode.ERROR, spans(SpanKind.PRODUCER).get(2).getStatus().getStatusCode());
    }
  }

  @Test
  void aScheduleFiringHasASendSpanWithItsTask() {
    SettableClock clock = new SettableClock(java.time.Instant.parse("2026-05-01T08:00:00Z"));
    try (InlineTasker inline = builder(OTEL).clock(clock).startInline()) {
      join(inline.schedule("traced-every-5m").every(Duration.ofMinutes(5))
          .task(TRACED, "scheduled").upsert());
      clock.advance(Duration.ofMinutes(5));
      inline.runDue();
      TaskId fired = join(inline.getSchedule("traced-every-5m")).lastTask();
      assertEquals(TaskStatus.SUCCEEDED, join(inline.get(fired)).status());
      assertEquals("send default", sendOf(fired).getName());
      assertEquals(fired.value(),
          attribute(spans(SpanKind.CONSUMER).get(0), "messaging.message.id"));
    }
  }
}
