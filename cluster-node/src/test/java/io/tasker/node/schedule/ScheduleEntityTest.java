package io.tasker.node.schedule;

import io.tasker.node.ScheduleSpec;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.TextNode;
import com.typesafe.config.ConfigFactory;
import io.tasker.node.EnqueueResult;
import io.tasker.node.SettableClock;
import io.tasker.node.index.ScheduleRow;
import io.tasker.protocol.Backoff;
import io.tasker.protocol.EnqueueRequest;
import io.tasker.protocol.ErrorCode;
import io.tasker.protocol.TaskId;
import io.tasker.protocol.TaskSpec;
import io.tasker.protocol.TaskStatus;
import io.tasker.protocol.TaskView;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The schedule entity on its own (in-memory journal, serialization checked): replies, events,
 * the rows persisted with them, and a firing recovered without its task enqueued again.
 */
class ScheduleEntityTest {
  private static final Instant NOW = Instant.parse("2026-03-01T09:00:00Z");
  private static final ActorTestKit testKit = ActorTestKit.create(
      EventSourcedBehaviorTestKit.config()
          .withFallback(ConfigFactory.parseString("pekko.actor.provider = local"))
          .withFallback(ConfigFactory.load()));

  /** The stale rows it asks to remove. */
  static final class RecordingIndex implements ScheduleIndex {
    final List<String> removed = new CopyOnWriteArrayList<>();

    @Override
    public CompletionStage<Done> removeStaleRow(String id, long seqNr) {
      removed.add(id + "@" + seqNr);
      return CompletableFuture.completedFuture(Done.getInstance());
    }
  }

  /** @return the event without the row it was persisted with */
  private static ScheduleEntity.Event bare(ScheduleEntity.Event event) {
    return assertInstanceOf(ScheduleEntity.Indexed.class, event).event();
  }

  private static ScheduleRow rowOf(ScheduleEntity.Event event) {
    return assertInstanceOf(ScheduleEntity.Indexed.class, event).row();
  }

  private final SettableClock clock = new SettableClock(NOW);
  private final RecordingIndex index = new RecordingIndex();
  private final List<EnqueueRequest> enqueued = new CopyOnWriteArrayList<>();
  /** While set, enqueues never answer (as when the node dies before the task is stored). */
  private volatile boolean enqueueHangs;
  /** The status the previous firing's task reports when asked. */
  private volatile TaskStatus previousStatus = TaskStatus.SUCCEEDED;
  private final List<TaskId> asked = new CopyOnWriteArrayList<>();
  private EventSourcedBehaviorTestKit<ScheduleEntity.Command, ScheduleEntity.Event,
      ScheduleEntity.State> schedule;

  private CompletionStage<EnqueueResult> enqueue(EnqueueRequest request) {
    enqueued.add(request);
    if (enqueueHangs) {
      return new CompletableFuture<>();
    }
    TaskId id = TaskId.forIdempotencyKey(request.type(), "default", request.idempotencyKey());
    TaskSpec spec = new TaskSpec(request.type(), "default", request.payload(), 0, request.runAt(),
        3, Backoff.fixed(Duration.ofSeconds(1)), Duration.ofMinutes(1),
        request.idempotencyKey(), null, Map.of());
    return CompletableFuture.completedFuture(new EnqueueResult(new TaskView(id, spec,
        TaskStatus.SCHEDULED, request.runAt(), 0, 0, null, List.of(), NOW, NOW), true));
  }

  private CompletionStage<TaskView> task(TaskId id) {
    asked.add(id);
    TaskSpec spec = new TaskSpec("report", "default", null, 0, NOW, 3,
        Backoff.fixed(Duration.ofSeconds(1)), Duration.ofMinutes(1), null, null, Map.of());
    return CompletableFuture.completedFuture(
        new TaskView(id, spec, previousStatus, NOW, 0, 1, null, List.of(), NOW, NOW));
  }

  @BeforeEach
  void create() {
    ScheduleRuntime runtime = new ScheduleRuntime(clock, this::enqueue,
        this::task,
        index, ScheduleSettings.DEFAULTS);
    schedule = EventSourcedBehaviorTestKit.create(testKit.system(),
        ScheduleEntity.create("report-" + java.util.UUID.randomUUID(), runtime));
  }

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private ScheduleSpec hourly(String id) {
    return new ScheduleSpec(id, EnqueueRequest.of("report", TextNode.valueOf("sales")),
        "0 * * * *", null, "Europe/Berlin", null, null, null, false, null, null);
  }

  private String id() {
    return schedule.getState().id();
  }

  @Test
  void upsertPersistsItsEventWithItsRowAndReplies() {
    var result = schedule.<ScheduleEntity.Reply>runCommand(
        replyTo -> new ScheduleEntity.Upsert(hourly(id()), replyTo));
    ScheduleEntity.Current current = assertInstanceOf(ScheduleEntity.Current.class, result.reply());
    assertEquals(NOW.plusSeconds(3600), current.schedule().nextFireAt());
    assertEquals(5, current.schedule().upcoming().size());
    assertInstanceOf(ScheduleEntity.Upserted.class, bare(result.event()));
    assertEquals(ScheduleRow.of(id(), NOW.plusSeconds(3600), 1), rowOf(result.event()));
    var again = schedule.<ScheduleEntity.Reply>runCommand(
        replyTo -> new ScheduleEntity.Upsert(hourly(id()), replyTo));
    assertTrue(again.hasNoEvents());
  }

