package io.tasker.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.tasker.gateway.GatewayFixture.Reply;
import io.tasker.node.Tasker;
import io.tasker.node.TaskerNode;
import io.tasker.sample.SampleHandlers;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * Workflows over HTTP on a real node (H2 journal, the sample handlers): definitions stored by
 * PUT and read back as sent, executions started, watched, compensated, cancelled and retried,
 * and the 400/404/409 answers.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class WorkflowRoutesTest {
  static final String READER = "wf-reader-key";
  static final String WRITER = "wf-writer-key";
  static final String ADMIN = "wf-admin-key";
  private static final Duration PATIENCE = Duration.ofSeconds(60);

  private Path dataDir;
  private TaskerNode node;
  private HttpGateway gateway;
  private final HttpClient client =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /** A node with its gateway on a free port and the keys of this test. */
  static Config config(Path dataDir, String extra) {
    return ConfigFactory.parseString(extra).withFallback(ConfigFactory.parseString(
            String.join("\n",
                "tasker.http.port = 0",
                "tasker.http.host = \"127.0.0.1\"",
                "tasker.data-dir = \"" + dataDir.toString().replace("\\", "/") + "\"",
                "tasker.http.auth.env-keys = \"" + READER + "=tasks:read;" + WRITER
                    + "=tasks:read,tasks:write;" + ADMIN
                    + "=tasks:read,tasks:write,queues:admin\"",
                "pekko.cluster.jmx.multi-mbeans-in-same-jvm = on")))
        .withFallback(ConfigFactory.load())
        .resolve();
  }

  @BeforeAll
  void start() throws IOException {
    dataDir = Files.createTempDirectory("tasker-wf-http-");
    node = Tasker.builder().plugin(new SampleHandlers()).config(config(dataDir, "")).start();
    gateway = HttpGateway.start(node);
    await().atMost(PATIENCE).until(() -> send("GET", "/health/ready", null, null).status() == 200);
  }

  @AfterAll
  void stop() {
    if (gateway != null) {
      gateway.close();
    }
    if (node != null) {
      node.close();
    }
  }

  static final String ORDERS = """
      {"version": 1, "timeout": "10m",
       "tasks": [
         {"name": "validate", "type": "echo", "input": {"order": "{{input.order}}"}},
         {"name": "charge", "type": "echo", "depends_on": ["validate"],
          "input": {"checked": "{{tasks.validate.output.order}}"},
          "retry": {"max_attempts": 2, "backoff": {"type": "fixed", "initial": "1s"}}}
       ]}""";

  @Test
  void definesStartsAndWatchesAWorkflow() {
    Reply created = send("PUT", "/v1/workflows/http-orders", ADMIN, ORDERS);
    assertEquals(201, created.status(), created.text());
    assertEquals(200, send("PUT", "/v1/workflows/http-orders", ADMIN, ORDERS).status());
    ObjectNode expected = (ObjectNode) json(ORDERS);
    expected.put("name", "http-orders");
    Reply read = send("GET", "/v1/workflows/http-orders", READER, null);
    assertEquals(expected, read.json(), read.text());
    assertEquals(expected, send("GET", "/v1/workflows/http-orders?version=1", READER, null)
        .json());
    assertEquals(403, send("PUT", "/v1/workflows/http-orders", WRITER, ORDERS).status());
    Reply conflict = send("PUT", "/v1/workflows/http-orders", ADMIN,
        ORDERS.replace("\"10m\"", "\"20m\""));
    GatewayFixture.assertError(conflict, 409, "TASK_STATE_CONFLICT", null);

    String start = "{\"input\": {\"order\": \"o-1\"}, \"idempotencyKey\": \"order-o-1\"}";
    Reply started = send("POST", "/v1/workflows/http-orders/executions", WRITER, start);
    assertEquals(201, started.status(), started.text());
    String id = started.json().path("id").asText();
    assertEquals("/v1/workflow-executions/" + id, started.headers().firstValue("Location")
        .orElse(""));
    Reply again = send("POST", "/v1/workflows/http-orders/executions", WRITER, start);
    assertEquals(200, again.status(), again.text());
    assertEquals(id, again.json().path("id").asText());

    JsonNode done = awaitStatus(id, "SUCCEEDED");
    assertEquals("http-orders", done.path("workflow").asText());
    JsonNode charge = done.path("steps").get(1);
    assertEquals("charge", charge.path("name").asText());
    assertEquals("SUCCEEDED", charge.path("status").asText());
    assertEquals(1, charge.path("attempts").asInt());
    assertEquals("o-1", charge.path("input").path("checked").asText());
    assertEquals("o-1", charge.path("output").path("checked").asText());
    assertEquals(1, charge.path("tasks").size());
    assertTrue(charge.path("endedAt").isTextual(), done.toString());
    GatewayFixture.assertError(send("POST", "/v1/workflow-executions/" + id + "/retry", WRITER,
        null), 409, "TASK_STATE_CONFLICT", null);
    GatewayFixture.assertError(send("POST", "/v1/workflow-executions/" + id + "/cancel", WRITER,
        null), 409, "TASK_STATE_CONFLICT", null);

    send("PUT", "/v1/workflows/http-orders", ADMIN, ORDERS.replace("\"version\": 1",
        "\"version\": 2"));
    JsonNode listed = send("GET", "/v1/workflows", READER, null).json();
    JsonNode orders = null;
    for (JsonNode entry : listed.path("workflows")) {
      if (entry.path("name").asText().equals("http-orders")) {
        orders = entry;
      }
    }
    assertEquals(json("{\"name\":\"http-orders\",\"versions\":[1,2],\"latest\":2}"), orders);
    Reply second = send("POST", "/v1/workflows/http-orders/executions", WRITER,
        "{\"input\": {\"order\": \"o-2\"}}");
    assertEquals(2, second.json().path("version").asInt(), second.text());
  }

  @Test
  void compensatesAFailedWorkflowAndRetriesOne() {
    assertEquals(201, send("PUT", "/v1/workflows/http-refund", ADMIN, """
        {"tasks": [
           {"name": "reserve", "type": "echo", "input": {"item": "{{input.item}}"}},
           {"name": "pay", "type": "fail", "depends_on": ["reserve"],
            "input": {"message": "card declined", "retryable": false}}],
         "error_handling": {"type": "compensating_actions", "actions": [
           {"task": "reserve", "type": "echo",
            "input": {"release": "{{tasks.reserve.output.item}}"}}]}}""").status());
    String id = send("POST", "/v1/workflows/http-refund/executions", WRITER,
        "{\"input\": {\"item\": \"book\"}}").json().path("id").asText();
    JsonNode compensated = awaitStatus(id, "COMPENSATED");
    assertEquals("FAILED", compensated.path("steps").get(1).path("status").asText());
    assertTrue(compensated.path("steps").get(1).path("error").asText().contains("card declined"),
        compensated.toString());
    JsonNode undo = compensated.path("compensations").get(0);
    assertEquals("reserve", undo.path("step").asText());
    assertEquals("SUCCEEDED", undo.path("status").asText());
    assertEquals("book", undo.path("input").path("release").asText());
    assertTrue(undo.path("task").isTextual(), undo.toString());

    assertEquals(201, send("PUT", "/v1/workflows/http-fails", ADMIN, """
        {"tasks": [{"name": "only", "type": "fail",
                    "input": {"message": "no", "retryable": false}}]}""").status());
    String failing = send("POST", "/v1/workflows/http-fails/executions", WRITER, "{}").json()
        .path("id").asText();
    awaitStatus(failing, "FAILED");
    Reply retried = send("POST", "/v1/workflow-executions/" + failing + "/retry", WRITER, null);
    assertEquals(200, retried.status(), retried.text());
    assertEquals("RUNNING", retried.json().path("status").asText());
    JsonNode failedAgain = awaitStatus(failing, "FAILED");
    assertEquals(2, failedAgain.path("steps").get(0).path("tasks").size(), failedAgain.toString());
  }

  @Test
  void listsExecutionsEndedOnesIncludedWithFilterAndCursor() {
    assertEquals(201, send("PUT", "/v1/workflows/http-listed", ADMIN, """
        {"tasks": [{"name": "only", "type": "echo", "input": "{{input}}"}]}""").status());
    java.util.Set<String> started = new java.util.TreeSet<>();
    for (int i = 0; i < 3; i++) {
      started.add(send("POST", "/v1/workflows/http-listed/executions", WRITER,
          "{\"input\": " + i + "}").json().path("id").asText());
    }
    started.forEach(id -> awaitStatus(id, "SUCCEEDED"));
    Reply first = send("GET", "/v1/workflow-executions?workflow=http-listed&limit=2", READER,
        null);
    assertEquals(200, first.status(), first.text());
    assertEquals(2, first.json().path("executions").size(), first.text());
    Reply second = send("GET", "/v1/workflow-executions?workflow=http-listed&limit=2&cursor="
        + first.json().path("nextCursor").asText(), READER, null);
    assertEquals(1, second.json().path("executions").size(), second.text());
    assertTrue(second.json().path("nextCursor").isNull(), second.text());
    java.util.Set<String> listed = new java.util.TreeSet<>();
    for (Reply page : java.util.List.of(first, second)) {
      for (JsonNode execution : page.json().path("executions")) {
        listed.add(execution.path("id").asText());
        assertEquals("SUCCEEDED", execution.path("status").asText());
      }
    }
    assertEquals(started, listed);
    assertEquals(3, send("GET", "/v1/workflow-executions?workflow=http-listed&status=succeeded",
        READER, null).json().path("executions").size());
    assertEquals(0, send("GET", "/v1/workflow-executions?workflow=http-listed&status=failed",
        READER, null).json().path("executions").size());
    GatewayFixture.assertError(send("GET", "/v1/workflow-executions?status=sleeping", READER,
        null), 400, "VALIDATION_FAILED", "status");
    GatewayFixture.assertError(send("GET", "/v1/workflow-executions?cursor=nope", READER,
        null), 400, "VALIDATION_FAILED", "cursor");
    GatewayFixture.assertError(send("GET", "/v1/workflow-executions?limit=0", READER,
        null), 400, "VALIDATION_FAILED", "limit");
  }

  @Test
  void cancelsARunningWorkflow() {
    assertEquals(201, send("PUT", "/v1/workflows/http-slow", ADMIN, """
        {"tasks": [{"name": "nap", "type": "sleep", "input": {"millis": 60000}}]}""").status());
    String id = send("POST", "/v1/workflows/http-slow/executions", WRITER, "{}").json()
        .path("id").asText();
    await().atMost(PATIENCE).until(() -> execution(id).path("steps").get(0).path("status")
        .asText().equals("RUNNING"));
    assertEquals(403, send("POST", "/v1/workflow-executions/" + id + "/cancel", READER, null)
        .status());
    Reply cancelled = send("POST", "/v1/workflow-executions/" + id + "/cancel", WRITER, null);
    assertEquals(200, cancelled.status(), cancelled.text());
    awaitStatus(id, "CANCELLED");
  }

  @Test
  void answersBadRequestsWithTheFieldAndUnknownOnesWith404() {
    GatewayFixture.assertError(send("PUT", "/v1/workflows/http-bad", ADMIN, """
        {"tasks": [{"name": "a", "type": "echo", "depends_on": ["ghost"]}]}"""),
        400, "VALIDATION_FAILED", "steps.a.dependsOn");
    GatewayFixture.assertError(send("PUT", "/v1/workflows/http-bad", ADMIN, """
        {"tasks": [{"name": "a", "type": "nobody-handles-this"}]}"""),
        400, "VALIDATION_FAILED", "steps.a.type");
    GatewayFixture.assertError(send("PUT", "/v1/workflows/http-bad", ADMIN, "[1]"),
        400, "VALIDATION_FAILED", "definition");
    GatewayFixture.assertError(send("PUT", "/v1/workflows/bad%20name", ADMIN, ORDERS),
        400, "VALIDATION_FAILED", "name");
    GatewayFixture.assertError(send("GET", "/v1/workflows/http-orders?version=x", READER, null),
        400, "VALIDATION_FAILED", "version");
    GatewayFixture.assertError(send("POST", "/v1/workflows/http-orders/executions", WRITER,
        "{\"input\": 1, \"extra\": 2}"), 400, "VALIDATION_FAILED", "extra");
    GatewayFixture.assertError(send("GET", "/v1/workflows/http-nothing", READER, null),
        404, "WORKFLOW_NOT_FOUND", null);
    GatewayFixture.assertError(send("POST", "/v1/workflows/http-nothing/executions", WRITER,
        "{}"), 404, "WORKFLOW_NOT_FOUND", null);
    GatewayFixture.assertError(send("GET", "/v1/workflow-executions/no-such-execution", READER,
        null), 404, "WORKFLOW_NOT_FOUND", null);
    GatewayFixture.assertError(send("POST", "/v1/workflow-executions/no-such/cancel", WRITER,
        null), 404, "WORKFLOW_NOT_FOUND", null);
  }

  private JsonNode awaitStatus(String id, String status) {
    await().atMost(PATIENCE).pollInterval(Duration.ofMillis(200))
        .until(() -> execution(id).path("status").asText().equals(status));
    return execution(id);
  }

  private JsonNode execution(String id) {
    Reply reply = send("GET", "/v1/workflow-executions/" + id, READER, null);
    assertEquals(200, reply.status(), reply.text());
    return reply.json();
  }

  private static JsonNode json(String text) {
    try {
      return JsonContract.MAPPER.readTree(text);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  Reply send(String method, String path, String key, String body) {
    return send(client, gateway.port(), method, path, key, body);
  }

  static Reply send(HttpClient client, int port, String method, String path, String key,
      String body) {
    HttpRequest.Builder request = HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(20))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    if (key != null) {
      request.header("Authorization", "Bearer " + key);
    }
    if (body != null) {
      request.header("Content-Type", "application/json");
    }
    try {
      HttpResponse<String> response =
          client.send(request.build(), HttpResponse.BodyHandlers.ofString());
      return new Reply(response.statusCode(), response.headers(), response.body());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
