package io.tasker.node.task;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.TextNode;
import io.tasker.node.index.IndexRow;
import io.tasker.node.queue.QueueManager;
import io.tasker.protocol.AttemptOutcome;
import io.tasker.protocol.Backoff;
import io.tasker.protocol.ErrorCode;
import io.tasker.protocol.TaskSpec;
import io.tasker.protocol.TaskStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A task's life cycle in its partition: permits, attempts, retries, commands, restarts, index rows. */
class TaskPartitionTest extends TaskPartitionFixture {
  @Test
  void enqueuePersistsTheTaskAndRepliesBeforeAnyWork() {
    var result = enqueue(spec("ok", NOW.plusSeconds(3600), 3, Duration.ofMinutes(1)));
    TaskEntity.Accepted accepted = assertInstanceOf(TaskEntity.Accepted.class, result.reply());
    assertTrue(accepted.created());
    assertEquals(TaskStatus.SCHEDULED, accepted.task().status());
    assertInstanceOf(TaskEntity.Enqueued.class, bare(result.event()));
    queue.expectNoMessage(Duration.ofMillis(200)); // not due: no permit asked for
  }

  @Test
  void repeatedEnqueueAnswersTheExistingTaskAndPersistsNothing() {
    enqueue(spec("ok", NOW.plusSeconds(3600), 3, Duration.ofMinutes(1)));
    var again = enqueue(spec("ok", NOW, 9, Duration.ofMinutes(1)));
    assertTrue(again.hasNoEvents());
    TaskEntity.Accepted accepted = assertInstanceOf(TaskEntity.Accepted.class, again.reply());
    assertEquals(false, accepted.created());
    assertEquals(3, accepted.task().spec().maxAttempts());
  }

  @Test
  void unknownTaskIsRejectedAndPassivates() {
    var result = task.runCommand(TaskEntity.Get::new);
    TaskEntity.Rejected rejected = assertInstanceOf(TaskEntity.Rejected.class, result.reply());
    assertEquals(ErrorCode.TASK_NOT_FOUND, rejected.code());
    assertTrue(result.hasNoEvents());
    task.awaitLeftMemory();
  }

  @Test
  void dueTaskAsksForAPermitRunsAndSucceeds() {
    enqueue(spec("ok", 3));
    grantPermit();
    TaskEntity.State done = awaitStatus(TaskStatus.SUCCEEDED);
    assertEquals(TextNode.valueOf("hi"), done.result());
    assertEquals(1, done.attempts());
    assertEquals(AttemptOutcome.SUCCEEDED, done.history().get(0).outcome());
    assertEquals("node-1", done.history().get(0).node());
    assertEquals(id.value(), queue.expectMessageClass(QueueManager.ReleasePermit.class).holder());
    task.awaitLeftMemory();
  }

  @Test
  void asksForItsPermitAheadOfItsRunTimeAndStartsItsHandlerOnTheDot() {
    Instant runAt = NOW.plus(START_AHEAD.dividedBy(2));
    enqueue(spec("ok", runAt, 3, Duration.ofMinutes(1)));
    grantPermit(); // asked for while the clock still says NOW
    TaskEntity.State recorded = awaitStatus(TaskStatus.RUNNING);
    assertEquals(runAt, recorded.history().get(0).startedAt());
    // the clock stands still before the run time: the handler (which returns at once) waits
    await().during(Duration.ofMillis(400)).atMost(Duration.ofSeconds(2))
        .until(() -> task.getState().status() == TaskStatus.RUNNING);
    clock.advance(START_AHEAD.dividedBy(2));
    assertEquals(TextNode.valueOf("hi"), awaitStatus(TaskStatus.SUCCEEDED).result());
  }

