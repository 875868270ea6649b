package io.tasker.gateway;

import static io.tasker.gateway.GatewayFixture.assertError;
import static io.tasker.gateway.GatewayFixture.READER;
import static io.tasker.gateway.GatewayFixture.WRITER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tasker.gateway.GatewayFixture.Reply;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The schedule endpoints over real HTTP, in front of an inline Tasker on a settable clock. */
class ScheduleRoutesTest {
  private final GatewayFixture gateway = new GatewayFixture();

  @AfterEach
  void stop() {
    gateway.close();
  }

  private static final String DAILY = "{\"cron\":\"0 9 * * *\",\"zone\":\"Europe/Berlin\","
      + "\"jitter\":\"PT30S\",\"overlap\":\"skip\",\"misfire\":\"run-once\","
      + "\"task\":{\"type\":\"echo\",\"payload\":{\"report\":\"daily\"},\"priority\":3}}";

  @Test
  void upsertGetListAndDeleteWithTheNextFiveFireTimes() {
    // the fixture's clock stands at 2026-06-01T12:00:00Z; 09:00 CEST is 07:00Z
    Reply put = gateway.put("/v1/schedules/daily-report", WRITER, DAILY);
    assertEquals(200, put.status(), put.text());
    JsonNode schedule = put.json();
    assertEquals("daily-report", schedule.get("id").asText());
    assertEquals("Europe/Berlin", schedule.get("zone").asText());
    assertEquals("skip", schedule.get("overlap").asText());
    assertEquals("2026-06-02T07:00:00Z", schedule.get("nextFireAt").asText());
    assertEquals(5, schedule.get("nextFireTimes").size());
    assertEquals("2026-06-06T07:00:00Z", schedule.get("nextFireTimes").get(4).asText());
    assertEquals("echo", schedule.get("task").get("type").asText());
    assertEquals(3, schedule.get("task").get("priority").asInt());

    Reply again = gateway.put("/v1/schedules/daily-report", WRITER, DAILY);
    assertEquals(schedule.get("updatedAt"), again.json().get("updatedAt")); // idempotent

    assertEquals(schedule.get("nextFireTimes"),
        gateway.get("/v1/schedules/daily-report", READER).json().get("nextFireTimes"));
    JsonNode list = gateway.get("/v1/schedules", READER).json().get("schedules");
    assertEquals(1, list.size());
    assertEquals("daily-report", list.get(0).get("id").asText());

    assertEquals(204, gateway.delete("/v1/schedules/daily-report", WRITER).status());
    assertError(gateway.get("/v1/schedules/daily-report", READER), 404, "SCHEDULE_NOT_FOUND",
        null);
    assertEquals(0, gateway.get("/v1/schedules", READER).json().get("schedules").size());
  }

  @Test
  void pauseResumeAndTriggerCreateTasksOnTheClock() {
    Reply put = gateway.put("/v1/schedules/often", WRITER,
        "{\"interval\":\"PT5M\",\"task\":{\"type\":\"echo\",\"payload\":{\"n\":1}}}");
    assertEquals(200, put.status(), put.text());
    gateway.clock.advance(Duration.ofMinutes(5));
    gateway.tasker.runDue();
    JsonNode fired = gateway.get("/v1/schedules/often", READER).json();
    assertEquals(1, fired.get("fired").asInt());
    String task = fired.get("lastTaskId").asText();
    assertEquals("SUCCEEDED", gateway.get("/v1/tasks/" + task, READER).json().get("status")
        .asText());

    JsonNode paused = gateway.post("/v1/schedules/often/pause", WRITER, null).json();
    assertTrue(paused.get("paused").asBoolean());
    assertTrue(paused.get("nextFireAt").isNull());
    assertEquals(0, paused.get("nextFireTimes").size());
    JsonNode resumed = gateway.post("/v1/schedules/often/resume", WRITER, null).json();
    assertFalse(resumed.get("paused").asBoolean());
    JsonNode triggered = gateway.post("/v1/schedules/often/trigger", WRITER, null).json();
    assertEquals(2, triggered.get("fired").asInt());
    assertFalse(triggered.get("lastTaskId").asText().equals(task));
  }

