package io.tasker.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class FixtureSmokeTest {
  @Test
  void enqueuesOverHttp() {
    try (GatewayFixture gateway = new GatewayFixture()) {
      GatewayFixture.Reply reply = gateway.post("/v1/tasks", GatewayFixture.WRITER,
          "{\"type\":\"echo\",\"payload\":{\"a\":1}}");
      assertEquals(201, reply.status(), reply.text());
      String id = reply.json().get("id").asText();
      GatewayFixture.Reply task = gateway.get("/v1/tasks/" + id, GatewayFixture.READER);
      assertEquals("SUCCEEDED", task.json().get("status").asText());
    }
  }
}
