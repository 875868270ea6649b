package io.tasker.gateway;

import static io.tasker.gateway.GatewayFixture.READER;
import static io.tasker.gateway.GatewayFixture.WRITER;
import static io.tasker.gateway.GatewayFixture.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tasker.gateway.GatewayFixture.Reply;
import io.tasker.node.TaskMiddleware;
import io.tasker.protocol.EnqueueRejectedException;
import io.tasker.protocol.TaskSpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** A middleware's veto at enqueue is a 422 naming its reason, for one task and for a batch. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EnqueueRejectedRouteTest {
  private GatewayFixture gateway;

  /** Refuses payloads that ask for it. */
  public static final class Refusing implements TaskMiddleware {
    @Override
    public TaskSpec onEnqueue(TaskSpec task) {
      if (task.payload().path("refuse").asBoolean()) {
        throw new EnqueueRejectedException("the payload asks to be refused");
      }
      return task;
    }
  }

  @BeforeAll
  void start() {
    gateway = new GatewayFixture(
        "tasker.middleware = [{class = \"" + Refusing.class.getName() + "\"}]");
  }

  @AfterAll
  void stop() {
    gateway.close();
  }

  private int stored() {
    return gateway.get("/v1/tasks?limit=500", READER).json().get("tasks").size();
  }

  @Test
  void aRefusedTaskIs422WithTheReason() {
    Reply refused = gateway.post("/v1/tasks", WRITER,
        "{\"type\":\"echo\",\"payload\":{\"refuse\":true}}");
    assertError(refused, 422, "ENQUEUE_REJECTED", null);
    assertEquals("the payload asks to be refused",
        refused.json().get("error").get("reason").asText());
    Reply accepted = gateway.post("/v1/tasks", WRITER, "{\"type\":\"echo\",\"payload\":{}}");
    assertEquals(201, accepted.status(), accepted.text());
  }

  @Test
  void aBatchWithARefusedTaskStoresNone() {
    int before = stored();
    Reply refused = gateway.post("/v1/tasks:batch", WRITER, "{\"tasks\":["
        + "{\"type\":\"echo\",\"payload\":{}},"
        + "{\"type\":\"echo\",\"payload\":{\"refuse\":true}}]}");
    assertError(refused, 422, "ENQUEUE_REJECTED", null);
    assertEquals(before, stored());
  }
}