  @Test
  void cancelBeforeARecordedAttemptBeginsReleasesThePermitAndRunsNothing() {
    Instant runAt = NOW.plus(START_AHEAD.dividedBy(2));
    enqueue(spec("ok", runAt, 3, Duration.ofMinutes(1)));
    grantPermit();
    awaitStatus(TaskStatus.RUNNING);
    var result = task.runCommand(TaskEntity.Cancel::new);
    assertEquals(TaskStatus.CANCELLED, result.state().status());
    assertEquals(id.value(), queue.expectMessageClass(QueueManager.ReleasePermit.class).holder());
    clock.advance(START_AHEAD);
    await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2))
        .until(() -> task.getState().status() == TaskStatus.CANCELLED
            && task.getState().result() == null);
  }

  @Test
  void failedAttemptIsRetriedAfterItsBackoff() {
    enqueue(spec("boom", 3));
    grantPermit();
    await().until(() -> task.getState().attempts() == 1
        && task.getState().status() == TaskStatus.SCHEDULED);
    TaskEntity.State retrying = task.getState();
    assertEquals(NOW.plus(RETRY_DELAY), retrying.runAt());
    assertEquals(AttemptOutcome.FAILED, retrying.history().get(0).outcome());
    assertEquals("java.lang.IllegalStateException", retrying.history().get(0).errorType());
    assertEquals("boom on attempt 1", retrying.history().get(0).errorMessage());
    queue.expectMessageClass(QueueManager.ReleasePermit.class);
  }

  @Test
  void retryDelaysFollowTheBackoffWithJitter() {
    TaskEntity.State state = TaskEntity.State.empty(id);
    TaskSpec exponential = new TaskSpec("boom", "default", null, 0, NOW, 4,
        Backoff.exponential(Duration.ofSeconds(1), 2.0, Duration.ofMinutes(1)).withJitter(0.5),
        Duration.ofSeconds(1), null, null, Map.of());
    state = state.apply(state.accept(exponential, NOW));
    AttemptResult failure = AttemptResult.failed(new RuntimeException("x"), true);
    Duration[] expected = {Duration.ofMillis(750), Duration.ofMillis(1500), Duration.ofMillis(3000)};
    for (Duration delay : expected) {
      state = state.apply(state.start("n", NOW, Duration.ZERO));
      TaskEntity.Event next = state.finish(failure, NOW, () -> 0.5);
      assertEquals(NOW.plus(delay), assertInstanceOf(TaskEntity.AttemptFailed.class, next).retryAt());
      state = state.apply(next);
    }
    state = state.apply(state.start("n", NOW, Duration.ZERO));
    assertInstanceOf(TaskEntity.DeadLettered.class, state.finish(failure, NOW, () -> 0.5));
  }

  @Test
  void deadLettersAfterMaxAttempts() {
    enqueue(spec("boom", 1));
    grantPermit();
    TaskEntity.State dead = awaitStatus(TaskStatus.DEAD);
    assertEquals(1, dead.attempts());
    assertEquals(AttemptOutcome.FAILED, dead.history().get(0).outcome());
  }

  @Test
  void nonRetryableErrorGoesStraightToDead() {
    enqueue(spec("invalid", 5));
    grantPermit();
    TaskEntity.State dead = awaitStatus(TaskStatus.DEAD);
    assertEquals(1, dead.attempts());
    assertEquals("io.tasker.node.NonRetryableException", dead.history().get(0).errorType());
  }

  @Test
  void timeoutCountsAsAFailedAttempt() {
    enqueue(spec("block", NOW, 1, Duration.ofMillis(100)));
    grantPermit();
    TaskEntity.State dead = awaitStatus(TaskStatus.DEAD);
    assertEquals(AttemptOutcome.TIMED_OUT, dead.history().get(0).outcome());
  }

  @Test
  void aRedeliveryOfTheCreatingEnqueueIsToldItCreatedTheTaskOthersAreNot() {
    TaskSpec spec = spec("ok", NOW.plusSeconds(3600), 3, Duration.ofMinutes(1));
    var first = task.runCommand(r -> new TaskEntity.Enqueue(spec, "a", r));
    assertTrue(assertInstanceOf(TaskEntity.Accepted.class, first.reply()).created());
    // the first answer was lost: the same request, delivered again (also after a restart)
    var redelivered = task.runCommand(r -> new TaskEntity.Enqueue(spec, "a", r));
    assertTrue(assertInstanceOf(TaskEntity.Accepted.class, redelivered.reply()).created());
    assertTrue(redelivered.hasNoEvents());
    task.restart();
    var afterRestart = task.runCommand(r -> new TaskEntity.Enqueue(spec, "a", r));
    assertTrue(assertInstanceOf(TaskEntity.Accepted.class, afterRestart.reply()).created());
    var another = task.runCommand(r -> new TaskEntity.Enqueue(spec, "b", r));
    assertFalse(assertInstanceOf(TaskEntity.Accepted.class, another.reply()).created());
    var noId = task.runCommand(r -> new TaskEntity.Enqueue(spec, null, r));
    assertFalse(assertInstanceOf(TaskEntity.Accepted.class, noId.reply()).created());
  }

  @Test
  void aStartTheJournalFailedToStoreGivesThePermitBackAndTheTaskAsksAgain() {
    enqueue(spec("ok", 3));
    task.store.failNext(TaskEntity.persistenceId(id),
        new IllegalStateException("database down"));
    grantPermit(); // the attempt's start fails to be stored: the entity restarts
    queue.expectMessageClass(QueueManager.ReleasePermit.class);
    grantPermit(); // and asks again
    TaskEntity.State done = awaitStatus(TaskStatus.SUCCEEDED);
    assertEquals(1, done.attempts());
  }

  @Test
  void anOutcomeTheJournalFailedToStoreEndsAsALostAttemptAndTheTaskRunsAgain() {
    enqueue(spec("gate", 3));
    grantPermit();
    awaitStatus(TaskStatus.RUNNING);
    task.store.failNext(TaskEntity.persistenceId(id),
        new IllegalStateException("database down"));
    gate.countDown(); // the handler returns; storing its outcome fails: the entity restarts
    queue.expectMessageClass(QueueManager.ReleasePermit.class);
    // the clock moves past the recovered attempt's lease until the entity counts it lost and
    // asks again: the restart may recover before or after any one move of the clock
    QueueManager.RequestPermit request = await("the task asks for a permit again")
        .atMost(Duration.ofSeconds(30)).pollInSameThread().pollDelay(Duration.ZERO)
        .pollInterval(Duration.ofMillis(1))
        .until(() -> {
          clock.advance(Duration.ofSeconds(1));
          try {
            return queue.receiveMessage(Duration.ofMillis(500))
                instanceof QueueManager.RequestPermit r ? r : null;
          } catch (AssertionError nothingYet) {
            return null; // not yet recovered, or its lease timer has not fired
          }
        }, java.util.Objects::nonNull);
    request.replyTo().tell(
        new QueueManager.PermitGranted("default", request.holder(), request.incarnation()));
    TaskEntity.State done = awaitStatus(TaskStatus.SUCCEEDED);
    assertEquals(AttemptOutcome.LOST, done.history().get(0).outcome());
    assertEquals(2, done.attempts());
  }

  @Test
  void deadTaskCanBeRerunWithAFreshBudget() {
    enqueue(spec("boom", 1));
    grantPermit();
    awaitStatus(TaskStatus.DEAD);
    queue.expectMessageClass(QueueManager.ReleasePermit.class);
    var rerun = task.runCommand(TaskEntity.Requeue::new);
    assertInstanceOf(TaskEntity.Requeued.class, bare(rerun.event()));
    assertEquals(TaskStatus.SCHEDULED, rerun.state().status());
    grantPermit(); // due now: it asks for a permit again
    TaskEntity.State deadAgain = awaitStatus(TaskStatus.DEAD);
    assertEquals(2, deadAgain.attempts());
    assertEquals(2, deadAgain.history().size());
  }

  @Test
  void cancelOfScheduledTaskIsImmediate() {
    enqueue(spec("ok", NOW.plusSeconds(60), 3, Duration.ofMinutes(1)));
    var result = task.runCommand(TaskEntity.Cancel::new);
    assertInstanceOf(TaskEntity.Cancelled.class, bare(result.event()));
    assertEquals(TaskStatus.CANCELLED, result.state().status());
    task.awaitLeftMemory();
  }

  @Test
  void cancelOfRunningTaskInterruptsTheHandler() {
    enqueue(spec("block", 3));
    grantPermit();
    awaitStatus(TaskStatus.RUNNING);
    var result = task.runCommand(TaskEntity.Cancel::new);
    assertEquals(TaskStatus.CANCELLED, result.state().status());
    assertEquals(AttemptOutcome.CANCELLED, result.state().history().get(0).outcome());
    // the permit returns once the interrupted attempt reports back
    queue.expectMessageClass(QueueManager.ReleasePermit.class);
    task.awaitLeftMemory();
  }

  @Test
  void rejectsCancelOfFinishedTask() {
    enqueue(spec("ok", 3));
    grantPermit();
    awaitStatus(TaskStatus.SUCCEEDED);
    var result = task.runCommand(TaskEntity.Cancel::new);
    TaskEntity.Rejected rejected = assertInstanceOf(TaskEntity.Rejected.class, result.reply());
    assertEquals(ErrorCode.TASK_STATE_CONFLICT, rejected.code());
    assertEquals(TaskStatus.SUCCEEDED, rejected.status());
    assertTrue(result.hasNoEvents());
  }

  @Test
  void rescheduleMovesRunTimeAndPriority() {
    enqueue(spec("ok", NOW.plusSeconds(60), 3, Duration.ofMinutes(1)));
    Instant later = NOW.plusSeconds(600);
    var result = task.runCommand(r -> new TaskEntity.Reschedule(later, 7, r));
    assertEquals(new TaskEntity.Rescheduled(later, 7, NOW), bare(result.event()));
    assertEquals(later, result.state().runAt());
    assertEquals(7, result.state().priority());
  }

  @Test
  void rejectsRescheduleOfRunningTaskAndBadPriority() {
    enqueue(spec("block", 3));
    var badPriority = task.runCommand(r -> new TaskEntity.Reschedule(null, 99999, r));
    assertEquals("priority", assertInstanceOf(TaskEntity.Rejected.class, badPriority.reply()).field());
    assertTrue(badPriority.hasNoEvents());
    grantPermit();
    awaitStatus(TaskStatus.RUNNING);
    var result = task.runCommand(r -> new TaskEntity.Reschedule(NOW, null, r));
    assertEquals(ErrorCode.TASK_STATE_CONFLICT,
        assertInstanceOf(TaskEntity.Rejected.class, result.reply()).code());
    assertTrue(result.hasNoEvents());
  }

  @Test
  void recoversItsStateFromTheJournal() {
    enqueue(spec("boom", 3));
    grantPermit();
    await().until(() -> task.getState().attempts() == 1
        && task.getState().status() == TaskStatus.SCHEDULED);
    TaskEntity.State before = task.getState();
    var restarted = task.restart();
    assertEquals(before.toView(),
        assertInstanceOf(TaskEntity.Accepted.class, restarted.reply()).task());
    assertEquals(before, restarted.state());
  }

  @Test
  void attemptInFlightAtRestartIsCountedAsLostAfterItsLease() {
    enqueue(spec("block", NOW, 3, Duration.ofMillis(200)));
    grantPermit();
    awaitStatus(TaskStatus.RUNNING);
    task.restart();
    clock.advance(Duration.ofSeconds(1)); // past the 300 ms lease
    await().atMost(Duration.ofSeconds(10)).until(() -> task.getState().status() == TaskStatus.SCHEDULED);
    TaskEntity.State retrying = task.getState();
    assertEquals(1, retrying.attempts());
    assertEquals(AttemptOutcome.LOST, retrying.history().get(0).outcome());
    assertNull(retrying.result());
    assertEquals(NOW, retrying.runAt(), "retried at once, in its old place in the queue");
  }

  @Test
  void enqueuePersistsTheEventWithItsIndexRow() {
    Instant runAt = NOW.plusSeconds(600);
    var result = enqueue(spec("ok", runAt, 3, Duration.ofMinutes(1)));
    IndexRow row = assertInstanceOf(TaskEntity.Indexed.class, result.event()).row();
    assertInstanceOf(TaskEntity.Enqueued.class, bare(result.event()));
    assertEquals(TaskStatus.SCHEDULED, row.task().status());
    assertEquals(runAt, row.wakeAt());
    assertEquals(1, row.seqNr());
  }

  @Test
  void indexRowFollowsTheTaskToItsEnd() {
    enqueue(spec("ok", 3));
    grantPermit();
    awaitStatus(TaskStatus.SUCCEEDED);
    List<IndexRow> rows = rows();
    IndexRow last = rows.get(rows.size() - 1);
    assertEquals(TaskStatus.SUCCEEDED, last.task().status());
    assertNull(last.wakeAt(), "finished tasks are never woken");
    assertEquals(3, last.seqNr());
    assertTrue(rows.stream().anyMatch(r -> r.task().status() == TaskStatus.RUNNING
        && r.wakeAt().equals(NOW.plus(Duration.ofMillis(300)))), "running rows wake at lease end");
  }

  @Test
  void rescheduleMovesTheRowsWakeTimeWithItsEvent() {
    enqueue(spec("ok", NOW.plusSeconds(3000), 3, Duration.ofMinutes(1)));
    var result = task.runCommand(
        r -> new TaskEntity.Reschedule(NOW.plusSeconds(1000), null, r));
    IndexRow row = assertInstanceOf(TaskEntity.Indexed.class, result.event()).row();
    assertEquals(NOW.plusSeconds(1000), row.wakeAt());
    assertEquals(2, row.seqNr());
  }

  @Test
  void wakeOfAnUnknownTaskRemovesItsOrphanRow() {
    task.runCommand(new TaskEntity.Wake(NOW));
    await().until(() -> index.removed.contains(id));
    task.awaitLeftMemory();
  }

  @Test
  void wakeOfAStoredTaskPersistsNothing() {
    enqueue(spec("ok", NOW.plusSeconds(600), 3, Duration.ofMinutes(1)));
    var woken = task.runCommand(new TaskEntity.Wake(NOW.minusSeconds(5)));
    assertTrue(woken.hasNoEvents());
    assertTrue(index.removed.isEmpty());
  }

  @Test
  void heartbeatsExtendTheLeaseInTheIndexRowWithoutEvents() {
    enqueue(spec("block", 3));
    grantPermit();
    awaitStatus(TaskStatus.RUNNING);
    int events = rows().size();
    await().until(() -> index.leasesExtendedAt.size() >= 3);
    // guarded by the attempt's own event: a later event's row is never overwritten
    assertTrue(index.leasesExtendedAt.stream().allMatch(seqNr -> seqNr == events));
    assertEquals(events, rows().size(), "no event per heartbeat");
    assertEquals(TaskStatus.RUNNING, task.getState().status());
    task.runCommand(TaskEntity.Cancel::new);
  }

  @Test
  void aWakeAfterTheRowsLeaseRanOutCountsAnEarlierIncarnationsAttemptAsLost() {
    enqueue(spec("block", NOW, 3, Duration.ofMinutes(5)));
    grantPermit();
    awaitStatus(TaskStatus.RUNNING);
    clock.advance(Duration.ofSeconds(1));
    task.restart(); // as on another node after a crash: the attempt's outcome is unknown
    // on its own it would wait a full lease from now (the clock stands still): the waker's
    // word that the row's lease ran out at NOW + 0.5 s settles it at once
    assertEquals(TaskStatus.RUNNING, task.getState().status());
    task.runCommand(new TaskEntity.Wake(NOW.plusMillis(500)));
    TaskEntity.State retrying = awaitStatus(TaskStatus.SCHEDULED);
    assertEquals(AttemptOutcome.LOST, retrying.history().get(0).outcome());
  }

  @Test
  void aParkedAnswerMarksTheRowParkedAndPassivatesAskingNothingMore() {
    enqueue(spec("ok", 3));
    // patient: on a loaded machine a restart or a lease timer may take a while
    QueueManager.RequestPermit request =
        queue.expectMessageClass(QueueManager.RequestPermit.class, Duration.ofSeconds(30));
    request.replyTo().tell(new QueueManager.Parked("default", request.holder(), request.incarnation()));
    task.awaitLeftMemory();
    // marked as of its one event, then confirmed to its queue manager
    assertEquals(id.value(), queue.expectMessageClass(QueueManager.ConfirmParked.class).holder());
    assertEquals(List.of(1L), index.parkedAt);
    assertEquals(1, rows().size(), "parking stores no event");
    assertEquals(TaskStatus.SCHEDULED, task.getState().status());
    queue.expectNoMessage(Duration.ofMillis(300)); // no request, no release: it holds nothing

    // woken by its queue manager when there is room: due, it asks again
    task.runCommand(new TaskEntity.Wake(null));
    grantPermit();
    awaitStatus(TaskStatus.SUCCEEDED);
  }

  @Test
  void aParkedAnswerAfterTheGrantIsIgnored() {
    enqueue(spec("ok", 3));
    // patient: on a loaded machine a restart or a lease timer may take a while
    QueueManager.RequestPermit request =
        queue.expectMessageClass(QueueManager.RequestPermit.class, Duration.ofSeconds(30));
    request.replyTo().tell(new QueueManager.PermitGranted("default", request.holder(), request.incarnation()));
    request.replyTo().tell(new QueueManager.Parked("default", request.holder(), request.incarnation())); // stale
    awaitStatus(TaskStatus.SUCCEEDED);
    assertTrue(index.parkedAt.isEmpty());
  }

}
