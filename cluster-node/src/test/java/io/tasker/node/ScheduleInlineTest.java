package io.tasker.node;

import static io.tasker.node.Stages.join;
import static io.tasker.node.Stages.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.tasker.node.ScheduleSpec;
import io.tasker.node.ScheduleView;
import io.tasker.protocol.Backoff;
import io.tasker.protocol.ScheduleNotFoundException;
import io.tasker.protocol.TaskQuery;
import io.tasker.protocol.TaskStatus;
import io.tasker.protocol.TaskSummary;
import io.tasker.protocol.TaskView;
import io.tasker.protocol.ValidationException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * Schedules in inline mode on a settable clock: firing, DST, jitter, overlap and misfire
 * policies, pause/resume/trigger/delete, validation and HOCON declarations. The rules are the
 * schedule entity's own ({@code ScheduleEntity.State}); node tests cover the actor around them.
 */
class ScheduleInlineTest {
  private static final Instant T0 = Instant.parse("2026-05-01T08:00:00Z");
  private static final Backoff HOUR = new Backoff(
      Backoff.Kind.FIXED, Duration.ofHours(1), 1.0, Duration.ofHours(1), 0);

  private final SettableClock clock = new SettableClock(T0);
  private final InlineTasker tasker = Probe.register(Tasker.builder()).clock(clock).startInline();

  @AfterEach
  void close() {
    tasker.close();
  }

  private static String name(TestInfo info) {
    return "schedule." + info.getDisplayName();
  }

  private List<TaskSummary> tasks() {
    return join(tasker.list(TaskQuery.all().ofType("probe").limit(500))).tasks();
  }

  private ScheduleView advance(Duration by, String id) {
    clock.advance(by);
    tasker.runDue();
    return join(tasker.getSchedule(id));
  }

  @Test
  void firesOnTheSettableClockWithoutWaiting(TestInfo info) {
    ScheduleView created = join(tasker.schedule("every-5m")
        .every(Duration.ofMinutes(5)).task(Probe.WORK, Probe.of(name(info), "tick")).upsert());
    assertEquals(List.of(T0.plusSeconds(300), T0.plusSeconds(600), T0.plusSeconds(900),
        T0.plusSeconds(1200), T0.plusSeconds(1500)), created.upcoming());
    assertEquals(0, created.fired());

    ScheduleView once = advance(Duration.ofMinutes(5), "every-5m");
    assertEquals(1, once.fired());
    assertEquals(T0.plusSeconds(300), once.lastFireAt());
    TaskView task = join(tasker.get(once.lastTask()));
    assertEquals(TaskStatus.SUCCEEDED, task.status());
    assertEquals("schedule:every-5m:" + T0.plusSeconds(300).toEpochMilli(),
        task.spec().idempotencyKey());
    assertEquals(T0.plusSeconds(600), once.nextFireAt());

    assertEquals(2, advance(Duration.ofMinutes(5), "every-5m").fired());
    assertEquals(List.of("tick", "tick"), Probe.record(name(info)).started);
    // nothing more is due: a further runDue creates nothing
    tasker.runDue();
    assertEquals(2, tasks().size());
  }

  @Test
  void cronFiresAtTheShiftedTimeOnTheSpringForwardNight(TestInfo info) {
    clock.set(Instant.parse("2026-03-28T12:00:00Z"));
    ScheduleView view = join(tasker.schedule("nightly")
        .cron("30 2 * * *", ZoneId.of("Europe/Berlin"))
        .task(Probe.WORK, Probe.of(name(info), "night")).upsert());
    // 02:30 does not exist on 2026-03-29: 03:30 CEST (01:30Z), then 02:30 CEST (00:30Z)
    assertEquals(Instant.parse("2026-03-29T01:30:00Z"), view.nextFireAt());
    assertEquals(Instant.parse("2026-03-30T00:30:00Z"), view.upcoming().get(1));
    clock.set(Instant.parse("2026-03-29T01:29:59Z"));
    tasker.runDue();
    assertEquals(0, join(tasker.getSchedule("nightly")).fired());
    ScheduleView fired = advance(Duration.ofSeconds(1), "nightly");
    assertEquals(1, fired.fired());
    assertEquals(Instant.parse("2026-03-29T01:30:00Z"), fired.lastFireAt());
  }

