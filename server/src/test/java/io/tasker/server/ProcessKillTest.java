package io.tasker.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Three real node processes ({@code io.tasker.server.Main}, what {@code ./tasker} runs) on one
 * real PostgreSQL; one is killed with SIGKILL while it runs tasks. Every task still succeeds;
 * the only tasks that ran more than once are those the killed node was running, each with that
 * attempt recorded {@code LOST} on the killed node and then re-run on a survivor.
 */
class ProcessKillTest {
  private static final String KEY = "process-kill-key";
  private static final int TASKS = 600;
  private static final long SLEEP_MILLIS = 2000;
  // three JVMs starting at once on two cores took over 2 minutes to join on a loaded machine
  private static final Duration STARTUP = Duration.ofMinutes(4);
  private static final Duration PATIENCE = Duration.ofMinutes(3);
  private static final Path LOGS = Path.of("target", "process-kill");

  private static final NodeApi API = new NodeApi(KEY);
  private static final HttpClient HTTP = API.client();
  private static final List<NodeProcess> NODES = new CopyOnWriteArrayList<>();
  private static EmbeddedPostgres postgres;

  @BeforeAll
  static void startCluster() throws Exception {
    postgres = EmbeddedPostgres.builder().start();
    try (Connection c = postgres.getPostgresDatabase().getConnection();
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE process_kill");
    }
    String dbUrl = "jdbc:postgresql://localhost:" + postgres.getPort()
        + "/process_kill?reWriteBatchedInserts=true";
    int[] clusterPorts = {freePort(), freePort(), freePort()};
    String seed = "pekko://tasker@127.0.0.1:" + clusterPorts[0];
    // Small JVMs: three nodes, PostgreSQL and this JVM share two cores. Recovery runs on the
    // shipped timings (task lease 10 s, SBR stable-after 5 s + removal margin 2 s); a shorter
    // permit lease only frees the dead node's queue permits sooner. Nothing below waits on
    // their exact values.
    List<String> jvm = List.of("-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
        "-Dtasker.permits.lease=10s",
        "-Dtasker.http.rate-limit.per-key=0");
    Map<String, String> env = Map.of(
        "TASKER_DB_URL", dbUrl,
        "TASKER_DB_USER", "postgres",
        "TASKER_DB_PASSWORD", "",
        "TASKER_SEED_NODES", seed,
        "TASKER_API_KEYS", KEY + "=tasks:read,tasks:write,queues:admin");
    for (int i = 0; i < 3; i++) {
      NODES.add(NodeProcess.start("node-" + (i + 1), clusterPorts[i], freePort(), jvm, env, LOGS));
    }
    try {
      await().atMost(STARTUP).pollInterval(Duration.ofMillis(500))
          .until(() -> NODES.stream().allMatch(n -> upMembers(n) == 3));
    } catch (Throwable e) {
      printLogTails();
      throw e;
    }
  }

  @AfterAll
  static void stopAll() throws Exception {
    for (NodeProcess node : NODES) {
      node.close();
    }
    if (postgres != null) {
      postgres.close();
    }
  }

  @Test
  void aKilledNodesTasksRunElsewhereAndOnlyItsInFlightTasksRunTwice() throws Exception {
    try {
      killUnderLoadAndCheck();
    } catch (Throwable e) {
      printLogTails();
      throw e;
    }
  }

  private void killUnderLoadAndCheck() throws Exception {
    NodeProcess entry = NODES.get(0);
    NodeProcess victim = NODES.get(2);
    List<String> ids = enqueue(entry, TASKS);
    assertEquals(TASKS, Set.copyOf(ids).size(), "distinct task ids");

    await().atMost(PATIENCE).pollInterval(Duration.ofMillis(200))
        .until(() -> runningOn(entry, victim.name) >= 5);
    Instant killedAt = Instant.now();
    victim.kill(); // SIGKILL: no shutdown hook, no hand-off, no leave
    // the victim may start attempts between killedAt and its death: they count as in flight
    Instant dead = Instant.now();
    System.out.printf("killed %s (pid %d) at %s%n", victim.name, victim.pid(), killedAt);

    NodeProcess survivor = NODES.get(1);
    await().atMost(PATIENCE).pollInterval(Duration.ofSeconds(1))
        .until(() -> succeeded(survivor) == TASKS);
    Duration drained = Duration.between(killedAt, Instant.now());

    // every task, from its own entity (the journal), not from the index
    List<JsonNode> tasks = new ArrayList<>();
    for (int i = 0; i < ids.size(); i++) {
      tasks.add(getTask(NODES.get(i % 2), ids.get(i)));
    }
    int ranMoreThanOnce = 0;
    int onVictim = 0;
    Instant firstRerun = null;
    Map<String, Integer> successesPerNode = new TreeMap<>();
    for (JsonNode task : tasks) {
      String id = task.get("id").asText();
      assertEquals("SUCCEEDED", task.get("status").asText(), id);
      ArrayNode history = (ArrayNode) task.get("history");
      JsonNode last = history.get(history.size() - 1);
      assertEquals("SUCCEEDED", last.get("outcome").asText(), id + " " + history);
      successesPerNode.merge(last.get("node").asText(), 1, Integer::sum);
      for (JsonNode attempt : history) {
        if (attempt.get("node").asText().equals(victim.name)) {
          onVictim++;
          break;
        }
      }
      if (history.size() > 1) {
        ranMoreThanOnce++;
        // only a task in flight on the killed node may run again: every earlier attempt
        // was started there before the kill, and is on record as lost
        for (int a = 0; a < history.size() - 1; a++) {
          JsonNode attempt = history.get(a);
          assertEquals("LOST", attempt.get("outcome").asText(), id + " " + history);
          assertEquals(victim.name, attempt.get("node").asText(), id + " " + history);
          assertTrue(Instant.parse(attempt.get("startedAt").asText()).isBefore(dead),
              id + " lost an attempt started after the kill: " + history);
        }
        assertTrue(!last.get("node").asText().equals(victim.name), id + " " + history);
        Instant rerun = Instant.parse(last.get("startedAt").asText());
        firstRerun = firstRerun == null || rerun.isBefore(firstRerun) ? rerun : firstRerun;
      }
    }
    System.out.printf("process kill under load: %d tasks, %d ran on %s at least once;"
            + " %d ran more than once (a LOST attempt on %s, then re-run); successes per node %s;"
            + " first re-run %s after the kill; all succeeded %.1f s after the kill%n",
        TASKS, onVictim, victim.name, ranMoreThanOnce, victim.name, successesPerNode,
        firstRerun == null ? "n/a" : Duration.between(killedAt, firstRerun).toMillis() + " ms",
        drained.toMillis() / 1000.0);
    assertTrue(ranMoreThanOnce >= 1, "a task was in flight on the killed node: one must re-run");
    assertNotNull(firstRerun);
    assertTrue(onVictim >= ranMoreThanOnce);
  }

