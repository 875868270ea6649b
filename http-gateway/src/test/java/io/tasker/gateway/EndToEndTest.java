package io.tasker.gateway;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.tasker.node.Tasker;
import io.tasker.node.TaskerNode;
import io.tasker.sample.SampleHandlers;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * A real node (cluster sharding, event-sourced tasks on the H2 journal, queue managers, the
 * sample handlers) with its HTTP gateway on a free port, driven over HTTP with
 * {@code java.net.http}: run, retry, cancel, reschedule, re-run of a dead task, idempotency,
 * listing with cursors, queues, pause/resume, health, authentication and scopes.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EndToEndTest {
  private static final String READER = "e2e-reader-key";
  private static final String WRITER = "e2e-writer-key";
  private static final String ADMIN = "e2e-admin-key";
  private static final Duration PATIENCE = Duration.ofSeconds(30);

  private Path dataDir;
  private TaskerNode node;
  private HttpGateway gateway;
  private final HttpClient client =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /** An answer: status, headers, body. */
  record Reply(int status, HttpHeaders headers, String text) {
    JsonNode json() {
      try {
        return JsonContract.MAPPER.readTree(text);
      } catch (IOException e) {
        throw new AssertionError("not JSON: " + text, e);
      }
    }
  }

  @BeforeAll
  void start() throws IOException {
    dataDir = Files.createTempDirectory("tasker-e2e-");
    Config config = ConfigFactory.parseString(String.join("\n",
            "tasker.http.port = 0",
            "tasker.http.host = \"127.0.0.1\"",
            "tasker.data-dir = \"" + dataDir.toString().replace("\\", "/") + "\"",
            "tasker.http.auth.env-keys = \"" + READER + "=tasks:read;" + WRITER
                + "=tasks:read,tasks:write;" + ADMIN + "=tasks:read,tasks:write,queues:admin\"",
            // other test classes may run nodes in this JVM too
            "pekko.cluster.jmx.multi-mbeans-in-same-jvm = on"))
        .withFallback(ConfigFactory.load())
        .resolve();
    node = Tasker.builder().plugin(new SampleHandlers()).config(config).start();
    gateway = HttpGateway.start(node); // the node's own configuration: the embedding call
    await().atMost(PATIENCE).pollInterval(Duration.ofMillis(200))
        .until(() -> get("/health/ready", null).status() == 200);
  }

  @AfterAll
  void stop() throws IOException {
    if (gateway != null) {
      gateway.close();
    }
    if (node != null) {
      node.close();
    }
    if (dataDir != null) {
      try (Stream<Path> files = Files.walk(dataDir)) {
        files.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(path -> {
          try {
            Files.deleteIfExists(path);
          } catch (IOException e) {
            // a leftover temp file is harmless
          }
        });
      }
    }
  }

  @Test
  @Order(1)
  void healthAndAuthentication() {
    Reply live = get("/health/live", null);
    assertEquals(200, live.status(), live.text());
    assertEquals("UP", live.json().get("status").asText());
    Reply ready = get("/health/ready", null);
    assertEquals(200, ready.status(), ready.text());
    assertEquals("READY", ready.json().get("status").asText());

    assertError(get("/v1/tasks", null), 401, "UNAUTHORIZED");
    assertError(get("/v1/tasks", "not-a-key"), 401, "UNAUTHORIZED");
    assertError(post("/v1/tasks", READER, "{\"type\":\"echo\",\"payload\":1}"), 403, "FORBIDDEN");
    assertError(put("/v1/queues/default", WRITER, "{\"maxConcurrency\":1}"), 403, "FORBIDDEN");
    assertError(post("/v1/queues/default/pause", WRITER, null), 403, "FORBIDDEN");
    assertEquals(200, get("/v1/tasks?limit=1", READER).status());
    // Nothing was enqueued or changed by the refused requests.
    assertEquals(100, queue("default").get("limits").get("maxConcurrency").asInt());
    assertFalse(queue("default").get("limits").get("paused").asBoolean());
  }

  @Test
  @Order(2)
  void echoSucceedsWithItsPayloadAsResult() {
    String payload = "{\"greeting\":\"hello\",\"n\":[1,2,3],\"nested\":{\"ok\":true}}";
    Reply created = post("/v1/tasks", WRITER,
        "{\"type\":\"echo\",\"payload\":" + payload + ",\"metadata\":{\"source\":\"e2e\"}}");
    assertEquals(201, created.status(), created.text());
    String id = created.json().get("id").asText();
    assertTrue(created.json().get("created").asBoolean());
    assertEquals("/v1/tasks/" + id, created.headers().firstValue("Location").orElseThrow());

    JsonNode task = awaitStatus(id, "SUCCEEDED");
    assertEquals(json(payload), task.get("result"));
    assertEquals(json(payload), task.get("payload"));
    assertEquals(1, task.get("attempts").asInt());
    assertEquals("e2e", task.get("metadata").get("source").asText());
    assertEquals(1, task.get("history").size());
    assertEquals("SUCCEEDED", task.get("history").get(0).get("outcome").asText());
    assertTrue(task.get("lastError").isNull());
  }

  @Test
  @Order(3)
  void flakySucceedsOnItsSecondAttempt() {
    String id = enqueue("{\"type\":\"flaky\",\"payload\":{\"failures\":1}}");
    JsonNode task = awaitStatus(id, "SUCCEEDED");
    assertEquals(2, task.get("attempts").asInt(), task.toString());
    assertEquals(2, task.get("result").get("succeededOnAttempt").asInt(), task.toString());
    JsonNode history = task.get("history");
    assertEquals(2, history.size(), task.toString());
    assertEquals(1, history.get(0).get("attempt").asInt());
    assertEquals("FAILED", history.get(0).get("outcome").asText());
    assertTrue(history.get(0).get("errorMessage").asText().contains("planned failure 1 of 1"),
        history.toString());
    assertEquals(2, history.get(1).get("attempt").asInt());
    assertEquals("SUCCEEDED", history.get(1).get("outcome").asText());
    // the retry waited for its backoff (500 ms minus jitter), never started early
    Instant failed = Instant.parse(history.get(0).get("finishedAt").asText());
    Instant retried = Instant.parse(history.get(1).get("startedAt").asText());
    assertTrue(!retried.isBefore(failed.plusMillis(300)), history.toString());
  }

  @Test
  @Order(4)
  void runningSleepIsCancelledThenConflicts() {
    String id = enqueue("{\"type\":\"sleep\",\"payload\":{\"millis\":60000}}");
    awaitStatus(id, "RUNNING");
    Reply cancelled = delete("/v1/tasks/" + id, WRITER);
    assertEquals(204, cancelled.status(), cancelled.text());
    assertEquals("CANCELLED", awaitStatus(id, "CANCELLED").get("status").asText());

    Reply again = delete("/v1/tasks/" + id, WRITER);
    assertError(again, 409, "TASK_STATE_CONFLICT");
    assertEquals("CANCELLED", again.json().get("error").get("status").asText());

    String done = enqueue("{\"type\":\"echo\",\"payload\":\"done\"}");
    awaitStatus(done, "SUCCEEDED");
    Reply finished = delete("/v1/tasks/" + done, WRITER);
    assertError(finished, 409, "TASK_STATE_CONFLICT");
    assertEquals("SUCCEEDED", finished.json().get("error").get("status").asText());
    assertEquals("SUCCEEDED", task(done).get("status").asText());
  }

  @Test
  @Order(5)
  void delayedEchoRescheduledToNowRuns() {
    Instant before = Instant.now();
    Reply created = post("/v1/tasks", WRITER,
        "{\"type\":\"echo\",\"payload\":{\"delayed\":true},\"delay\":\"PT1H\"}");
    assertEquals(201, created.status(), created.text());
    String id = created.json().get("id").asText();
    assertEquals("SCHEDULED", created.json().get("status").asText());
    Instant runAt = Instant.parse(created.json().get("runAt").asText());
    assertTrue(!runAt.isBefore(before.plus(Duration.ofMinutes(59))), "runAt " + runAt);
    assertEquals("SCHEDULED", task(id).get("status").asText());

    Instant now = Instant.now();
    Reply moved = patch("/v1/tasks/" + id, WRITER, "{\"runAt\":\"" + now + "\",\"priority\":7}");
    assertEquals(200, moved.status(), moved.text());
    assertEquals(7, moved.json().get("priority").asInt());
    JsonNode task = awaitStatus(id, "SUCCEEDED");
    assertEquals(json("{\"delayed\":true}"), task.get("result"));
    Instant started = Instant.parse(task.get("history").get(0).get("startedAt").asText());
    assertTrue(started.isBefore(runAt), "ran at " + started + ", not at the old run time");
    assertTrue(!started.isBefore(now.minusMillis(5)), "never before its new run time");
  }

  @Test
  @Order(6)
  void deadTaskIsRetriedAndRunsAgain() {
    String id =
        enqueue("{\"type\":\"fail\",\"payload\":{\"message\":\"no way\",\"retryable\":false}}");
    JsonNode dead = awaitStatus(id, "DEAD");
    assertEquals(1, dead.get("attempts").asInt());
    assertEquals("no way", dead.get("lastError").get("message").asText());

    Reply retried = post("/v1/tasks/" + id + "/retry", WRITER, null);
    assertEquals(200, retried.status(), retried.text());
    await().atMost(PATIENCE).pollInterval(Duration.ofMillis(100)).until(() -> {
      JsonNode task = task(id);
      return task.get("attempts").asInt() == 2 && task.get("status").asText().equals("DEAD");
    });
    JsonNode again = task(id);
    assertEquals(2, again.get("history").size(), again.toString());
    assertEquals("FAILED", again.get("history").get(1).get("outcome").asText());

    String alive = enqueue("{\"type\":\"echo\",\"payload\":1}");
    awaitStatus(alive, "SUCCEEDED");
    Reply notDead = post("/v1/tasks/" + alive + "/retry", WRITER, null);
    assertError(notDead, 409, "TASK_STATE_CONFLICT");
    assertEquals("SUCCEEDED", notDead.json().get("error").get("status").asText());
  }

  @Test
  @Order(7)
  void idempotencyKeyHeaderAnswersTheSameTask() {
    String key = "e2e-order-" + UUID.randomUUID();
    String body = "{\"type\":\"echo\",\"payload\":{\"order\":42}}";
    Reply first = send("POST", "/v1/tasks", WRITER, body, Map.of("Idempotency-Key", key));
    assertEquals(201, first.status(), first.text());
    assertTrue(first.json().get("created").asBoolean());
    Reply second = send("POST", "/v1/tasks", WRITER, body, Map.of("Idempotency-Key", key));
    assertEquals(200, second.status(), second.text());
    assertFalse(second.json().get("created").asBoolean());
    String id = first.json().get("id").asText();
    assertEquals(id, second.json().get("id").asText());
    assertEquals("/v1/tasks/" + id, second.headers().firstValue("Location").orElseThrow());
    JsonNode task = awaitStatus(id, "SUCCEEDED");
    assertEquals(key, task.get("idempotencyKey").asText());
    assertEquals(1, task.get("attempts").asInt(), "ran once");
  }

  @Test
  @Order(8)
  void listingFiltersAndPagesWithCursors() {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      ids.add(enqueue("{\"type\":\"echo\",\"payload\":{\"page\":" + i + "}}"));
    }
    ids.forEach(id -> awaitStatus(id, "SUCCEEDED"));
    // the index follows the tasks within milliseconds: wait until it lists all five
    await().atMost(PATIENCE).pollInterval(Duration.ofMillis(100))
        .until(() -> listAll("/v1/tasks?queue=default&status=SUCCEEDED&limit=2").containsAll(ids));

    List<String> seen = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      Reply page = get("/v1/tasks?queue=default&status=SUCCEEDED&limit=2"
          + (cursor == null ? "" : "&cursor=" + cursor), READER);
      assertEquals(200, page.status(), page.text());
      JsonNode tasks = page.json().get("tasks");
      assertTrue(tasks.size() <= 2, page.text());
      for (JsonNode task : tasks) {
        assertEquals("SUCCEEDED", task.get("status").asText());
        assertEquals("default", task.get("queue").asText());
        seen.add(task.get("id").asText());
      }
      JsonNode next = page.json().get("nextCursor");
      cursor = next.isNull() ? null : next.asText();
      pages++;
    } while (cursor != null && pages < 100);
    assertNull(cursor, "paging ends");
    assertTrue(pages >= 3, "5+ tasks at 2 per page take 3+ pages, took " + pages);
    assertEquals(seen.size(), new HashSet<>(seen).size(), "no task on two pages: " + seen);
    assertTrue(seen.containsAll(ids), seen + " lacks some of " + ids);

    // Other filters: none of our echo tasks is DEAD, and a type filter keeps only its type.
    Set<String> dead = listAll("/v1/tasks?queue=default&status=dead&limit=50");
    ids.forEach(id -> assertFalse(dead.contains(id)));
    Reply echoes = get("/v1/tasks?type=echo&limit=500&order=run_at", READER);
    assertEquals(200, echoes.status(), echoes.text());
    echoes.json().get("tasks").forEach(t -> assertEquals("echo", t.get("type").asText()));
    assertError(get("/v1/tasks?status=bogus", READER), 400, "VALIDATION_FAILED");
  }

  @Test
  @Order(9)
  void queuesShowCountsByStatus() {
    String id = enqueue("{\"type\":\"echo\",\"payload\":\"count me\"}");
    awaitStatus(id, "SUCCEEDED");
    await().atMost(PATIENCE).pollInterval(Duration.ofMillis(100))
        .until(() -> queue("default").get("tasks").get("SUCCEEDED").asInt() >= 1);

    Reply all = get("/v1/queues", READER);
    assertEquals(200, all.status(), all.text());
    JsonNode defaultQueue = null;
    for (JsonNode q : all.json().get("queues")) {
      if (q.get("name").asText().equals("default")) {
        defaultQueue = q;
      }
    }
    assertNotNull(defaultQueue, all.text());
    assertTrue(defaultQueue.get("tasks").get("SUCCEEDED").asInt() >= 1, all.text());
    assertTrue(defaultQueue.has("running") && defaultQueue.has("waiting"), all.text());

    JsonNode one = queue("default");
    assertEquals("default", one.get("name").asText());
    JsonNode counts = one.get("tasks");
    for (String status : List.of("SCHEDULED", "RUNNING", "SUCCEEDED", "DEAD", "CANCELLED")) {
      assertTrue(counts.has(status), one.toString());
    }
    assertTrue(counts.get("SUCCEEDED").asInt() >= 1, one.toString());
    assertEquals(100, one.get("limits").get("maxConcurrency").asInt(), one.toString());
    assertError(get("/v1/queues/bad%20name", READER), 400, "VALIDATION_FAILED");
  }

  @Test
  @Order(10)
  void queueLimitsChangeAtRunTime() {
    try {
      Reply updated = put("/v1/queues/default", ADMIN, "{\"maxConcurrency\": 1}");
      assertEquals(200, updated.status(), updated.text());
      assertEquals(1, updated.json().get("limits").get("maxConcurrency").asInt(), updated.text());
      JsonNode shown = queue("default");
      assertEquals(1, shown.get("limits").get("maxConcurrency").asInt(), shown.toString());
      // other limits untouched
      assertEquals(0, shown.get("limits").get("maxConcurrencyPerKey").asInt(), shown.toString());
      // tasks still run under the new limit
      awaitStatus(enqueue("{\"type\":\"echo\",\"payload\":\"limited\"}"), "SUCCEEDED");
      assertError(put("/v1/queues/default", ADMIN, "{\"maxConcurrency\": -1}"), 400,
          "VALIDATION_FAILED");
      assertEquals(1, queue("default").get("limits").get("maxConcurrency").asInt());
    } finally {
      Reply restored = put("/v1/queues/default", ADMIN, "{\"maxConcurrency\": 100}");
      assertEquals(200, restored.status(), restored.text());
    }
    assertEquals(100, queue("default").get("limits").get("maxConcurrency").asInt());
  }

  @Test
  @Order(11)
  void pausedQueueStartsNothingUntilResumed() {
    String id;
    try {
      Reply paused = post("/v1/queues/default/pause", ADMIN, null);
      assertEquals(200, paused.status(), paused.text());
      assertTrue(paused.json().get("limits").get("paused").asBoolean(), paused.text());
      assertTrue(queue("default").get("limits").get("paused").asBoolean());

      id = enqueue("{\"type\":\"echo\",\"payload\":\"after the pause\"}");
      // it stays SCHEDULED, never starting, while the queue is paused
      String waiting = id;
      await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5))
          .pollInterval(Duration.ofMillis(200))
          .until(() -> task(waiting).get("status").asText().equals("SCHEDULED"));
      assertEquals(0, task(id).get("attempts").asInt());
    } finally {
      Reply resumed = post("/v1/queues/default/resume", ADMIN, null);
      assertEquals(200, resumed.status(), resumed.text());
      assertFalse(resumed.json().get("limits").get("paused").asBoolean(), resumed.text());
    }
    JsonNode task = awaitStatus(id, "SUCCEEDED");
    assertEquals(json("\"after the pause\""), task.get("result"));
    assertEquals(1, task.get("attempts").asInt());
  }

  // Helpers

  private String enqueue(String body) {
    Reply reply = post("/v1/tasks", WRITER, body);
    assertEquals(201, reply.status(), reply.text());
    return reply.json().get("id").asText();
  }

  private JsonNode task(String id) {
    Reply reply = get("/v1/tasks/" + id, READER);
    assertEquals(200, reply.status(), reply.text());
    return reply.json();
  }

  private JsonNode queue(String name) {
    Reply reply = get("/v1/queues/" + name, READER);
    assertEquals(200, reply.status(), reply.text());
    return reply.json();
  }

  /** Polls the task until it has {@code status}; fails fast if it finishes otherwise. */
  private JsonNode awaitStatus(String id, String status) {
    JsonNode[] last = new JsonNode[1];
    await().atMost(PATIENCE).pollInterval(Duration.ofMillis(100)).until(() -> {
      last[0] = task(id);
      String now = last[0].get("status").asText();
      if (!now.equals(status) && List.of("SUCCEEDED", "DEAD", "CANCELLED").contains(now)) {
        throw new AssertionError("task " + id + " finished " + now + ", expected " + status
            + ": " + last[0]);
      }
      return now.equals(status);
    });
    return last[0];
  }

  /** Every task id over all pages of {@code path} (which must have a limit). */
  private Set<String> listAll(String path) {
    Set<String> ids = new HashSet<>();
    String cursor = null;
    for (int pages = 0; pages < 1000; pages++) {
      Reply page = get(path + (cursor == null ? "" : "&cursor=" + cursor), READER);
      assertEquals(200, page.status(), page.text());
      page.json().get("tasks").forEach(t -> ids.add(t.get("id").asText()));
      JsonNode next = page.json().get("nextCursor");
      if (next.isNull()) {
        return ids;
      }
      cursor = next.asText();
    }
    throw new AssertionError("more than 1000 pages of " + path);
  }

  /**
   * Values that went wrong only past validation, in the journal's serializer (a lone surrogate:
   * 503 after the ask timed out), in the handler (no payload: a NullPointerException per attempt),
   * in timer arithmetic (runAt in year 0) or in the database: each is now refused at once, naming
   * its field. A NUL in a payload is data the journal keeps (as bytes) and gives back.
   */
  @Test
  @Order(12)
  void valuesTheJournalOrTheHandlerCannotTakeAreRefusedAtOnce() {
    Map<String, String> refused = new java.util.LinkedHashMap<>();
    refused.put("{\"type\":\"echo\",\"payload\":{\"a\":\"\\ud800\"}}", "payload.a");
    refused.put("{\"type\":\"echo\",\"metadata\":{\"k\":\"\\udfff\"}}", "metadata.k");
    refused.put("{\"type\":\"echo\",\"concurrencyKey\":\"a\\u0000b\"}", "concurrencyKey");
    refused.put("{\"type\":\"sleep\"}", "payload");
    refused.put("{\"type\":\"echo\",\"runAt\":\"0000-01-01T00:00:00Z\"}", "runAt");
    refused.put("{\"type\":\"echo\",\"runAt\":\"-999999999-01-01T00:00:00Z\"}", "runAt");
    refused.put("{\"type\":\"echo\",\"runAt\":\"+999999999-12-31T23:59:59Z\"}", "runAt");
    refused.put("{\"type\":\"echo\",\"payload\":{\"n\":1e400}}", "payload.n");
    // refused before the journal: a value that reached it would answer 503 after the ask timed
    // out, not 400; and send's request timeout fails a request left unanswered
    refused.forEach((body, field) -> {
      Reply reply = post("/v1/tasks", WRITER, body);
      assertError(reply, 400, "VALIDATION_FAILED");
      assertEquals(field, reply.json().get("error").get("field").asText(), reply.text());
    });
    Reply scheduled = post("/v1/tasks", WRITER, "{\"type\":\"echo\",\"delay\":\"PT1H\"}");
    assertEquals(201, scheduled.status(), scheduled.text());
    String id = scheduled.json().get("id").asText();
    Reply moved = patch("/v1/tasks/" + id, WRITER, "{\"runAt\":\"0000-01-01T00:00:00Z\"}");
    assertError(moved, 400, "VALIDATION_FAILED");
    assertEquals("runAt", moved.json().get("error").get("field").asText(), moved.text());
    assertEquals(204, delete("/v1/tasks/" + id, WRITER).status());

    Reply nul = post("/v1/tasks", WRITER,
        "{\"type\":\"echo\",\"payload\":{\"a\\u0000\":\"x\\u0000y\"}}");
    assertEquals(201, nul.status(), nul.text());
    JsonNode task = awaitStatus(nul.json().get("id").asText(), "SUCCEEDED");
    assertEquals("x\u0000y", task.get("payload").get("a\u0000").asText());
    assertEquals(task.get("payload"), task.get("result"));
  }

  private static void assertError(Reply reply, int status, String code) {
    assertEquals(status, reply.status(), reply.text());
    JsonNode error = reply.json().get("error");
    assertNotNull(error, reply.text());
    assertEquals(code, error.get("code").asText(), reply.text());
    assertFalse(error.get("message").asText().isBlank(), reply.text());
    assertTrue(error.has("field"), reply.text());
  }

  private static JsonNode json(String text) {
    try {
      return JsonContract.MAPPER.readTree(text);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private Reply get(String path, String key) {
    return send("GET", path, key, null, Map.of());
  }

  private Reply post(String path, String key, String body) {
    return send("POST", path, key, body, Map.of());
  }

  private Reply put(String path, String key, String body) {
    return send("PUT", path, key, body, Map.of());
  }

  private Reply patch(String path, String key, String body) {
    return send("PATCH", path, key, body, Map.of());
  }

  private Reply delete(String path, String key) {
    return send("DELETE", path, key, null, Map.of());
  }

  private Reply send(String method, String path, String key, String body,
      Map<String, String> headers) {
    HttpRequest.Builder request = HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + gateway.port() + path))
        .timeout(Duration.ofSeconds(20))
        .method(method, body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body, UTF_8));
    if (key != null) {
      request.header("Authorization", "Bearer " + key);
    }
    if (body != null) {
      request.header("Content-Type", "application/json");
    }
    headers.forEach(request::header);
    try {
      HttpResponse<String> response =
          client.send(request.build(), HttpResponse.BodyHandlers.ofString(UTF_8));
      return new Reply(response.statusCode(), response.headers(), response.body());
    } catch (IOException e) {
      throw new AssertionError(method + " " + path + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
