package io.tasker.gateway;

import static io.tasker.gateway.GatewayFixture.assertError;
import static io.tasker.gateway.GatewayFixture.ADMIN;
import static io.tasker.gateway.GatewayFixture.READER;
import static io.tasker.gateway.GatewayFixture.WRITER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tasker.gateway.GatewayFixture.Reply;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** Every endpoint and its errors, over real HTTP, in front of an inline Tasker. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GatewayRoutesTest {
  private GatewayFixture gateway;

  @BeforeAll
  void start() {
    gateway = new GatewayFixture();
  }

  @AfterAll
  void stop() {
    gateway.close();
  }

  private String enqueue(String json) {
    Reply reply = gateway.post("/v1/tasks", WRITER, json);
    assertEquals(201, reply.status(), reply.text());
    return reply.json().get("id").asText();
  }

  @Test
  void enqueueAnswers201WithLocationAndTheTaskRuns() {
    Reply reply = gateway.post("/v1/tasks", WRITER,
        "{\"type\":\"echo\",\"payload\":{\"n\":7},\"priority\":5,\"metadata\":{\"tenant\":\"t1\"}}");
    assertEquals(201, reply.status(), reply.text());
    String id = reply.json().get("id").asText();
    assertEquals("/v1/tasks/" + id, reply.header("Location").orElseThrow());
    assertTrue(reply.json().get("created").asBoolean());
    JsonNode task = gateway.get("/v1/tasks/" + id, READER).json();
    assertEquals("SUCCEEDED", task.get("status").asText());
    assertEquals(7, task.get("result").get("n").asInt());
    assertEquals("t1", task.get("metadata").get("tenant").asText());
    assertEquals(5, task.get("priority").asInt());
    assertEquals("SUCCEEDED", task.get("history").get(0).get("outcome").asText());
  }

  @Test
  void whoamiNamesTheKeyAndItsScopes() {
    JsonNode reader = gateway.get("/v1/whoami", READER).json();
    assertEquals("[\"tasks:read\"]", reader.get("scopes").toString());
    JsonNode admin = gateway.get("/v1/whoami", ADMIN).json();
    assertEquals(4, admin.get("scopes").size(), admin.toString());
    assertError(gateway.get("/v1/whoami", "no-such-key"), 401, "UNAUTHORIZED", null);
  }

  @Test
  void taskTypesListsTheNodesHandlers() {
    JsonNode types = gateway.get("/v1/task-types", READER).json().get("types");
    assertTrue(types.toString().contains("\"echo\""), types.toString());
  }

  @Test
  void everyChangingCallIsAuditedWithWhoAndTheAnswerButReadsAreNot() {
    String id = enqueue("{\"type\":\"echo\",\"payload\":\"audited\"}");
    gateway.post("/v1/tasks/" + id + "/retry", READER, null); // refused: 403
    gateway.post("/v1/queues/audited/pause", "no-such-key", null); // refused: 401
    gateway.get("/v1/tasks/" + id, READER);
    JsonNode entries = gateway.get("/v1/audit?limit=500", ADMIN).json().get("entries");
    java.util.List<String> lines = new java.util.ArrayList<>();
    entries.forEach(e -> lines.add(e.get("who").asText() + " " + e.get("method").asText() + " "
        + e.get("path").asText() + " " + e.get("status").asInt()));
    String writer = gateway.get("/v1/whoami", WRITER).json().get("name").asText();
    String reader = gateway.get("/v1/whoami", READER).json().get("name").asText();
    assertTrue(lines.contains(writer + " POST /v1/tasks 201"), lines.toString());
    assertTrue(lines.contains(reader + " POST /v1/tasks/" + id + "/retry 403"), lines.toString());
    assertTrue(lines.contains("unauthenticated POST /v1/queues/audited/pause 401"),
        lines.toString());
    assertTrue(lines.stream().noneMatch(line -> line.contains(" GET ")), lines.toString());
    assertError(gateway.get("/v1/audit", WRITER), 403, "FORBIDDEN", null);
    assertError(gateway.get("/v1/audit?limit=0", ADMIN), 400, "VALIDATION_FAILED", "limit");
  }

  @Test
  void idempotencyKeyHeaderReturnsTheExistingTaskWith200() {
    String body = "{\"type\":\"echo\",\"payload\":1}";
    Reply first = gateway.send("POST", "/v1/tasks", WRITER, "application/json", body.getBytes());
    assertEquals(201, first.status());
    Reply withKey = sendWithKey(body, "order-1");
    Reply again = sendWithKey(body, "order-1");
    assertEquals(201, withKey.status(), withKey.text());
    assertEquals(200, again.status(), again.text());
    assertEquals(withKey.json().get("id"), again.json().get("id"));
    assertFalse(again.json().get("created").asBoolean());
  }

  private Reply sendWithKey(String body, String key) {
    return gateway.send("POST", "/v1/tasks", WRITER, "application/json", body.getBytes(),
        java.util.Map.of("Idempotency-Key", key));
  }

  @Test
  void enqueueValidationNamesTheField() {
    assertError(gateway.post("/v1/tasks", WRITER, "{\"type\":\"nope\"}"),
        400, "VALIDATION_FAILED", "type");
    assertError(gateway.post("/v1/tasks", WRITER, "{\"payload\":1}"),
        400, "VALIDATION_FAILED", "type");
    assertError(gateway.post("/v1/tasks", WRITER, "{\"type\":\"sleep\",\"payload\":{\"millis\":\"x\"}}"),
        400, "VALIDATION_FAILED", "payload");
    assertError(gateway.post("/v1/tasks", WRITER, "{\"type\":\"echo\",\"runAt\":\"2026-01-01T10:00:00\"}"),
        400, "VALIDATION_FAILED", "runAt");
    assertError(gateway.post("/v1/tasks", WRITER, "{\"type\":\"echo\",\"delay\":\"5 minutes\"}"),
        400, "VALIDATION_FAILED", "delay");
    assertError(gateway.post("/v1/tasks", WRITER, "{\"type\":\"echo\",\"priority\":1001}"),
        400, "VALIDATION_FAILED", "priority");
    assertError(gateway.post("/v1/tasks", WRITER, "{\"type\":\"echo\",\"maxAttempts\":0}"),
        400, "VALIDATION_FAILED", "maxAttempts");
    assertError(gateway.post("/v1/tasks", WRITER,
        "{\"type\":\"echo\",\"backoff\":{\"kind\":\"exponential\",\"factor\":0.5}}"),
        400, "VALIDATION_FAILED", "backoff.factor");
    assertError(gateway.post("/v1/tasks", WRITER, "{\"type\":\"echo\",\"timeout\":\"PT0S\"}"),
        400, "VALIDATION_FAILED", "timeout");
    assertError(gateway.post("/v1/tasks", WRITER, "{\"type\":\"echo\",\"queue\":\"a b\"}"),
        400, "VALIDATION_FAILED", "queue");
    assertError(gateway.post("/v1/tasks", WRITER, "{\"type\":\"echo\",\"metadata\":{\"k\":1}}"),
        400, "VALIDATION_FAILED", "metadata.k");
    assertError(gateway.post("/v1/tasks", WRITER, "{\"type\":\"echo\",\"colour\":\"red\"}"),
        400, "VALIDATION_FAILED", "colour");
    assertError(gateway.post("/v1/tasks", WRITER, "{\"type\":"), 400, "MALFORMED_JSON", null);
  }

  @Test
  void bodyLimitsAndContentType() {
    byte[] huge = ("{\"type\":\"echo\",\"payload\":\"" + "x".repeat(1_100_000) + "\"}").getBytes();
    assertError(gateway.send("POST", "/v1/tasks", WRITER, "application/json", huge),
        413, "PAYLOAD_TOO_LARGE", null);
    assertError(gateway.send("POST", "/v1/tasks", WRITER, "text/plain", "{}".getBytes()),
        415, "UNSUPPORTED_MEDIA_TYPE", null);
  }

  @Test
  void batchIsAllOrNothingOnValidation() {
    Reply ok = gateway.post("/v1/tasks:batch", WRITER,
        "{\"tasks\":[{\"type\":\"echo\",\"payload\":1},{\"type\":\"echo\",\"payload\":2}]}");
    assertEquals(201, ok.status(), ok.text());
    assertEquals(2, ok.json().get("tasks").size());
    int before = gateway.get("/v1/tasks?limit=500", READER).json().get("tasks").size();
    Reply bad = gateway.post("/v1/tasks:batch", WRITER,
        "{\"tasks\":[{\"type\":\"echo\"},{\"type\":\"echo\",\"priority\":\"high\"}]}");
    assertError(bad, 400, "VALIDATION_FAILED", "tasks[1].priority");
    Reply unknown = gateway.post("/v1/tasks:batch", WRITER,
        "{\"tasks\":[{\"type\":\"echo\"},{\"type\":\"missing\"}]}");
    assertError(unknown, 400, "VALIDATION_FAILED", "tasks[1].type");
    assertEquals(before, gateway.get("/v1/tasks?limit=500", READER).json().get("tasks").size());
    assertError(gateway.post("/v1/tasks:batch", WRITER, "{\"tasks\":[]}"),
        400, "VALIDATION_FAILED", "tasks");
  }

  @Test
  void getAndListTasks() {
    String id = enqueue("{\"type\":\"echo\",\"queue\":\"listed\",\"delay\":\"PT1H\"}");
    enqueue("{\"type\":\"echo\",\"queue\":\"listed\",\"delay\":\"PT2H\"}");
    enqueue("{\"type\":\"echo\",\"queue\":\"listed\",\"delay\":\"PT3H\"}");
    JsonNode page = gateway.get("/v1/tasks?queue=listed&status=scheduled&order=run_at&limit=2",
        READER).json();
    assertEquals(2, page.get("tasks").size());
    assertEquals(id, page.get("tasks").get(0).get("id").asText());
    String cursor = page.get("nextCursor").asText();
    JsonNode next = gateway.get("/v1/tasks?queue=listed&status=scheduled&order=run_at&limit=2&cursor="
        + cursor, READER).json();
    assertEquals(1, next.get("tasks").size());
    assertTrue(next.get("nextCursor").isNull());
    assertError(gateway.get("/v1/tasks?status=bogus", READER), 400, "VALIDATION_FAILED", "status");
    assertError(gateway.get("/v1/tasks?limit=0", READER), 400, "VALIDATION_FAILED", "limit");
    assertError(gateway.get("/v1/tasks?colour=red", READER), 400, "VALIDATION_FAILED", "colour");
    assertError(gateway.get("/v1/tasks/00000000-0000-0000-0000-000000000000", READER),
        404, "TASK_NOT_FOUND", null);
    assertError(gateway.get("/v1/tasks/bad%20id", READER), 400, "VALIDATION_FAILED", "id");
  }

  @Test
  void cancelAnswers204ThenConflictWithTheStatus() {
    String id = enqueue("{\"type\":\"echo\",\"delay\":\"PT1H\"}");
    assertEquals(204, gateway.delete("/v1/tasks/" + id, WRITER).status());
    assertEquals("CANCELLED", gateway.get("/v1/tasks/" + id, READER).json().get("status").asText());
    Reply again = gateway.delete("/v1/tasks/" + id, WRITER);
    assertError(again, 409, "TASK_STATE_CONFLICT", null);
    assertEquals("CANCELLED", again.json().get("error").get("status").asText());
  }

  @Test
  void rescheduleMovesRunTimeAndPriority() {
    String id = enqueue("{\"type\":\"echo\",\"delay\":\"PT1H\"}");
    Reply moved = gateway.patch("/v1/tasks/" + id, WRITER,
        "{\"runAt\":\"2026-06-01T15:00:00+02:00\",\"priority\":9}");
    assertEquals(200, moved.status(), moved.text());
    assertEquals("2026-06-01T13:00:00Z", moved.json().get("runAt").asText());
    assertEquals(9, moved.json().get("priority").asInt());
    Reply now = gateway.patch("/v1/tasks/" + id, WRITER, "{\"delay\":\"PT0S\"}");
    assertEquals("SUCCEEDED", now.json().get("status").asText(), now.text());
    assertError(gateway.patch("/v1/tasks/" + id, WRITER, "{\"priority\":1}"),
        409, "TASK_STATE_CONFLICT", null);
    assertError(gateway.patch("/v1/tasks/" + id, WRITER, "{}"), 400, "VALIDATION_FAILED", "runAt");
  }

  @Test
  void retryRerunsADeadTask() {
    String id = enqueue("{\"type\":\"fail\",\"payload\":{\"message\":\"no\",\"retryable\":false}}");
    assertEquals("DEAD", gateway.get("/v1/tasks/" + id, READER).json().get("status").asText());
    Reply retried = gateway.post("/v1/tasks/" + id + "/retry", WRITER, null);
    assertEquals(200, retried.status(), retried.text());
    assertEquals(2, retried.json().get("attempts").asInt());
    assertEquals("no", retried.json().get("lastError").get("message").asText());
    String done = enqueue("{\"type\":\"echo\"}");
    assertError(gateway.post("/v1/tasks/" + done + "/retry", WRITER, null),
        409, "TASK_STATE_CONFLICT", null);
  }

  @Test
  void queuesShowCountsAndTakeLimits() {
    enqueue("{\"type\":\"echo\",\"queue\":\"q1\",\"delay\":\"PT1H\"}");
    JsonNode queues = gateway.get("/v1/queues", READER).json().get("queues");
    Set<String> names = new HashSet<>();
    queues.forEach(q -> names.add(q.get("name").asText()));
    assertTrue(names.contains("q1") && names.contains("default"), queues.toString());
    JsonNode q1 = gateway.get("/v1/queues/q1", READER).json();
    assertEquals(1, q1.get("tasks").get("SCHEDULED").asInt());
    Reply updated = gateway.put("/v1/queues/q1", ADMIN, "{\"maxConcurrency\":3,\"rate\":5}");
    assertEquals(200, updated.status(), updated.text());
    assertEquals(3, updated.json().get("limits").get("maxConcurrency").asInt());
    assertEquals(5.0, updated.json().get("limits").get("rate").asDouble());
    Reply paused = gateway.post("/v1/queues/q1/pause", ADMIN, null);
    assertTrue(paused.json().get("limits").get("paused").asBoolean(), paused.text());
    assertFalse(gateway.post("/v1/queues/q1/resume", ADMIN, null)
        .json().get("limits").get("paused").asBoolean());
    assertError(gateway.put("/v1/queues/q1", ADMIN, "{\"maxConcurrency\":-1}"),
        400, "VALIDATION_FAILED", "maxConcurrency");
    assertError(gateway.get("/v1/queues/bad%20name", READER), 400, "VALIDATION_FAILED", "name");
  }

  @Test
  void authNeedsAKnownKeyWithTheRightScope() {
    assertError(gateway.get("/v1/tasks", null), 401, "UNAUTHORIZED", null);
    assertError(gateway.get("/v1/tasks", "wrong-key"), 401, "UNAUTHORIZED", null);
    assertError(gateway.post("/v1/tasks", READER, "{\"type\":\"echo\"}"), 403, "FORBIDDEN", null);
    assertError(gateway.put("/v1/queues/q", WRITER, "{}"), 403, "FORBIDDEN", null);
    assertEquals(200, gateway.get("/health/live", null).status());
    assertEquals(200, gateway.get("/v1/openapi.json", null).status());
  }

  @Test
  void requestsTooMalformedToRouteGetAJsonErrorToo() throws Exception {
    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", gateway.gateway.port())) {
      socket.getOutputStream().write(("GET /v1/tasks?limit=%zz HTTP/1.1\r\nHost: x\r\n"
          + "Connection: close\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      String response = new String(socket.getInputStream().readAllBytes(),
          java.nio.charset.StandardCharsets.UTF_8);
      assertTrue(response.startsWith("HTTP/1.1 400"), response);
      String body = response.substring(response.indexOf("\r\n\r\n") + 4);
      assertEquals("MALFORMED_REQUEST",
          JsonContract.MAPPER.readTree(body).get("error").get("code").asText(), response);
    }
  }

  @Test
  void clusterViewListsMembers() {
    JsonNode cluster = gateway.get("/v1/cluster", READER).json();
    assertEquals(1, cluster.get("members").size());
    assertEquals("Up", cluster.get("members").get(0).get("status").asText());
    assertError(gateway.get("/v1/cluster", null), 401, "UNAUTHORIZED", null);
  }

  @Test
  void healthAndUnknownRoutes() {
    assertEquals("READY", gateway.get("/health/ready", null).json().get("status").asText());
    assertError(gateway.get("/v2/nothing", READER), 404, "NOT_FOUND", null);
    assertError(gateway.send("PUT", "/v1/tasks", WRITER, "application/json", "{}".getBytes()),
        405, "METHOD_NOT_ALLOWED", null);
  }

  @Test
  void devKeyFileIsReusedAcrossStarts() throws Exception {
    java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("devkey");
    com.typesafe.config.Config config = com.typesafe.config.ConfigFactory.parseString(
            "tasker.http.port = 0\ntasker.http.host = \"127.0.0.1\"\npekko.actor.provider = local")
        .withFallback(com.typesafe.config.ConfigFactory.load()).resolve();
    org.apache.pekko.actor.typed.ActorSystem<Void> system = org.apache.pekko.actor.typed.ActorSystem
        .create(org.apache.pekko.actor.typed.javadsl.Behaviors.empty(), "devkey", config);
    try {
      HttpGateway first = HttpGateway.start(system, gateway.tasker, config, dir, gateway.clock);
      String key = first.developmentKey().orElseThrow();
      first.close();
      HttpGateway second = HttpGateway.start(system, gateway.tasker, config, dir, gateway.clock);
      assertEquals(key, second.developmentKey().orElseThrow());
      second.close();
    } finally {
      system.terminate();
    }
  }
}
