package io.tasker.node;

import static io.tasker.node.Stages.join;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.tasker.node.journal.JournalSettings;
import io.tasker.node.journal.ReleasedSchema;
import io.tasker.protocol.TaskId;
import io.tasker.protocol.TaskStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An upgrade from Tasker 0.1.0, whose tables had no schema history: a database with 0.1.0's
 * schema (from the kept copy of its scripts) and real data in it (finished tasks, tasks due
 * later, a schedule, a paused queue) is opened by a node that migrates; it is adopted, not
 * recreated, and everything in it carries on.
 */
class SchemaUpgradeTest {
  private static final Duration PATIENCE = Duration.ofSeconds(60);
  private static final Instant T0 = Instant.parse("2026-06-01T08:00:00Z");
  private static final Config QUICK = ConfigFactory.parseString(String.join("\n",
      "tasker.task.lease = 2s",
      "tasker.permits.keep-alive = 1s",
      "tasker.permits.start-up-margin = 200ms",
      "tasker.task.keep-alive-window = 5s",
      "tasker.waker.scan-interval = 200ms",
      "tasker.waker.lookahead = 2s",
      "tasker.scheduling.poll-interval = 200ms"));

  private static TaskerNode node(String db, String journal, SettableClock clock, String migrate) {
    TaskerBuilder builder = Probe.register(Tasker.builder()).clock(clock)
        .config(ConfigFactory.parseString("tasker.journal.migrate = " + migrate)
            .withFallback(QUICK).withFallback(ConfigFactory.load()));
    return db.equals("h2")
        ? TestJournals.h2(builder, journal).start()
        : TestJournals.postgres(builder, journal).start();
  }

  private static JournalSettings settings(String db, String journal) {
    return db.equals("h2")
        ? new JournalSettings(TestJournals.h2Url(journal), "", "", 2, JournalSettings.Migrate.ON)
        : new JournalSettings(TestJournals.postgresUrl(journal), "postgres", "", 2,
            JournalSettings.Migrate.ON);
  }

  private static void awaitStatus(Tasker node, TaskId id, TaskStatus status) {
    await().atMost(PATIENCE).until(() -> join(node.get(id)).status() == status);
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void aDatabaseOf010IsAdoptedAndItsTasksSchedulesAndPausedQueueCarryOn(String db) {
    String test = "SchemaUpgradeTest." + db;
    String journal = "upgrade_from_010_" + db;
    JournalSettings database = settings(db, journal);
    ReleasedSchema.create010(database); // as 0.1.0 did at its first start
    SettableClock clock = new SettableClock(T0);
    Map<TaskId, TaskStatus> stored = new HashMap<>();
    TaskId held;
    List<TaskId> later;
    try (TaskerNode old = node(db, journal, clock, "off")) {
      for (String label : List.of("done-1", "done-2")) {
        TaskId id = join(old.enqueue(Probe.WORK.with(Probe.of(test, label))));
        awaitStatus(old, id, TaskStatus.SUCCEEDED);
      }
      TaskId dead = join(old.enqueue(Probe.STRICT.with(Probe.of(test, "dead"))));
      awaitStatus(old, dead, TaskStatus.DEAD);
      TaskId cancelled = join(old.enqueue(
          Probe.WORK.with(Probe.of(test, "cancelled")).runAt(T0.plus(Duration.ofHours(5)))));
      join(old.cancel(cancelled));
      later = List.of(
          join(old.enqueue(Probe.WORK.with(Probe.of(test, "later-1")).runAt(T0.plusSeconds(3600)))),
          join(old.enqueue(Probe.WORK.with(Probe.of(test, "later-2")).runAt(T0.plusSeconds(3000)))));
      assertTrue(join(old.pauseQueue("held")).limits().paused());
      held = join(old.enqueue(Probe.WORK.with(Probe.of(test, "held")).queue("held")));
      join(old.schedule("half-hourly").every(Duration.ofMinutes(30))
          .task(Probe.WORK, Probe.of(test, "scheduled")).upsert());
      join(old.list(io.tasker.protocol.TaskQuery.all().limit(100))).tasks()
          .forEach(task -> stored.put(task.id(), task.status()));
    }
    assertEquals(7, stored.size(), "tasks written by the old node: " + stored);
    assertEquals(List.of(), ReleasedSchema.history(database), "0.1.0 kept no history");

    try (TaskerNode upgraded = node(db, journal, clock, "on")) {
      assertEquals(List.of(new ReleasedSchema.Applied("1", "BASELINE", true),
          new ReleasedSchema.Applied("2", "SQL", true),
          new ReleasedSchema.Applied("3", "SQL", true),
          new ReleasedSchema.Applied("4", "SQL", true),
          new ReleasedSchema.Applied("5", "SQL", true)), ReleasedSchema.history(database));
      stored.forEach((id, status) -> assertEquals(status, join(upgraded.get(id)).status(),
          () -> "task " + id));
      assertEquals(TaskStatus.SCHEDULED, stored.get(held));

      clock.advance(Duration.ofHours(1));
      later.forEach(id -> awaitStatus(upgraded, id, TaskStatus.SUCCEEDED));
      await().atMost(PATIENCE).until(() -> Probe.record(test).started.contains("scheduled"));
      assertTrue(join(upgraded.getSchedule("half-hourly")).fired() >= 1);
      assertTrue(join(upgraded.queueStats("held")).limits().paused(), "still paused");
      assertEquals(TaskStatus.SCHEDULED, join(upgraded.get(held)).status());
      assertTrue(!Probe.record(test).started.contains("held"), "nothing ran in a paused queue");

      join(upgraded.resumeQueue("held"));
      awaitStatus(upgraded, held, TaskStatus.SUCCEEDED);
    }
  }
}
