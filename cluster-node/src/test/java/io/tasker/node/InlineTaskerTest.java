package io.tasker.node;


import static io.tasker.node.Stages.join;
import static io.tasker.node.Stages.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.TextNode;
import io.tasker.protocol.AttemptOutcome;
import io.tasker.protocol.Backoff;
import io.tasker.protocol.EnqueueRequest;
import io.tasker.protocol.TaskId;
import io.tasker.protocol.TaskNotFoundException;
import io.tasker.protocol.TaskStateConflictException;
import io.tasker.protocol.TaskStatus;
import io.tasker.protocol.TaskView;
import io.tasker.protocol.ValidationException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

class InlineTaskerTest {
  private final SettableClock clock = new SettableClock(Instant.parse("2026-05-01T08:00:00Z"));
  private final InlineTasker tasker = Probe.register(Tasker.builder()).clock(clock).startInline();

  @AfterEach
  void close() {
    tasker.close();
  }

  private static String name(TestInfo info) {
    return "inline." + info.getDisplayName();
  }

  @Test
  void runsADueTaskInTheCallersThreadDuringEnqueue(TestInfo info) {
    TaskId id = join(tasker.enqueue(Probe.WORK.with(Probe.of(name(info), "now"))));
    TaskView done = join(tasker.get(id));
    assertEquals(TaskStatus.SUCCEEDED, done.status());
    assertEquals(TextNode.valueOf("now"), done.result());
  }

  @Test
  void resultCompletesWhenALaterRunFinishesTheTask(TestInfo info) {
    TaskId id = join(tasker.enqueue(Probe.WORK.with(Probe.of(name(info), "later"))
        .delay(Duration.ofMinutes(5))));
    java.util.concurrent.CompletableFuture<TaskView> outcome =
        tasker.result(id).toCompletableFuture();
    assertFalse(outcome.isDone());
    assertEquals(TaskStatus.SCHEDULED, join(tasker.result(id, Duration.ZERO)).status());
    clock.advance(Duration.ofMinutes(5));
    tasker.runDue();
    assertEquals(TextNode.valueOf("later"), outcome.join().result());
    assertEquals(TaskStatus.DEAD, join(tasker.enqueueAndWait(
        Probe.STRICT.with(Probe.of(name(info), "refused")))).status());
    failure(TaskNotFoundException.class, tasker.result(TaskId.random("probe")));
  }

  @Test
  void retriesFollowTheBackoffOnTheSettableClock(TestInfo info) {
    TaskId id = join(tasker.enqueue(Probe.WORK.with(Probe.of(name(info), "flaky").failing(2))
        .backoff(Backoff.exponential(Duration.ofMinutes(1), 2, Duration.ofHours(1)).withoutJitter())));
    TaskView waiting = join(tasker.get(id));
    assertEquals(TaskStatus.SCHEDULED, waiting.status());
    assertEquals(clock.instant().plus(Duration.ofMinutes(1)), waiting.runAt());
    assertEquals(0, tasker.runDue(), "nothing is due before the backoff elapsed");

    clock.advance(Duration.ofMinutes(1));
    assertEquals(1, tasker.runDue());
    assertEquals(clock.instant().plus(Duration.ofMinutes(2)), join(tasker.get(id)).runAt());

    clock.advance(Duration.ofMinutes(2));
    tasker.runDue();
    TaskView done = join(tasker.get(id));
    assertEquals(TaskStatus.SUCCEEDED, done.status());
    assertEquals(List.of(AttemptOutcome.FAILED, AttemptOutcome.FAILED, AttemptOutcome.SUCCEEDED),
        done.history().stream().map(a -> a.outcome()).toList());
  }

  @Test
  void deadLettersAndRerunsLikeTheCluster(TestInfo info) {
    TaskId id = join(tasker.enqueue(Probe.WORK.with(Probe.of(name(info), "doomed").failing(99))
        .maxAttempts(1)));
    assertEquals(TaskStatus.DEAD, join(tasker.get(id)).status());
    TaskView rerun = join(tasker.retry(id));
    assertEquals(TaskStatus.DEAD, rerun.status());
    assertEquals(2, rerun.attempts());
    TaskId strict = join(tasker.enqueue(Probe.STRICT.with(Probe.of(name(info), "strict"))));
    assertEquals(1, join(tasker.get(strict)).attempts());
    assertEquals(TaskStatus.DEAD, join(tasker.get(strict)).status());
  }

