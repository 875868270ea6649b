package io.tasker.bench.faults;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tasker.server.NodeProcess;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A steady stream of single enqueues ({@code POST /v1/tasks}) at a fixed rate, round-robin over
 * some nodes, on its own thread; each request is sent on time whether or not earlier ones were
 * answered (an open-loop client, so a stall shows as latency, not as a lower rate).
 */
final class EnqueueLoad {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration ANSWER_WITHIN = Duration.ofSeconds(30);

  /**
   * One request and its answer.
   *
   * @param sentAt when it was sent
   * @param latencyMillis until the answer, or -1 without one
   * @param status the HTTP status, 0 without an answer (refused connection, timeout)
   * @param id the task id of a 2xx answer, else null
   * @param runAt the run time of a 2xx answer, else null
   */
  record Sent(Instant sentAt, long latencyMillis, int status, String id, Instant runAt) {
    boolean accepted() {
      return id != null;
    }
  }

  private final List<CompletableFuture<Sent>> sent = new ArrayList<>();
  private final Thread sender;

  private EnqueueLoad(Cluster cluster, List<NodeProcess> targets, int rate, Duration duration,
      String body) {
    sender = new Thread(() -> {
      long start = System.nanoTime();
      long interval = TimeUnit.SECONDS.toNanos(1) / rate;
      long count = duration.toNanos() / interval;
      for (long i = 0; i < count; i++) {
        long wait = start + i * interval - System.nanoTime();
        if (wait > 0) {
          try {
            TimeUnit.NANOSECONDS.sleep(wait);
          } catch (InterruptedException e) {
            return;
          }
        }
        NodeProcess node = targets.get((int) (i % targets.size()));
        sent.add(send(cluster, node, body));
      }
    }, "enqueue-load");
  }

  /** Starts sending {@code rate} requests per second for {@code duration}. */
  static EnqueueLoad start(Cluster cluster, List<NodeProcess> targets, int rate,
      Duration duration, String body) {
    EnqueueLoad load = new EnqueueLoad(cluster, targets, rate, duration, body);
    load.sender.start();
    return load;
  }

  private static CompletableFuture<Sent> send(Cluster cluster, NodeProcess node, String body) {
    Instant sentAt = Instant.now();
    long began = System.nanoTime();
    HttpRequest request = cluster.api().request(node, "/v1/tasks").timeout(ANSWER_WITHIN)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    return cluster.api().client().sendAsync(request, HttpResponse.BodyHandlers.ofString(UTF_8))
        .handle((r, failure) -> {
          long millis = (System.nanoTime() - began) / 1_000_000;
          if (r == null) {
            return new Sent(sentAt, -1, 0, null, null);
          }
          if (r.statusCode() / 100 != 2) {
            return new Sent(sentAt, millis, r.statusCode(), null, null);
          }
          try {
            JsonNode answer = JSON.readTree(r.body());
            return new Sent(sentAt, millis, r.statusCode(), answer.get("id").asText(),
                Instant.parse(answer.get("runAt").asText()));
          } catch (Exception e) {
            throw new IllegalStateException("2xx without a task: " + r.body(), e);
          }
        });
  }

  /** Waits for the last request to be sent and every answer (each within 30 s). */
  List<Sent> await() throws InterruptedException {
    sender.join();
    List<Sent> answers = new ArrayList<>();
    for (CompletableFuture<Sent> s : sent) {
      answers.add(s.join());
    }
    return answers;
  }
}
