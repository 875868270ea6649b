package io.tasker.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import org.junit.jupiter.api.Test;

/**
 * What a new user does to {@code ./tasker}: a burst of tasks over HTTP, each answered 201, then
 * {@code kill -9} of the node's process right after the last answer, then the node started again
 * on the same data. Every acknowledged task exists and runs exactly once, on the default H2
 * journal as on PostgreSQL.
 */
class SingleNodeKillTest {
  private static final String KEY = "single-node-kill-key";
  private static final int TASKS = 300;
  private static final int IN_FLIGHT = 16;
  private static final Duration DUE_IN = Duration.ofSeconds(15);
  private static final Path LOGS = Path.of("target", "single-node-kill");
  private static final NodeApi API = new NodeApi(KEY);

  @Test
  void acknowledgedTasksSurviveKillNineOnH2() throws Exception {
    Map<String, String> env = new HashMap<>(baseEnv());
    env.put("TASKER_DATA_DIR", Files.createTempDirectory("tasker-kill-h2-").toString());
    killRightAfterABurstAndRestart("h2", env);
  }

  @Test
  void acknowledgedTasksSurviveKillNineOnPostgres() throws Exception {
    try (EmbeddedPostgres postgres = EmbeddedPostgres.builder().start()) {
      try (Connection c = postgres.getPostgresDatabase().getConnection();
          Statement s = c.createStatement()) {
        s.execute("CREATE DATABASE single_kill");
      }
      Map<String, String> env = new HashMap<>(baseEnv());
      env.put("TASKER_DB_URL", "jdbc:postgresql://localhost:" + postgres.getPort()
          + "/single_kill?reWriteBatchedInserts=true");
      env.put("TASKER_DB_USER", "postgres");
      env.put("TASKER_DB_PASSWORD", "");
      killRightAfterABurstAndRestart("postgres", env);
    }
  }

  private static Map<String, String> baseEnv() {
    return Map.of("TASKER_API_KEYS", KEY + "=tasks:read,tasks:write,queues:admin");
  }

  private void killRightAfterABurstAndRestart(String journal, Map<String, String> env)
      throws Exception {
    List<String> jvm = List.of("-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
        "-Dtasker.http.rate-limit.per-key=0");
    int clusterPort = NodeApi.freePort();
    int httpPort = NodeApi.freePort();
    List<String> acknowledged;
    try (NodeProcess first = NodeProcess.start(journal + "-first", clusterPort, httpPort, jvm,
        env, LOGS)) {
      awaitReady(first);
      acknowledged = burst(first);
      first.kill(); // SIGKILL right after the last answer: no shutdown hook, nothing flushed
    }
    assertEquals(TASKS, acknowledged.size());

    try (NodeProcess second = NodeProcess.start(journal + "-second", clusterPort, httpPort, jvm,
        env, LOGS)) {
      awaitReady(second);
      List<String> lost = new ArrayList<>();
      int ranTwice = 0;
      for (String id : acknowledged) {
        JsonNode task = awaitFinished(second, id);
        if (task == null) {
          lost.add(id);
        } else {
          assertEquals("SUCCEEDED", task.get("status").asText(), id);
          ranTwice += task.get("history").size() > 1 ? 1 : 0;
        }
      }
      System.out.printf("kill -9 of a single node on %s right after a burst: accepted %d,"
              + " succeeded %d, lost %d, ran twice %d%n",
          journal, TASKS, TASKS - lost.size(), lost.size(), ranTwice);
      assertTrue(lost.isEmpty(), "acknowledged but lost: " + lost);
      assertEquals(0, ranTwice, "none was due before the kill, so none may run twice");
    }
  }

  /** Enqueues one task per request, {@link #IN_FLIGHT} at a time, all due after the restart. */
  private static List<String> burst(NodeProcess node) throws Exception {
    Semaphore window = new Semaphore(IN_FLIGHT);
    List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
    Instant runAt = Instant.now().plus(DUE_IN);
    for (int i = 0; i < TASKS; i++) {
      ObjectNode body = NodeApi.JSON.createObjectNode()
          .put("type", "echo").put("runAt", runAt.toString());
      body.putObject("payload").put("n", i);
      window.acquire();
      answers.add(API.client().sendAsync(API.request(node, "/v1/tasks")
                  .header("Content-Type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(),
              HttpResponse.BodyHandlers.ofString(UTF_8))
          .whenComplete((response, failure) -> window.release()));
    }
    List<String> ids = new ArrayList<>();
    for (CompletableFuture<HttpResponse<String>> answer : answers) {
      HttpResponse<String> response = answer.join();
      assertEquals(201, response.statusCode(), response.body());
      ids.add(NodeApi.JSON.readTree(response.body()).get("id").asText());
    }
    return ids;
  }

  private static void awaitReady(NodeProcess node) {
    try {
      await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(250))
          .until(() -> API.isReady(node));
    } catch (Throwable e) {
      System.out.println("---- " + node.name + " log:\n" + node.tail(60));
      throw e;
    }
  }

  /** @return the finished task, or null if the node does not know it */
  private static JsonNode awaitFinished(NodeProcess node, String id) {
    JsonNode[] task = new JsonNode[1];
    await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(200)).until(() -> {
      try {
        task[0] = API.getTask(node, id);
        return !Set.of("SCHEDULED", "RUNNING").contains(task[0].get("status").asText());
      } catch (IllegalStateException notFound) {
        if (notFound.getMessage().contains(": 404 ")) {
          task[0] = null;
          return true;
        }
        throw notFound;
      }
    });
    return task[0];
  }
}
