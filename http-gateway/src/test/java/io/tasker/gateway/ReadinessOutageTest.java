package io.tasker.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.tasker.node.Tasker;
import io.tasker.node.TaskerNode;
import io.tasker.sample.SampleHandlers;
import io.tasker.protocol.TaskId;
import io.tasker.protocol.TaskStatus;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A node on a real PostgreSQL that goes away for a while and comes back: {@code /health/ready}
 * answers 503 to every probe while the database is down (bounded by {@code
 * tasker.ready-timeout}: none hangs), then 200 again, and tasks run, without a restart.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ReadinessOutageTest {
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(1);
  // ten times the bound: fails a probe that hangs on the database, not one on a busy machine
  private static final Duration ANSWER_WITHIN = READY_TIMEOUT.multipliedBy(10);
  private static final Duration OUTAGE = Duration.ofSeconds(12);
  private static final Duration PATIENCE = Duration.ofSeconds(60);

  private final HttpClient client =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private Path pgData;
  private int pgPort;
  private EmbeddedPostgres postgres;
  private TaskerNode node;
  private HttpGateway gateway;

  @AfterEach
  void stop() throws IOException {
    if (gateway != null) {
      gateway.close();
    }
    if (node != null) {
      node.close();
    }
    if (postgres != null) {
      postgres.close();
    }
    if (pgData != null) {
      try (Stream<Path> files = Files.walk(pgData)) {
        files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
      }
    }
  }

  @Test
  void answersNotReadyAtOnceWhileTheDatabaseIsDownAndReadyOnceItIsBack() throws Exception {
    pgData = Files.createTempDirectory("tasker-ready-pg-");
    pgPort = freePort();
    startPostgres();
    try (Connection c = postgres.getPostgresDatabase().getConnection();
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE readiness");
    }
    Config config = ConfigFactory.parseString(String.join("\n",
            "tasker.http.port = 0",
            "tasker.http.host = \"127.0.0.1\"",
            "tasker.data-dir = \"" + Files.createTempDirectory("tasker-ready-") + "\"",
            "tasker.http.auth.env-keys = \"ready-key=tasks:read\"",
            "tasker.ready-timeout = " + READY_TIMEOUT.toMillis() + "ms",
            "pekko.cluster.jmx.multi-mbeans-in-same-jvm = on"))
        .withFallback(ConfigFactory.load())
        .resolve();
    node = Tasker.builder().plugin(new SampleHandlers()).config(config)
        .journal("jdbc:postgresql://localhost:" + pgPort + "/readiness", "postgres", "")
        .start();
    gateway = HttpGateway.start(node, config);
    await().atMost(PATIENCE).pollInterval(Duration.ofMillis(200))
        .until(() -> ready().statusCode() == 200);

    postgres.close();
    postgres = null;
    // probe after probe for the whole outage, each answered 503: a probe that queued behind
    // earlier ones still waiting on the database would hang past ANSWER_WITHIN and fail it
    await().during(OUTAGE).atMost(OUTAGE.plus(PATIENCE)).pollInterval(Duration.ofMillis(50))
        .until(() -> {
          HttpResponse<String> answer = ready(ANSWER_WITHIN);
          assertEquals(503, answer.statusCode(), answer.body());
          assertEquals("NOT_READY",
              JsonContract.MAPPER.readTree(answer.body()).get("status").asText());
          return true;
        });

    startPostgres();
    await().atMost(PATIENCE).pollInterval(Duration.ofMillis(500))
        .until(() -> ready().statusCode() == 200);
    // and it works again, without a restart
    TaskId id = node.enqueue(SampleHandlers.ECHO.with(JsonContract.MAPPER.valueToTree("back")))
        .toCompletableFuture().get(30, TimeUnit.SECONDS);
    await().atMost(PATIENCE).pollInterval(Duration.ofMillis(200)).until(() ->
        node.get(id).toCompletableFuture().get(30, TimeUnit.SECONDS).status()
            == TaskStatus.SUCCEEDED);
  }

  /** Starts PostgreSQL on the same port and data (a clean-up on close would lose them). */
  private void startPostgres() throws IOException {
    postgres = EmbeddedPostgres.builder()
        .setDataDirectory(pgData)
        .setCleanDataDirectory(false)
        .setPort(pgPort)
        .start();
  }

  private HttpResponse<String> ready() throws IOException, InterruptedException {
    return ready(PATIENCE);
  }

  private HttpResponse<String> ready(Duration timeout) throws IOException, InterruptedException {
    HttpRequest request = HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + gateway.port() + "/health/ready"))
        .timeout(timeout)
        .GET()
        .build();
    return client.send(request, HttpResponse.BodyHandlers.ofString());
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
