package io.tasker.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code kill -9} of the node running workflows, mid-way through them, then the node started
 * again on the same data: every execution completes, a step that had succeeded before the kill
 * is never run again (same single task, one attempt), and no step gets a second task.
 */
class WorkflowKillTest {
  private static final String KEY = "workflow-kill-key";
  private static final int EXECUTIONS = 12;
  private static final List<String> STEPS = List.of("a", "b", "c", "d");
  private static final Path LOGS = Path.of("target", "workflow-kill");
  private static final NodeApi API = new NodeApi(KEY);
  /** A chain of four steps of 300 ms each, declared in the node's configuration. */
  private static final String WORKFLOW = String.join("\n",
      "tasker.workflows.kill-chain {",
      "  version = 1",
      "  tasks = [",
      "    { name = a, type = sleep, input { millis = 300 } }",
      "    { name = b, type = sleep, depends_on = [a], input { millis = 300 } }",
      "    { name = c, type = sleep, depends_on = [b], input { millis = 300 } }",
      "    { name = d, type = sleep, depends_on = [c], input { millis = 300 } }",
      "  ]",
      "}");

  @Test
  void executionsCompleteAfterKillNineWithoutRerunningFinishedStepsOnH2() throws Exception {
    Map<String, String> env = new HashMap<>(Map.of("TASKER_API_KEYS",
        KEY + "=tasks:read,tasks:write,queues:admin"));
    env.put("TASKER_DATA_DIR", Files.createTempDirectory("tasker-wf-kill-").toString());
    killMidWorkflowsAndRestart("h2", env);
  }

  @Test
  void executionsCompleteAfterKillNineWithoutRerunningFinishedStepsOnPostgres() throws Exception {
    try (EmbeddedPostgres postgres = EmbeddedPostgres.builder().start()) {
      try (Connection c = postgres.getPostgresDatabase().getConnection();
          Statement s = c.createStatement()) {
        s.execute("CREATE DATABASE workflow_kill");
      }
      Map<String, String> env = new HashMap<>(Map.of("TASKER_API_KEYS",
          KEY + "=tasks:read,tasks:write,queues:admin"));
      env.put("TASKER_DB_URL", "jdbc:postgresql://localhost:" + postgres.getPort()
          + "/workflow_kill?reWriteBatchedInserts=true");
      env.put("TASKER_DB_USER", "postgres");
      env.put("TASKER_DB_PASSWORD", "");
      killMidWorkflowsAndRestart("postgres", env);
    }
  }

  private void killMidWorkflowsAndRestart(String journal, Map<String, String> env)
      throws Exception {
    Path config = Files.createTempFile("workflow-kill-", ".conf");
    Files.writeString(config, WORKFLOW);
    List<String> jvm = List.of("-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
        "-Dconfig.file=" + config, "-Dtasker.http.rate-limit.per-key=0");
    int clusterPort = NodeApi.freePort();
    int httpPort = NodeApi.freePort();
    List<String> ids = new ArrayList<>();
    Map<String, String> succeededBefore = new HashMap<>(); // "execution/step" -> its task
    try (NodeProcess first = NodeProcess.start("wf-" + journal + "-first", clusterPort, httpPort,
        jvm, env, LOGS)) {
      awaitReady(first);
      for (int i = 0; i < EXECUTIONS; i++) {
        ids.add(start(first, i));
      }
      // kill once about half of all steps have succeeded: some executions are mid-way
      await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(100))
          .until(() -> succeeded(first, ids, new HashMap<>()) >= EXECUTIONS * STEPS.size() / 2);
      succeeded(first, ids, succeededBefore);
      first.kill();
    }
    assertTrue(succeededBefore.size() < EXECUTIONS * STEPS.size(), "killed before the end");

    try (NodeProcess second = NodeProcess.start("wf-" + journal + "-second", clusterPort,
        httpPort, jvm, env, LOGS)) {
      awaitReady(second);
      int rerunAttempts = 0;
      for (String id : ids) {
        JsonNode execution = awaitEnded(second, id);
        assertEquals("SUCCEEDED", execution.get("status").asText(), execution.toString());
        for (JsonNode step : execution.get("steps")) {
          String key = id + "/" + step.get("name").asText();
          assertEquals(1, step.get("tasks").size(), "one task per step: " + step);
          String task = step.get("tasks").get(0).asText();
          int attempts = API.getTask(second, task).get("history").size();
          if (succeededBefore.containsKey(key)) {
            assertEquals(succeededBefore.get(key), task, key);
            assertEquals(1, attempts, key + " had succeeded before the kill: never run again");
          } else {
            rerunAttempts += attempts - 1; // an attempt the kill interrupted runs again
          }
        }
      }
      System.out.printf("kill -9 mid-workflow on %s: %d executions, %d of %d steps done"
              + " before the kill, all completed after it, %d interrupted attempts re-run%n",
          journal, EXECUTIONS, succeededBefore.size(), EXECUTIONS * STEPS.size(), rerunAttempts);
    }
  }

  private static String start(NodeProcess node, int n) throws Exception {
    String body = "{\"input\":{\"n\":" + n + "}}";
    HttpResponse<String> response = API.client().send(
        API.request(node, "/v1/workflows/kill-chain/executions")
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString(UTF_8));
    assertEquals(201, response.statusCode(), response.body());
    return NodeApi.JSON.readTree(response.body()).get("id").asText();
  }

  /** @return how many steps of {@code ids} have succeeded; their tasks go into {@code into} */
  private static int succeeded(NodeProcess node, List<String> ids, Map<String, String> into)
      throws Exception {
    int count = 0;
    for (String id : ids) {
      for (JsonNode step : execution(node, id).get("steps")) {
        if (step.get("status").asText().equals("SUCCEEDED")) {
          count++;
          into.put(id + "/" + step.get("name").asText(), step.get("tasks").get(0).asText());
        }
      }
    }
    return count;
  }

  private static JsonNode execution(NodeProcess node, String id) throws Exception {
    return API.get(node, "/v1/workflow-executions/" + id);
  }

  private static JsonNode awaitEnded(NodeProcess node, String id) {
    JsonNode[] last = new JsonNode[1];
    await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(200)).until(() -> {
      last[0] = execution(node, id);
      return !List.of("RUNNING", "COMPENSATING").contains(last[0].get("status").asText());
    });
    return last[0];
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
}
