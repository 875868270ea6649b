package io.tasker.gateway;

import static io.tasker.gateway.GatewayFixture.READER;
import static io.tasker.gateway.GatewayFixture.WRITER;
import static io.tasker.gateway.GatewayFixture.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.tasker.gateway.GatewayFixture.Reply;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** {@code GET /v1/tasks/{id}/result?wait=}: a long poll, over real HTTP (its own clock). */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TaskResultRouteTest {
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
  void answersTheTaskOnceItFinishes() throws Exception {
    String id = enqueue("{\"type\":\"echo\",\"payload\":{\"n\":3},\"delay\":\"PT1M\"}");
    CompletableFuture<Reply> waiting = CompletableFuture.supplyAsync(
        () -> gateway.get("/v1/tasks/" + id + "/result?wait=15s", READER));
    gateway.clock.advance(Duration.ofMinutes(1));
    gateway.tasker.runDue(); // before or after the request arrives: it answers the finished task
    Reply reply = waiting.get(30, TimeUnit.SECONDS);
    assertEquals(200, reply.status(), reply.text());
    assertEquals("SUCCEEDED", reply.json().get("status").asText());
    assertEquals(3, reply.json().get("result").get("n").asInt());
  }

  @Test
  void aFinishedTaskIsAnsweredAtOnceADeadOneToo() {
    String id = enqueue("{\"type\":\"fail\",\"payload\":{\"message\":\"no\",\"retryable\":false}}");
    JsonNode dead = gateway.get("/v1/tasks/" + id + "/result?wait=PT60S", READER).json();
    assertEquals("DEAD", dead.get("status").asText());
  }

  @Test
  void afterTheWaitTheTaskIsAnsweredAsItStands() {
    String id = enqueue("{\"type\":\"echo\",\"delay\":\"PT1H\"}");
    Reply reply = gateway.get("/v1/tasks/" + id + "/result?wait=500ms", READER);
    assertEquals(200, reply.status(), reply.text());
    assertEquals("SCHEDULED", reply.json().get("status").asText());
  }

  @Test
  void aWaitBeyondTheCapOrMalformedIs400NamingWait() {
    String id = enqueue("{\"type\":\"echo\"}");
    assertError(gateway.get("/v1/tasks/" + id + "/result?wait=61s", READER),
        400, "VALIDATION_FAILED", "wait");
    assertError(gateway.get("/v1/tasks/" + id + "/result?wait=PT2M", READER),
        400, "VALIDATION_FAILED", "wait");
    assertError(gateway.get("/v1/tasks/" + id + "/result?wait=soon", READER),
        400, "VALIDATION_FAILED", "wait");
    assertError(gateway.get("/v1/tasks/" + id + "/result?timeout=1s", READER),
        400, "VALIDATION_FAILED", "timeout");
    assertError(gateway.get("/v1/tasks/no-such-task/result?wait=1s", READER),
        404, "TASK_NOT_FOUND", null);
  }
}
