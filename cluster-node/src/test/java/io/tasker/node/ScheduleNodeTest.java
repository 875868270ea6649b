package io.tasker.node;

import static io.tasker.node.Stages.join;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.tasker.node.ScheduleSpec;
import io.tasker.node.ScheduleView;
import io.tasker.protocol.ScheduleNotFoundException;
import io.tasker.protocol.TaskQuery;
import io.tasker.protocol.TaskStatus;
import io.tasker.protocol.TaskSummary;
import io.tasker.protocol.ValidationException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * Schedules on a real node (sharded entity, H2 journal, waker) driven by a settable clock: a
 * schedule fires when the clock passes its time, and after a full stop spanning a 3-hour outage
 * it is brought back by the waker alone and applies its misfire policy.
 */
class ScheduleNodeTest {
  private static final Duration PATIENCE = Duration.ofSeconds(60);
  private static final Instant T0 = Instant.parse("2026-05-01T08:00:00Z");

  private static final Config QUICK = ConfigFactory.parseString(String.join("\n",
      "tasker.task.lease = 2s",
      "tasker.task.keep-alive-window = 5s",
      "tasker.waker.scan-interval = 200ms",
      "tasker.waker.lookahead = 2s",
      "tasker.scheduling.poll-interval = 200ms"));

  private static TaskerNode node(String journal, SettableClock clock) {
    return TestJournals.h2(Probe.register(Tasker.builder()), journal).clock(clock)
        .config(QUICK.withFallback(ConfigFactory.load())).start();
  }

  private static String name(TestInfo info) {
    return "ScheduleNodeTest." + info.getDisplayName();
  }

  @Test
  void firesOnTheSettableClockAndCatchesUpOnceAfterAThreeHourOutage(TestInfo info) {
    String test = name(info);
    String journal = "schedules_" + Math.abs(test.hashCode());
    SettableClock clock = new SettableClock(T0);
    try (TaskerNode first = node(journal, clock)) {
      ScheduleView created = join(first.schedule("ten").every(Duration.ofMinutes(10))
          .misfire(ScheduleSpec.Misfire.RUN_ONCE)
          .task(Probe.WORK, Probe.of(test, "ten")).upsert());
      assertEquals(T0.plus(Duration.ofMinutes(10)), created.nextFireAt());

      clock.advance(Duration.ofMinutes(10));
      await().atMost(PATIENCE).until(() -> Probe.record(test).started.size() == 1);
      ScheduleView fired = join(first.getSchedule("ten"));
      assertEquals(1, fired.fired());
      await().atMost(PATIENCE).until(() ->
          join(first.get(join(first.getSchedule("ten")).lastTask())).status()
              == TaskStatus.SUCCEEDED);
    } // the whole node stops

    clock.advance(Duration.ofMinutes(185)); // 3 hours pass with no node: 18 fire times missed
    try (TaskerNode second = node(journal, clock)) {
      // nothing asks for the schedule: only the waker can bring it back
      await().atMost(PATIENCE).until(() -> Probe.record(test).started.size() == 2);
      ScheduleView caughtUp = join(second.getSchedule("ten"));
      assertEquals(2, caughtUp.fired());
      assertEquals(17, caughtUp.skipped());
      assertEquals(T0.plus(Duration.ofMinutes(190)), caughtUp.lastFireAt());
      assertEquals(T0.plus(Duration.ofMinutes(200)), caughtUp.nextFireAt());
      List<TaskSummary> tasks =
          join(second.list(TaskQuery.all().ofType("probe").limit(100))).tasks();
      assertEquals(2, tasks.size());

      // operations through the entity
      assertEquals(3, join(second.triggerSchedule("ten")).fired());
      await().atMost(PATIENCE).until(() -> Probe.record(test).started.size() == 3);
      assertEquals(true, join(second.pauseSchedule("ten")).spec().paused());
      assertEquals(1, join(second.schedules()).size());
      join(second.deleteSchedule("ten"));
      CompletionException gone =
          assertThrows(CompletionException.class, () -> join(second.getSchedule("ten")));
      assertInstanceOf(ScheduleNotFoundException.class, gone.getCause());
      await().atMost(PATIENCE).until(() -> join(second.schedules()).isEmpty());
    }
  }

  @Test
  void rejectsInvalidSchedulesOnANode(TestInfo info) {
    try (TaskerNode node = node("schedules_invalid", new SettableClock(T0))) {
      CompletionException thrown = assertThrows(CompletionException.class, () -> join(
          node.schedule("bad").cron("0 9 * * *").task("unknown", null).upsert()));
      ValidationException invalid = assertInstanceOf(ValidationException.class, thrown.getCause());
      assertEquals("task.type", invalid.field());
      assertNotNull(invalid.reason());
    }
  }
}