  @Test
  void rejectedCommandsPersistNothing() {
    ScheduleSpec badCron = new ScheduleSpec(id(), EnqueueRequest.of("report", null),
        "0 9 * *", null, null, null, null, null, false, null, null);
    var invalid = schedule.<ScheduleEntity.Reply>runCommand(replyTo -> new ScheduleEntity.Upsert(badCron, replyTo));
    ScheduleEntity.Rejected rejected =
        assertInstanceOf(ScheduleEntity.Rejected.class, invalid.reply());
    assertEquals(ErrorCode.VALIDATION_FAILED, rejected.code());
    assertEquals("cron", rejected.field());
    assertTrue(invalid.hasNoEvents());
    var missing = schedule.<ScheduleEntity.Reply>runCommand(ScheduleEntity.Pause::new);
    assertEquals(ErrorCode.SCHEDULE_NOT_FOUND,
        assertInstanceOf(ScheduleEntity.Rejected.class, missing.reply()).code());
    assertTrue(missing.hasNoEvents());
  }

  @Test
  void aWakeAfterTheFireTimeFiresThenRecordsTheTask() {
    schedule.<ScheduleEntity.Reply>runCommand(replyTo -> new ScheduleEntity.Upsert(hourly(id()), replyTo));
    clock.advance(Duration.ofHours(1));
    var woken = schedule.runCommand(new ScheduleEntity.Wake(NOW.plusSeconds(3600)));
    ScheduleEntity.Fired fired = assertInstanceOf(ScheduleEntity.Fired.class, bare(woken.event()));
    assertEquals(NOW.plusSeconds(3600), fired.fireAt());
    await().atMost(Duration.ofSeconds(10)).until(() -> schedule.getState().lastTask() != null);
    assertEquals(1, enqueued.size());
    assertEquals(ScheduleSpec.taskKey(id(), fired.fireAt()), enqueued.get(0).idempotencyKey());
    assertEquals(fired.fireAt(), enqueued.get(0).runAt());
    assertTrue(schedule.getState().unenqueued().isEmpty());
    assertEquals(NOW.plusSeconds(7200), schedule.getState().wakeAt());
  }

  @Test
  void aFiringRecoveredWithoutItsTaskIsEnqueuedAgainWithTheSameKey() {
    schedule.<ScheduleEntity.Reply>runCommand(replyTo -> new ScheduleEntity.Upsert(hourly(id()), replyTo));
    enqueueHangs = true;
    clock.advance(Duration.ofHours(1));
    schedule.runCommand(new ScheduleEntity.Wake(NOW.plusSeconds(3600)));
    await().atMost(Duration.ofSeconds(10)).until(() -> enqueued.size() == 1);
    assertEquals(1, schedule.getState().unenqueued().size());
    assertNull(schedule.getState().lastTask());

    enqueueHangs = false;
    schedule.restart(); // recovery finds the Fired event without its TaskCreated
    await().atMost(Duration.ofSeconds(10)).until(() -> schedule.getState().lastTask() != null);
    assertEquals(2, enqueued.size());
    assertEquals(enqueued.get(0).idempotencyKey(), enqueued.get(1).idempotencyKey());
    assertEquals(1, schedule.getState().fired());
  }

  @Test
  void overlapSkipAsksThePreviousTaskAndSkipsWhileItRuns() {
    ScheduleSpec skip = new ScheduleSpec(id(), EnqueueRequest.of("report", null), "0 * * * *",
        null, null, null, null, null, false, ScheduleSpec.Overlap.SKIP, null);
    schedule.<ScheduleEntity.Reply>runCommand(replyTo -> new ScheduleEntity.Upsert(skip, replyTo));
    clock.advance(Duration.ofHours(1));
    schedule.runCommand(new ScheduleEntity.Wake(clock.instant()));
    await().atMost(Duration.ofSeconds(10)).until(() -> schedule.getState().lastTask() != null);
    TaskId first = schedule.getState().lastTask();

    previousStatus = TaskStatus.RUNNING;
    clock.advance(Duration.ofHours(1));
    schedule.runCommand(new ScheduleEntity.Wake(clock.instant()));
    await().atMost(Duration.ofSeconds(10)).until(() -> schedule.getState().skipped() == 1);
    assertEquals(List.of(first), asked);
    assertEquals(1, schedule.getState().fired());
    assertEquals(NOW.plusSeconds(3 * 3600), schedule.getState().next());

    previousStatus = TaskStatus.SUCCEEDED;
    clock.advance(Duration.ofHours(1));
    schedule.runCommand(new ScheduleEntity.Wake(clock.instant()));
    await().atMost(Duration.ofSeconds(10)).until(() -> schedule.getState().fired() == 2);
  }

  @Test
  void deleteRemovesTheRow() {
    schedule.<ScheduleEntity.Reply>runCommand(replyTo -> new ScheduleEntity.Upsert(hourly(id()), replyTo));
    var deleted = schedule.<ScheduleEntity.Reply>runCommand(ScheduleEntity.Delete::new);
    assertInstanceOf(ScheduleEntity.Deleted.class, bare(deleted.event()));
    assertEquals(ScheduleRow.removed(id(), 2), rowOf(deleted.event()));
    assertTrue(!schedule.getState().exists());
  }

  @Test
  void aWakeOfAScheduleThatIsGoneRemovesOnlyItsStaleRow() {
    schedule.<ScheduleEntity.Reply>runCommand(replyTo -> new ScheduleEntity.Upsert(hourly(id()), replyTo));
    schedule.<ScheduleEntity.Reply>runCommand(ScheduleEntity.Delete::new);
    var woken = schedule.runCommand(new ScheduleEntity.Wake(NOW));
    assertTrue(woken.hasNoEvents());
    // up to the last event it knows: a row of a later event (a re-creation) stays
    await().atMost(Duration.ofSeconds(10)).until(() -> index.removed.equals(List.of(id() + "@2")));
  }
}