  @Test
  void invalidSchedulesAreRejectedNamingTheField() {
    String task = ",\"task\":{\"type\":\"echo\",\"payload\":{}}}";
    assertError(gateway.put("/v1/schedules/bad", WRITER, "{\"cron\":\"0 9 * *\"" + task),
        400, "VALIDATION_FAILED", "cron");
    assertError(gateway.put("/v1/schedules/bad", WRITER, "{\"cron\":\"0 25 * * *\"" + task),
        400, "VALIDATION_FAILED", "cron");
    assertError(gateway.put("/v1/schedules/bad", WRITER,
        "{\"cron\":\"0 9 * * *\",\"zone\":\"Mars/Base\"" + task), 400, "VALIDATION_FAILED", "zone");
    assertError(gateway.put("/v1/schedules/bad", WRITER, "{\"interval\":\"PT0S\"" + task),
        400, "VALIDATION_FAILED", "interval");
    assertError(gateway.put("/v1/schedules/bad", WRITER, "{\"interval\":\"5 minutes\"" + task),
        400, "VALIDATION_FAILED", "interval");
    assertError(gateway.put("/v1/schedules/bad", WRITER,
        "{\"cron\":\"0 9 * * *\",\"interval\":\"PT5M\"" + task), 400, "VALIDATION_FAILED",
        "interval");
    assertError(gateway.put("/v1/schedules/bad", WRITER,
        "{\"cron\":\"0 9 * * *\",\"overlap\":\"sometimes\"" + task), 400, "VALIDATION_FAILED",
        "overlap");
    assertError(gateway.put("/v1/schedules/bad", WRITER,
        "{\"cron\":\"0 9 * * *\",\"task\":{\"type\":\"nope\"}}"), 400, "VALIDATION_FAILED",
        "task.type");
    assertError(gateway.put("/v1/schedules/bad", WRITER,
        "{\"cron\":\"0 9 * * *\",\"task\":{\"type\":\"echo\",\"runAt\":\"2026-01-01T00:00:00Z\"}}"),
        400, "VALIDATION_FAILED", "task.runAt");
    assertError(gateway.put("/v1/schedules/bad", WRITER, "{\"cron\":\"0 9 * * *\"}"),
        400, "VALIDATION_FAILED", "task");
    assertError(gateway.put("/v1/schedules/bad", WRITER,
        "{\"cron\":\"0 9 * * *\",\"when\":1" + task), 400, "VALIDATION_FAILED", "when");
    assertError(gateway.put("/v1/schedules/no%20spaces", WRITER, "{\"cron\":\"0 9 * * *\"" + task),
        400, "VALIDATION_FAILED", "id");
    assertError(gateway.post("/v1/schedules/missing/trigger", WRITER, null), 404,
        "SCHEDULE_NOT_FOUND", null);
    assertEquals(0, gateway.get("/v1/schedules", READER).json().get("schedules").size());
  }

  @Test
  void readsNeedTasksReadAndWritesTasksWrite() {
    String body = "{\"interval\":\"PT1H\",\"task\":{\"type\":\"echo\"}}";
    assertEquals(401, gateway.get("/v1/schedules", null).status());
    assertEquals(403, gateway.put("/v1/schedules/x", READER, body).status());
    assertEquals(403, gateway.post("/v1/schedules/x/trigger", READER, null).status());
    assertEquals(403, gateway.delete("/v1/schedules/x", READER).status());
    assertEquals(200, gateway.put("/v1/schedules/x", WRITER, body).status());
    assertEquals(200, gateway.get("/v1/schedules/x", READER).status());
  }
}