  // HTTP

  /**
   * Enqueues in batches of 100, each task with an idempotency key: a batch answered 503 (a cold
   * cluster allocating its first shards may not confirm in time; the tasks may be stored) is sent
   * again, as a client should, and finds the tasks already stored.
   */
  private static List<String> enqueue(NodeProcess node, int count) throws Exception {
    List<String> bodies = new ArrayList<>();
    for (int start = 0; start < count; start += 100) {
      ObjectNode body = NodeApi.JSON.createObjectNode();
      ArrayNode tasks = body.putArray("tasks");
      for (int i = start; i < Math.min(count, start + 100); i++) {
        ObjectNode task = tasks.addObject().put("type", "sleep").put("idempotencyKey", "pk-" + i);
        task.putObject("payload").put("millis", SLEEP_MILLIS);
      }
      bodies.add(body.toString());
    }
    List<CompletableFuture<HttpResponse<String>>> batches = new ArrayList<>();
    for (String body : bodies) {
      batches.add(sendBatch(node, body));
    }
    List<String> ids = new ArrayList<>();
    for (int b = 0; b < batches.size(); b++) {
      HttpResponse<String> response = batches.get(b).join();
      for (int retry = 0; response.statusCode() == 503 && retry < 3; retry++) {
        response = sendBatch(node, bodies.get(b)).join();
      }
      assertTrue(response.statusCode() == 201 || response.statusCode() == 200, response.body());
      NodeApi.JSON.readTree(response.body()).get("tasks")
          .forEach(t -> ids.add(t.get("id").asText()));
    }
    return ids;
  }

  private static CompletableFuture<HttpResponse<String>> sendBatch(NodeProcess node, String body) {
    return HTTP.sendAsync(request(node, "/v1/tasks:batch")
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString(UTF_8));
  }

  /** Tasks whose current attempt runs on {@code nodeName}, from the RUNNING listing. */
  private static int runningOn(NodeProcess via, String nodeName) throws Exception {
    JsonNode page = get(via, "/v1/tasks?status=running&limit=100");
    List<CompletableFuture<HttpResponse<String>>> views = new ArrayList<>();
    for (JsonNode summary : page.get("tasks")) { // in parallel: the kill must not come late
      views.add(HTTP.sendAsync(request(via, "/v1/tasks/"
              + URLEncoder.encode(summary.get("id").asText(), UTF_8)).GET().build(),
          HttpResponse.BodyHandlers.ofString(UTF_8)));
    }
    int count = 0;
    for (CompletableFuture<HttpResponse<String>> view : views) {
      HttpResponse<String> response = view.join();
      if (response.statusCode() != 200) {
        continue;
      }
      JsonNode history = NodeApi.JSON.readTree(response.body()).get("history");
      JsonNode last = history.isEmpty() ? null : history.get(history.size() - 1);
      if (last != null && last.get("outcome").isNull()
          && last.get("node").asText().equals(nodeName)) {
        count++;
      }
    }
    return count;
  }

  private static long succeeded(NodeProcess via) throws Exception {
    return get(via, "/v1/queues/default").get("tasks").get("SUCCEEDED").asLong();
  }

  private static int upMembers(NodeProcess node) {
    if (!node.isAlive()) {
      throw new IllegalStateException(node.name + " exited:\n" + node.tail(40));
    }
    try {
      int up = 0;
      for (JsonNode member : get(node, "/v1/cluster").get("members")) {
        up += member.get("status").asText().equals("Up") ? 1 : 0;
      }
      return up;
    } catch (Exception notYet) {
      return 0;
    }
  }

  private static JsonNode getTask(NodeProcess via, String id) throws Exception {
    return API.getTask(via, id);
  }

  private static JsonNode get(NodeProcess node, String path) throws Exception {
    return API.get(node, path);
  }

  private static HttpRequest.Builder request(NodeProcess node, String path) {
    return API.request(node, path);
  }

  private static int freePort() throws IOException {
    return NodeApi.freePort();
  }

  private static void printLogTails() {
    for (NodeProcess node : NODES) {
      System.out.printf("---- %s (pid %d, %s), log %s:%n%s%n", node.name, node.pid(),
          node.isAlive() ? "alive" : "exited", node.log.toAbsolutePath(), node.tail(60));
    }
  }
}
