package io.tasker.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.tasker.node.EnqueueResult;
import io.tasker.node.Tasker;
import io.tasker.node.TaskerBuilder;
import io.tasker.node.TaskType;
import io.tasker.protocol.Backoff;
import io.tasker.protocol.EnqueueRequest;
import io.tasker.protocol.QueueCounts;
import io.tasker.protocol.TaskStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Tasker embedded (one node, a cluster of its own) with its journal and task index on the
 * benchmark's PostgreSQL database. "Workers stopped" is the bench queue paused; starting the
 * workers unpauses it. Enqueue goes through {@link Tasker#enqueueAll}, each task durable before
 * it is acknowledged.
 *
 * <p>{@code tasker} runs with the defaults a user gets (reference.conf: pool sizes, worker
 * threads); {@code tasker-tuned} with the harness's former settings (journal pool = the
 * benchmark's pool minus the index pool, {@code bench.threads} worker threads). Both count actor
 * messages with {@link CountingMailbox} as the default mailbox (off with
 * {@code -Dbench.tasker.count-messages=off}).
 */
final class TaskerSystem implements SystemUnderTest {
  /** Payload of a benchmark task. */
  public record Payload(int seq) {}

  static final TaskType<Payload> BENCH = TaskType.of("bench", Payload.class);
  private static final String QUEUE = "bench";
  private static final ObjectMapper MAPPER = new ObjectMapper();

  /**
   * {@code -Dbench.tasker.metrics=prometheus}: the node records into a Prometheus registry, as
   * behind a gateway serving /metrics; by default into its own registry with nothing attached
   * (meters that record nothing).
   */
  private final boolean prometheus =
      "prometheus".equals(System.getProperty("bench.tasker.metrics"));
  /**
   * {@code -Dbench.tasker.tracing=otel}: the node traces with the OpenTelemetry SDK, every span
   * sampled, through a batch span processor into an exporter that drops them (the cost of
   * creating, recording and batching spans, not of shipping them).
   */
  private final boolean tracing = "otel".equals(System.getProperty("bench.tasker.tracing"));
  static final boolean COUNT_MESSAGES =
      !"off".equals(System.getProperty("bench.tasker.count-messages"));
  private final boolean tuned;
  private Tasker tasker;
  private Config config;
  private OpenTelemetrySdk openTelemetry;

  TaskerSystem(boolean tuned) {
    this.tuned = tuned;
  }

  @Override
  public String name() {
    return tuned ? "tasker-tuned" : "tasker";
  }

  @Override
  public String settings() {
    return (tuned ? "Tasker TUNED (harness pool and thread settings, per-task INFO lines off)"
        : "Tasker as shipped (reference.conf defaults, the server's logback.xml)")
        + ", journal pool-size=" + config.getInt("tasker.journal.pool-size")
        + " + index pool-size=" + config.getInt("tasker.index.pool-size")
        + ", worker threads=" + config.getInt("tasker.worker.threads")
        + ", queue max-concurrency=" + config.getInt("tasker.queue-defaults.max-concurrency")
        + ", waker scan-interval=" + config.getString("tasker.waker.scan-interval")
        + ", retries: fixed 1 s backoff, max 3 attempts; enqueueAll per batch"
        + (prometheus ? "; metrics in a Prometheus registry" : "; metrics not recorded")
        + (tracing ? "; OpenTelemetry SDK tracing (batch processor, spans dropped)" : "")
        + (COUNT_MESSAGES ? "; actor messages counted (CountingMailbox wraps Pekko's unbounded"
            + " default mailbox)" : "");
  }

  @Override
  public void open(BenchDb db, Sink sink) throws Exception {
    Config settings = ConfigFactory.empty();
    if (tuned) {
      int indexPool = Integer.getInteger("bench.tasker.index-pool", 3);
      int journalPool = Integer.getInteger("bench.tasker.journal-pool", db.poolSize() - indexPool);
      settings = ConfigFactory.parseMap(Map.of(
          "tasker.journal.pool-size", journalPool,
          "tasker.index.pool-size", indexPool,
          "tasker.worker.threads", Integer.getInteger("bench.threads", 20)));
    }
    if (COUNT_MESSAGES) {
      settings = settings.withFallback(ConfigFactory.parseMap(Map.of(
          "pekko.actor.default-mailbox.mailbox-type", CountingMailbox.class.getName())));
    }
    config = settings.withFallback(ConfigFactory.load());
    TaskerBuilder builder = Tasker.builder();
    if (prometheus) {
      builder.meterRegistry(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    }
    if (tracing) {
      openTelemetry = OpenTelemetrySdk.builder().setTracerProvider(SdkTracerProvider.builder()
          .addSpanProcessor(BatchSpanProcessor.builder(new DroppingExporter()).build())
          .build()).build();
      builder.openTelemetry(openTelemetry);
    }
    tasker = builder
        .config(config)
        .journal(db.jdbcUrl(), db.user(), "")
        .handler(BENCH, (payload, ctx) -> {
          sink.run(payload.seq());
          return null;
        }, h -> h.queue(QUEUE).maxAttempts(3).backoff(Backoff.fixed(Duration.ofSeconds(1))))
        .queue(QUEUE, q -> q.pause())
        .start();
    if (!tasker.ready().toCompletableFuture().get(120, TimeUnit.SECONDS)) {
      throw new IllegalStateException("Tasker node did not become ready");
    }
  }

  @Override
  public void enqueue(List<BenchTask> tasks) throws Exception {
    List<EnqueueRequest> requests = new ArrayList<>(tasks.size());
    for (BenchTask task : tasks) {
      EnqueueRequest request = EnqueueRequest.of(BENCH.name(), MAPPER.valueToTree(new Payload(task.seq())));
      if (!task.immediate()) {
        request = request.withRunAt(Instant.ofEpochMilli(task.runAtMillis()));
      }
      requests.add(request);
    }
    List<EnqueueResult> results =
        tasker.enqueueAll(requests).toCompletableFuture().get(300, TimeUnit.SECONDS);
    if (results.size() != tasks.size()) {
      throw new IllegalStateException("enqueueAll answered " + results.size() + " of " + tasks.size());
    }
  }

  @Override
  public void startWorkers() throws Exception {
    tasker.resumeQueue(QUEUE).toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  @Override
  public long unfinished() throws Exception {
    long open = 0;
    for (QueueCounts queue : tasker.counts().toCompletableFuture().get(60, TimeUnit.SECONDS)) {
      for (var entry : queue.byStatus().entrySet()) {
        if (entry.getKey() == TaskStatus.SCHEDULED || entry.getKey() == TaskStatus.RUNNING) {
          open += entry.getValue();
        }
      }
    }
    return open;
  }

  /** @return the open node (after {@link #open}) */
  Tasker tasker() {
    return tasker;
  }

  @Override
  public void close() {
    if (tasker != null) {
      tasker.close();
    }
    if (openTelemetry != null) {
      openTelemetry.close();
    }
  }

  /** Counts the spans it is given, and drops them. */
  static final class DroppingExporter implements SpanExporter {
    static final java.util.concurrent.atomic.AtomicLong EXPORTED =
        new java.util.concurrent.atomic.AtomicLong();

    @Override
    public CompletableResultCode export(Collection<SpanData> spans) {
      EXPORTED.addAndGet(spans.size());
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode flush() {
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
      return CompletableResultCode.ofSuccess();
    }
  }
}