  @Test
  void jitterDelaysTheTaskButNeverStartsItEarly(TestInfo info) {
    join(tasker.schedule("jittery").every(Duration.ofMinutes(5)).jitter(Duration.ofSeconds(30))
        .task(Probe.WORK, Probe.of(name(info), "j")).upsert());
    ScheduleView fired = advance(Duration.ofMinutes(5), "jittery");
    TaskView task = join(tasker.get(fired.lastTask()));
    Instant fireAt = T0.plusSeconds(300);
    assertTrue(!task.runAt().isBefore(fireAt)
        && !task.runAt().isAfter(fireAt.plusSeconds(30)), task.runAt().toString());
    // the same firing always gets the same jitter (deterministic per schedule and fire time)
    assertEquals(task.runAt(), new io.tasker.node.schedule.ScheduleEntity.State("jittery",
        ScheduleBuilder.of("jittery").every(Duration.ofMinutes(5)).jitter(Duration.ofSeconds(30))
            .task(Probe.WORK, Probe.of(name(info), "j")).build(),
        T0, T0, null, null, null, List.of(), null, 0, 0).runAt(fireAt));
    if (task.runAt().isAfter(fireAt)) {
      assertEquals(TaskStatus.SCHEDULED, task.status());
    }
    clock.advance(Duration.ofSeconds(30));
    tasker.runDue();
    assertEquals(TaskStatus.SUCCEEDED, join(tasker.get(fired.lastTask())).status());
  }

  /** The first run fails and retries an hour later, so it is still unfinished at the next time. */
  private ScheduleView slowSchedule(TestInfo info, ScheduleSpec.Overlap overlap) {
    return join(tasker.schedule("slow").every(Duration.ofMinutes(10)).overlap(overlap)
        .task(Probe.WORK, Probe.of(name(info), "slow").failing(1)).backoff(HOUR).upsert());
  }

  @Test
  void overlapAllowCreatesARunWhileThePreviousIsUnfinished(TestInfo info) {
    slowSchedule(info, ScheduleSpec.Overlap.ALLOW);
    ScheduleView first = advance(Duration.ofMinutes(10), "slow");
    assertEquals(TaskStatus.SCHEDULED, join(tasker.get(first.lastTask())).status());
    ScheduleView second = advance(Duration.ofMinutes(10), "slow");
    assertEquals(2, second.fired());
    assertEquals(2, tasks().size());
  }

  @Test
  void overlapSkipCreatesNoRunWhileThePreviousIsUnfinished(TestInfo info) {
    slowSchedule(info, ScheduleSpec.Overlap.SKIP);
    ScheduleView first = advance(Duration.ofMinutes(10), "slow");
    ScheduleView second = advance(Duration.ofMinutes(10), "slow");
    assertEquals(1, second.fired());
    assertEquals(1, second.skipped());
    assertEquals(first.lastTask(), second.lastTask());
    assertEquals(1, tasks().size());
    // once the first run has finished (its retry an hour after it failed), firing resumes
    clock.set(T0.plus(Duration.ofMinutes(70)));
    tasker.runDue();
    assertEquals(TaskStatus.SUCCEEDED, join(tasker.get(first.lastTask())).status());
    ScheduleView after = advance(Duration.ofMinutes(10), "slow");
    assertEquals(2, after.fired());
  }

