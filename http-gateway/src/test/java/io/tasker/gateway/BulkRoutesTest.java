package io.tasker.gateway;

import static io.tasker.gateway.GatewayFixture.assertError;
import static io.tasker.gateway.GatewayFixture.READER;
import static io.tasker.gateway.GatewayFixture.WRITER;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.tasker.gateway.GatewayFixture.Reply;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * POST /v1/tasks:retry and /v1/tasks:cancel (a filter in, {matched, done, failed} out) and the
 * time range of GET /v1/tasks, in front of an inline Tasker on a settable clock.
 */
class BulkRoutesTest {
  private static final String DEAD_TASK =
      "{\"type\":\"fail\",\"payload\":{\"message\":\"no\",\"retryable\":false}}";
  private final GatewayFixture gateway = new GatewayFixture();

  @AfterEach
  void stop() {
    gateway.close();
  }

  private String enqueue(String json) {
    Reply reply = gateway.post("/v1/tasks", WRITER, json);
    assertEquals(201, reply.status(), reply.text());
    return reply.json().get("id").asText();
  }

  @Test
  void retryCountsThenRerunsTheMatchingDeadTasks() {
    String first = enqueue(DEAD_TASK);
    enqueue(DEAD_TASK);
    enqueue(DEAD_TASK.replace("\"fail\"", "\"fail\",\"queue\":\"other\""));
    enqueue("{\"type\":\"echo\"}");

    Reply counted = gateway.post("/v1/tasks:retry", WRITER,
        "{\"status\":\"dead\",\"queue\":\"default\",\"dryRun\":true}");
    assertEquals(200, counted.status(), counted.text());
    assertEquals(2, counted.json().get("matched").asInt());
    assertEquals(0, counted.json().get("done").asInt());
    assertEquals(true, counted.json().get("dryRun").asBoolean());
    assertEquals(1, gateway.get("/v1/tasks/" + first, READER).json().get("attempts").asInt());

    Reply retried = gateway.post("/v1/tasks:retry", WRITER,
        "{\"status\":\"DEAD\",\"queue\":\"default\"}");
    assertEquals(200, retried.status(), retried.text());
    assertEquals(2, retried.json().get("matched").asInt());
    assertEquals(2, retried.json().get("done").asInt());
    assertEquals(0, retried.json().get("failed").asInt());
    // the inline Tasker runs the retry at once: it failed again
    assertEquals(2, gateway.get("/v1/tasks/" + first, READER).json().get("attempts").asInt());

    // a retry of tasks that are not DEAD is refused task by task
    Reply refused = gateway.post("/v1/tasks:retry", WRITER, "{\"type\":\"echo\"}");
    assertEquals(1, refused.json().get("matched").asInt(), refused.text());
    assertEquals(0, refused.json().get("done").asInt());
    assertEquals(1, refused.json().get("failed").asInt());
  }

  @Test
  void cancelTakesTheScheduledTasksOfAQueue() {
    String waiting = enqueue("{\"type\":\"echo\",\"queue\":\"later\",\"delay\":\"PT1H\"}");
    enqueue("{\"type\":\"echo\",\"queue\":\"later\",\"delay\":\"PT2H\"}");
    enqueue("{\"type\":\"echo\",\"queue\":\"later\"}"); // succeeds at once
    Reply cancelled = gateway.post("/v1/tasks:cancel", WRITER,
        "{\"queue\":\"later\",\"status\":\"scheduled\"}");
    assertEquals(200, cancelled.status(), cancelled.text());
    assertEquals(2, cancelled.json().get("matched").asInt());
    assertEquals(2, cancelled.json().get("done").asInt());
    assertEquals("CANCELLED",
        gateway.get("/v1/tasks/" + waiting, READER).json().get("status").asText());
  }

  @Test
  void badFiltersAndKeysAreRefused() {
    assertError(gateway.post("/v1/tasks:retry", WRITER, "{}"), 400, "VALIDATION_FAILED", "body");
    assertError(gateway.post("/v1/tasks:retry", WRITER, "{\"dryRun\":true}"),
        400, "VALIDATION_FAILED", "body");
    assertError(gateway.post("/v1/tasks:cancel", WRITER, "{\"status\":\"gone\"}"),
        400, "VALIDATION_FAILED", "status");
    assertError(gateway.post("/v1/tasks:cancel", WRITER, "{\"createdFrom\":\"yesterday\"}"),
        400, "VALIDATION_FAILED", "createdFrom");
    assertError(gateway.post("/v1/tasks:cancel", WRITER, "{\"queue\":\"q\",\"limit\":1}"),
        400, "VALIDATION_FAILED", "limit");
    assertEquals(403, gateway.post("/v1/tasks:cancel", READER, "{\"queue\":\"q\"}").status());
  }

  @Test
  void listTakesACreationTimeRange() {
    String early = enqueue("{\"type\":\"echo\"}");
    gateway.clock.advance(Duration.ofHours(1));
    String late = enqueue("{\"type\":\"echo\"}");
    JsonNode from = gateway.get("/v1/tasks?createdFrom=2026-06-01T12:30:00Z", READER).json();
    assertEquals(1, from.get("tasks").size(), from.toString());
    assertEquals(late, from.get("tasks").get(0).get("id").asText());
    JsonNode before = gateway.get("/v1/tasks?createdBefore=2026-06-01T12:30:00%2B00:00", READER)
        .json();
    assertEquals(1, before.get("tasks").size(), before.toString());
    assertEquals(early, before.get("tasks").get(0).get("id").asText());
    assertError(gateway.get("/v1/tasks?createdFrom=noon", READER),
        400, "VALIDATION_FAILED", "createdFrom");
    assertError(gateway.get("/v1/tasks?createdFrom=2026-06-01T13:00:00Z"
        + "&createdBefore=2026-06-01T12:00:00Z", READER), 400, "VALIDATION_FAILED",
        "createdBefore");
  }
}