  @Test
  void futureTasksWaitForTheClockAndCanBeRescheduledOrCancelled(TestInfo info) {
    TaskId later = join(tasker.enqueue(Probe.WORK.with(Probe.of(name(info), "later"))
        .delay(Duration.ofHours(2))));
    TaskId cancelled = join(tasker.enqueue(Probe.WORK.with(Probe.of(name(info), "never"))
        .delay(Duration.ofHours(2))));
    assertEquals(TaskStatus.SCHEDULED, join(tasker.get(later)).status());
    assertEquals(TaskStatus.SUCCEEDED, join(tasker.reschedule(later, clock.instant())).status());
    assertEquals(TaskStatus.CANCELLED, join(tasker.cancel(cancelled)).status());
    clock.advance(Duration.ofHours(3));
    assertEquals(0, tasker.runDue());
    failure(TaskStateConflictException.class, tasker.cancel(later));
    assertFalse(Probe.record(name(info)).started.contains("never"));
  }

  @Test
  void timesOutLongAttempts(TestInfo info) {
    TaskId id = join(tasker.enqueue(Probe.BLOCK.with(Probe.of(name(info), "slow")) // never opened
        .timeout(Duration.ofMillis(100)).maxAttempts(1)));
    TaskView dead = join(tasker.get(id));
    assertEquals(TaskStatus.DEAD, dead.status());
    assertEquals(AttemptOutcome.TIMED_OUT, dead.lastAttempt().outcome());
  }

  @Test
  void idempotencyKeyAndValidationMatchTheCluster(TestInfo info) {
    EnqueueResult first = join(tasker.enqueue(Probe.WORK.with(Probe.of(name(info), "a"))
        .idempotencyKey("k").toEnqueueRequest(Json.MAPPER)));
    EnqueueResult again = join(tasker.enqueue(Probe.WORK.with(Probe.of(name(info), "b"))
        .idempotencyKey("k").toEnqueueRequest(Json.MAPPER)));
    assertTrue(first.created());
    assertFalse(again.created());
    assertEquals(first.task().id(), again.task().id());
    assertEquals("type", failure(ValidationException.class,
        tasker.enqueue(EnqueueRequest.of("nope", null))).field());
    failure(TaskNotFoundException.class, tasker.get(TaskId.random("echo")));
  }

  @Test
  void refusesAMissingPayloadUnstorableStringsAndTimesOutOfRange(TestInfo info) {
    assertEquals("payload", failure(ValidationException.class,
        tasker.enqueue(Probe.WORK.with(null))).field());
    assertEquals("payload", failure(ValidationException.class,
        tasker.enqueue(EnqueueRequest.of(Probe.WORK.name(), null))).field());
    assertEquals("concurrencyKey", failure(ValidationException.class,
        tasker.enqueue(Probe.WORK.with(Probe.of(name(info), "a"))
            .concurrencyKey("a\u0000"))).field());
    assertEquals("metadata.k", failure(ValidationException.class,
        tasker.enqueue(Probe.WORK.with(Probe.of(name(info), "a"))
            .metadata("k", "\ud800"))).field());
    assertEquals("runAt", failure(ValidationException.class,
        tasker.enqueue(Probe.WORK.with(Probe.of(name(info), "a")).runAt(Instant.MIN))).field());
    TaskId later = join(tasker.enqueue(Probe.WORK.with(Probe.of(name(info), "later"))
        .delay(Duration.ofHours(1))));
    assertEquals("runAt", failure(ValidationException.class,
        tasker.reschedule(later, Instant.parse("0000-01-01T00:00:00Z"))).field());
    assertEquals("runAt", failure(ValidationException.class,
        tasker.reschedule(later, clock.instant().plus(Duration.ofDays(3651)))).field());
    assertEquals(clock.instant().plus(Duration.ofHours(1)), join(tasker.get(later)).runAt());
    assertEquals("startAt", failure(ValidationException.class, tasker.schedule("far")
        .every(Duration.ofHours(1)).task(Probe.WORK.name(), TextNode.valueOf("x"))
        .startAt(Instant.parse("+999999999-12-31T23:59:59Z")).upsert()).field());
    assertEquals(0, join(tasker.schedules()).size());
  }
}