  @Test
  void overlapQueueHoldsOneFiringUntilThePreviousFinishes(TestInfo info) {
    slowSchedule(info, ScheduleSpec.Overlap.QUEUE);
    ScheduleView first = advance(Duration.ofMinutes(10), "slow");
    ScheduleView queued = advance(Duration.ofMinutes(10), "slow");
    assertEquals(T0.plus(Duration.ofMinutes(20)), queued.queuedFireAt());
    assertEquals(1, queued.fired());
    // a third time replaces the queued one: at most one is held (the older counts as skipped)
    ScheduleView replaced = advance(Duration.ofMinutes(10), "slow");
    assertEquals(T0.plus(Duration.ofMinutes(30)), replaced.queuedFireAt());
    assertEquals(1, replaced.skipped());
    assertEquals(1, tasks().size());
    // the first run's retry succeeds at 08:70: the queued firing is created right after
    ScheduleView released = advance(Duration.ofMinutes(40), "slow");
    assertEquals(TaskStatus.SUCCEEDED, join(tasker.get(first.lastTask())).status());
    assertNull(released.queuedFireAt());
    assertTrue(released.fired() >= 2);
    assertTrue(tasks().stream().anyMatch(t -> t.id().equals(
        join(tasker.get(released.lastTask())).id())));
  }

  private ScheduleView afterOutage(TestInfo info, ScheduleSpec.Misfire misfire) {
    join(tasker.schedule("ten").every(Duration.ofMinutes(10)).misfire(misfire)
        .task(Probe.WORK, Probe.of(name(info), "m")).upsert());
    // down for 3 hours (18 fire times pass), back 5 minutes after the last of them
    return advance(Duration.ofMinutes(185), "ten");
  }

  @Test
  void misfireRunOnceCatchesUpWithOneRunAfterAThreeHourOutage(TestInfo info) {
    ScheduleView view = afterOutage(info, ScheduleSpec.Misfire.RUN_ONCE);
    assertEquals(1, view.fired());
    assertEquals(17, view.skipped());
    assertEquals(T0.plus(Duration.ofMinutes(180)), view.lastFireAt());
    assertEquals(T0.plus(Duration.ofMinutes(190)), view.nextFireAt());
    assertEquals(1, tasks().size());
  }

  @Test
  void misfireSkipGoesOnWithTheNextFutureTime(TestInfo info) {
    ScheduleView view = afterOutage(info, ScheduleSpec.Misfire.SKIP);
    assertEquals(0, view.fired());
    assertEquals(18, view.skipped());
    assertEquals(T0.plus(Duration.ofMinutes(190)), view.nextFireAt());
    assertEquals(0, tasks().size());
  }

  @Test
  void misfireRunAllCatchesUpTheLatestUpToTheCap(TestInfo info) {
    ScheduleView view = afterOutage(info, ScheduleSpec.Misfire.RUN_ALL);
    assertEquals(10, view.fired()); // tasker.scheduling.run-all-cap
    assertEquals(8, view.skipped());
    assertEquals(10, tasks().size());
    assertEquals(T0.plus(Duration.ofMinutes(90)), tasks().stream().map(TaskSummary::runAt)
        .min(Instant::compareTo).orElseThrow());
  }

  @Test
  void pauseResumeTriggerAndDelete(TestInfo info) {
    join(tasker.schedule("ops").every(Duration.ofMinutes(5))
        .task(Probe.WORK, Probe.of(name(info), "ops")).upsert());
    ScheduleView paused = join(tasker.pauseSchedule("ops"));
    assertTrue(paused.spec().paused());
    assertTrue(paused.upcoming().isEmpty());
    assertEquals(0, advance(Duration.ofMinutes(30), "ops").fired());

    ScheduleView triggered = join(tasker.triggerSchedule("ops"));
    assertEquals(1, triggered.fired()); // a manual run, even while paused
    assertEquals(clock.instant(), triggered.lastFireAt());

    ScheduleView resumed = join(tasker.resumeSchedule("ops"));
    assertEquals(T0.plus(Duration.ofMinutes(35)), resumed.nextFireAt()); // no catch-up of pause
    assertEquals(2, advance(Duration.ofMinutes(5), "ops").fired());

    assertEquals("ops", join(tasker.deleteSchedule("ops")).spec().id());
    failure(ScheduleNotFoundException.class, tasker.getSchedule("ops"));
    failure(ScheduleNotFoundException.class, tasker.pauseSchedule("ops"));
    assertEquals(2, tasks().size()); // its tasks stay
  }

