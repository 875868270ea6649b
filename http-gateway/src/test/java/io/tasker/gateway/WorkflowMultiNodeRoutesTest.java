package io.tasker.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tasker.gateway.GatewayFixture.Reply;
import com.fasterxml.jackson.databind.JsonNode;
import io.tasker.node.TaskType;
import io.tasker.node.Tasker;
import io.tasker.node.TaskerNode;
import io.tasker.sample.SampleHandlers;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two nodes sharing one PostgreSQL: a definition PUT through one node starts through either, and
 * is still there after that node restarts; a definition of a task type only the other node
 * handles is accepted; either node lists the executions.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class WorkflowMultiNodeRoutesTest {
  private static final Duration PATIENCE = Duration.ofSeconds(45);
  private static final String DEFINITION = """
      {"version": 1, "tasks": [
         {"name": "first", "type": "echo", "input": {"n": "{{input.n}}"}},
         {"name": "second", "type": "echo", "depends_on": ["first"],
          "input": {"after": "{{tasks.first.output.n}}"}}]}""";

  /** A task type that only the first node handles. */
  private static final TaskType<JsonNode> ONLY_A = TaskType.of("only-on-a", JsonNode.class);

  private final HttpClient client = HttpClient.newHttpClient();
  private final List<AutoCloseable> open = new ArrayList<>();
  private EmbeddedPostgres postgres;

  @AfterEach
  void stop() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
    if (postgres != null) {
      postgres.close();
    }
  }

  private HttpGateway node(String name, int port, boolean onlyA) throws IOException {
    var config = WorkflowRoutesTest.config(Files.createTempDirectory("tasker-wf-multi-"),
        String.join("\n",
            "tasker.node-name = \"" + name + "\"",
            "tasker.seed-nodes = \"pekko://tasker@127.0.0.1:25861\"",
            "pekko.remote.artery.canonical.port = " + port,
            "pekko.cluster.split-brain-resolver.stable-after = 3s"));
    var builder = Tasker.builder().config(config).journal(
        "jdbc:postgresql://localhost:" + postgres.getPort() + "/postgres", "postgres", "");
    builder.plugin(new SampleHandlers());
    if (onlyA) {
      builder.handler(ONLY_A, (payload, context) -> payload);
    }
    TaskerNode node = builder.start();
    open.add(node);
    HttpGateway gateway = HttpGateway.start(node);
    open.add(gateway);
    return gateway;
  }

  private Reply send(HttpGateway gateway, String method, String path, String body) {
    return WorkflowRoutesTest.send(client, gateway.port(), method, path,
        WorkflowRoutesTest.ADMIN, body);
  }

  private void awaitSucceeded(HttpGateway gateway, String id) {
    await().atMost(PATIENCE).pollInterval(Duration.ofMillis(300)).untilAsserted(() -> {
      Reply execution = send(gateway, "GET", "/v1/workflow-executions/" + id, null);
      assertEquals("SUCCEEDED", execution.json().path("status").asText(), execution.text());
    });
  }

  private static void awaitMembers(TaskerNode any, int count) {
    await().atMost(PATIENCE).until(() -> {
      int up = 0;
      for (var member : Cluster.get(any.system()).state().getMembers()) {
        up += member.status() == MemberStatus.up() ? 1 : 0;
      }
      return up == count;
    });
  }

  @Test
  void aDefinitionPutOnOneNodeStartsOnAnyAndOutlivesARestart() throws Exception {
    postgres = EmbeddedPostgres.start();
    HttpGateway handling = node("wf-a", 25861, true);
    TaskerNode nodeA = (TaskerNode) open.get(0);
    HttpGateway bare = node("wf-b", 25862, false);
    awaitMembers(nodeA, 2);

    Reply elsewhere = send(bare, "PUT", "/v1/workflows/typed-elsewhere",
        "{\"tasks\": [{\"name\": \"a\", \"type\": \"only-on-a\"}]}");
    assertEquals(201, elsewhere.status(), elsewhere.text());
    Reply stored = send(bare, "PUT", "/v1/workflows/shared-flow", DEFINITION);
    assertEquals(201, stored.status(), stored.text());
    Reply onA = send(handling, "POST", "/v1/workflows/shared-flow/executions",
        "{\"input\": {\"n\": 1}}");
    assertEquals(201, onA.status(), onA.text());
    awaitSucceeded(handling, onA.json().path("id").asText());
    Reply onB = send(bare, "POST", "/v1/workflows/shared-flow/executions",
        "{\"input\": {\"n\": 2}}");
    assertEquals(201, onB.status(), onB.text());
    awaitSucceeded(bare, onB.json().path("id").asText());

    bare.close();
    ((TaskerNode) open.get(2)).close();
    open.subList(2, 4).clear();
    HttpGateway restarted = node("wf-b2", 25863, false);
    awaitMembers(nodeA, 2);
    assertEquals(200, send(restarted, "GET", "/v1/workflows/shared-flow", null).status());
    assertEquals(200, send(restarted, "PUT", "/v1/workflows/shared-flow", DEFINITION).status());
    Reply again = send(restarted, "POST", "/v1/workflows/shared-flow/executions",
        "{\"input\": {\"n\": 3}}");
    assertEquals(201, again.status(), again.text());
    awaitSucceeded(restarted, again.json().path("id").asText());
    assertEquals("3", send(restarted, "GET", "/v1/workflow-executions/"
        + again.json().path("id").asText(), null).json().path("steps").get(1).path("output")
        .path("after").asText());

    // the list reads the shared rows, ended executions included, a page at a time
    Reply first = send(handling, "GET", "/v1/workflow-executions?workflow=shared-flow&limit=2",
        null);
    assertEquals(2, first.json().path("executions").size(), first.text());
    Reply rest = send(restarted, "GET", "/v1/workflow-executions?workflow=shared-flow&limit=2"
        + "&status=succeeded&cursor=" + first.json().path("nextCursor").asText(), null);
    assertEquals(1, rest.json().path("executions").size(), rest.text());
    assertEquals(onA.json().path("id").asText(),
        rest.json().path("executions").get(0).path("id").asText(), rest.text());
  }
}
