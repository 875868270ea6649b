package io.tasker.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.IntNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.tasker.node.Tasker;
import io.tasker.node.TaskerNode;
import io.tasker.protocol.EnqueueRequest;
import io.tasker.protocol.TaskStatus;
import io.tasker.sample.SampleHandlers;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * {@code GET /metrics} of a real node: Prometheus text with the task series by queue and type,
 * behind the {@code metrics:read} scope, or open with {@code tasker.http.metrics.public = on}
 * (a second gateway on the same node, which reuses the node's Prometheus registry).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MetricsEndpointTest {
  private static final String READER = "metrics-tasks-key";
  private static final String SCRAPER = "metrics-scrape-key";
  /** One Prometheus sample line: name, labels, value. */
  private static final Pattern SAMPLE =
      Pattern.compile("^([a-z_]+)\\{([^}]*)\\} ([0-9.eE+-]+)$", Pattern.MULTILINE);

  private Path dataDir;
  private TaskerNode node;
  private HttpGateway protectedGateway;
  private HttpGateway publicGateway;
  private final HttpClient client =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  void start() throws IOException {
    dataDir = Files.createTempDirectory("tasker-metrics-");
    Config config = ConfigFactory.parseString(String.join("\n",
            "tasker.http.port = 0",
            "tasker.http.host = \"127.0.0.1\"",
            "tasker.data-dir = \"" + dataDir.toString().replace("\\", "/") + "\"",
            "tasker.http.auth.env-keys = \"" + READER + "=tasks:read;" + SCRAPER
                + "=metrics:read\"",
            "pekko.cluster.jmx.multi-mbeans-in-same-jvm = on"))
        .withFallback(ConfigFactory.load())
        .resolve();
    node = Tasker.builder().plugin(new SampleHandlers()).config(config).start();
    protectedGateway = HttpGateway.start(node, config);
    publicGateway = HttpGateway.start(node,
        ConfigFactory.parseString("tasker.http.metrics.public = on").withFallback(config));
  }

  @AfterAll
  void stop() {
    for (AutoCloseable closeable : new AutoCloseable[] {publicGateway, protectedGateway, node}) {
      try {
        if (closeable != null) {
          closeable.close();
        }
      } catch (Exception e) {
        // closing the rest matters more
      }
    }
  }

  @Test
  void servesPrometheusTextBehindTheMetricsScopeOrPublicly() throws Exception {
    var id = node.enqueue(EnqueueRequest.of("echo", IntNode.valueOf(1)))
        .toCompletableFuture().get(30, TimeUnit.SECONDS).task().id();
    await().atMost(Duration.ofSeconds(30)).until(() ->
        node.get(id).toCompletableFuture().get().status() == TaskStatus.SUCCEEDED);

    assertEquals(401, scrape(protectedGateway, null).statusCode());
    HttpResponse<String> forbidden = scrape(protectedGateway, READER);
    assertEquals(403, forbidden.statusCode());
    assertTrue(forbidden.body().contains("metrics:read"), forbidden.body());

    HttpResponse<String> scraped = scrape(protectedGateway, SCRAPER);
    assertEquals(200, scraped.statusCode(), scraped.body());
    assertTrue(scraped.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
    String text = scraped.body();
    Map<String, String> echo = Map.of("queue", "default", "type", "echo");
    assertEquals(Optional.of(1.0), sample(text, "tasker_tasks_enqueued_total", echo));
    assertEquals(Optional.of(1.0), sample(text, "tasker_tasks_started_total", echo));
    assertEquals(Optional.of(1.0), sample(text, "tasker_tasks_succeeded_total", echo));
    assertEquals(Optional.of(1.0), sample(text, "tasker_task_execution_seconds_count", echo));
    assertEquals(Optional.of(1.0), sample(text, "tasker_task_lateness_seconds_count", echo));
    assertTrue(text.contains("tasker_task_execution_seconds_bucket{"), text);
    assertTrue(text.contains("# TYPE tasker_journal_commit_seconds histogram"), text);

    HttpResponse<String> open = scrape(publicGateway, null);
    assertEquals(200, open.statusCode(), open.body());
    assertEquals(Optional.of(1.0), sample(open.body(), "tasker_tasks_succeeded_total", echo));
  }

  /** @return the value of the sample {@code name} whose labels include {@code labels} */
  private static Optional<Double> sample(String text, String name, Map<String, String> labels) {
    Matcher line = SAMPLE.matcher(text);
    while (line.find()) {
      if (line.group(1).equals(name) && labels.entrySet().stream().allMatch(label ->
          line.group(2).contains(label.getKey() + "=\"" + label.getValue() + "\""))) {
        return Optional.of(Double.parseDouble(line.group(3)));
      }
    }
    return Optional.empty();
  }

  private HttpResponse<String> scrape(HttpGateway gateway, String key) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + gateway.port() + "/metrics")).GET();
    if (key != null) {
      request.header("Authorization", "Bearer " + key);
    }
    return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }
}