  @Test
  void upsertOfTheSameSpecChangesNothingAndAChangeApplies(TestInfo info) {
    ScheduleView first = join(tasker.schedule("same").cron("0 9 * * *")
        .task(Probe.WORK, Probe.of(name(info), "s")).upsert());
    clock.advance(Duration.ofMinutes(1));
    ScheduleView again = join(tasker.schedule("same").cron("0 9 * * *")
        .task(Probe.WORK, Probe.of(name(info), "s")).upsert());
    assertEquals(first.updatedAt(), again.updatedAt());
    ScheduleView changed = join(tasker.schedule("same").cron("0 10 * * *")
        .task(Probe.WORK, Probe.of(name(info), "s")).upsert());
    assertEquals(Instant.parse("2026-05-01T10:00:00Z"), changed.nextFireAt());
    assertEquals(first.createdAt(), changed.createdAt());
    assertEquals(1, join(tasker.schedules()).size());
  }

  @Test
  void rejectsInvalidSchedulesNamingTheField() {
    ScheduleBuilder base = tasker.schedule("bad").task(Probe.WORK, Probe.of("x", "x"));
    assertEquals("cron", assertThrows(ValidationException.class,
        () -> base.cron("61 * * * *")).field());
    assertEquals("zone", failure(ValidationException.class,
        tasker.upsertSchedule(new ScheduleSpec("bad", base.cron("0 9 * * *").build().task(),
            "0 9 * * *", null, "Europe/Atlantis", null, null, null, false, null, null))).field());
    assertEquals("interval", assertThrows(ValidationException.class,
        () -> base.every(Duration.ZERO)).field());
    assertEquals("cron", assertThrows(ValidationException.class, base::build).field());
    assertEquals("task.type", failure(ValidationException.class,
        tasker.schedule("bad").cron("0 9 * * *").task("no-such-type", null).upsert()).field());
    assertEquals("jitter", failure(ValidationException.class, base.cron("0 9 * * *")
        .jitter(Duration.ofDays(2)).upsert()).field());
    assertEquals("id", failure(ValidationException.class, tasker.schedule("no spaces")
        .cron("0 9 * * *").task(Probe.WORK, Probe.of("x", "x")).upsert()).field());
    assertEquals("endAt", failure(ValidationException.class, base.cron("0 9 * * *")
        .startAt(T0).endAt(T0).upsert()).field());
    assertTrue(join(tasker.schedules()).isEmpty()); // nothing stored
  }

  @Test
  void schedulesDeclaredInTheConfigurationAreUpsertedAtStart(TestInfo info) {
    String conf = "tasker.schedules.daily-report { cron = \"0 9 * * *\", zone = \"Europe/Berlin\","
        + " type = probe, payload = { test = \"" + name(info) + "\", label = report,"
        + " failures = 0 }, overlap = skip, misfire = run-all, jitter = 10s }";
    try (InlineTasker configured = Probe.register(Tasker.builder()).clock(clock)
        .config(ConfigFactory.parseString(conf).withFallback(ConfigFactory.load()))
        .startInline()) {
      ScheduleView view = join(configured.getSchedule("daily-report"));
      assertEquals("0 9 * * *", view.spec().cron());
      assertEquals(ScheduleSpec.Overlap.SKIP, view.spec().overlap());
      assertEquals(ScheduleSpec.Misfire.RUN_ALL, view.spec().misfire());
      assertEquals(Instant.parse("2026-05-02T07:00:00Z"), view.nextFireAt());
      assertNotNull(view.spec().task().payload());
    }
    IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
        () -> Probe.register(Tasker.builder()).config(ConfigFactory.parseString(
            "tasker.schedules.x { cron = \"0 9 * *\", type = probe }")
            .withFallback(ConfigFactory.load())).startInline());
    assertTrue(bad.getMessage().startsWith("tasker.schedules.x.cron:"), bad.getMessage());
  }
}
