package io.tasker.node.task;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.TextNode;
import io.tasker.node.queue.QueueManager;
import io.tasker.protocol.AttemptOutcome;
import io.tasker.protocol.ErrorCode;
import io.tasker.protocol.TaskId;
import io.tasker.protocol.TaskStatus;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.Test;

/**
 * Waiting for a task's outcome; what a partition adds: several tasks in one actor, inputs
 * waiting for a write, failed writes and reads.
 */
class TaskPartitionWaitsTest extends TaskPartitionFixture {
  // Waiting for the outcome

  @Test
  void aWaiterIsAnsweredWhenTheTaskSucceeds() {
    enqueue(spec("ok", 3));
    TestProbe<TaskEntity.Reply> waiter = awaitOutcome(Duration.ofMinutes(1));
    waiter.expectNoMessage(Duration.ofMillis(100)); // nothing to say before the outcome
    grantPermit();
    TaskEntity.Accepted done = waiter.expectMessageClass(TaskEntity.Accepted.class);
    assertEquals(TaskStatus.SUCCEEDED, done.task().status());
    assertEquals(TextNode.valueOf("hi"), done.task().result());
    task.awaitLeftMemory(); // nobody waits any more
  }

  @Test
  void aWaiterIsAnsweredWhenTheTaskIsDeadLettered() {
    enqueue(spec("invalid", 3));
    TestProbe<TaskEntity.Reply> waiter = awaitOutcome(Duration.ofMinutes(1));
    grantPermit();
    TaskEntity.Accepted dead = waiter.expectMessageClass(TaskEntity.Accepted.class);
    assertEquals(TaskStatus.DEAD, dead.task().status());
    assertEquals("io.tasker.node.NonRetryableException", dead.task().lastAttempt().errorType());
  }

  @Test
  void aFinishedTaskAnswersAtOnceAndPersistsNothing() {
    enqueue(spec("ok", 3));
    grantPermit();
    awaitStatus(TaskStatus.SUCCEEDED);
    var result = task.runCommand(
        replyTo -> new TaskEntity.AwaitOutcome(Duration.ofMinutes(1), replyTo));
    assertEquals(TaskStatus.SUCCEEDED,
        assertInstanceOf(TaskEntity.Accepted.class, result.reply()).task().status());
    assertTrue(result.hasNoEvents());
  }

  @Test
  void anUnknownTaskIsRejectedToAWaiter() {
    var result = task.runCommand(
        replyTo -> new TaskEntity.AwaitOutcome(Duration.ofMinutes(1), replyTo));
    assertEquals(ErrorCode.TASK_NOT_FOUND,
        assertInstanceOf(TaskEntity.Rejected.class, result.reply()).code());
  }

  @Test
  void aWaiterKeepsAFarOffTaskAliveUntilItsWaitEndsThenHearsNotFinished() {
    enqueue(spec("ok", NOW.plus(Duration.ofHours(3)), 3, Duration.ofMinutes(1)));
    task.awaitLeftMemory(); // due beyond the window: idle
    TestProbe<TaskEntity.Reply> waiter = awaitOutcome(Duration.ofMillis(300));
    TaskEntity.NotFinished notYet = waiter.expectMessageClass(TaskEntity.NotFinished.class);
    assertEquals(TaskStatus.SCHEDULED, notYet.task().status());
    task.awaitLeftMemory(); // idle again once nobody waits
  }

  @Test
  void aParkedTaskWithAWaiterStaysAliveUntilWokenAndAnswersIt() {
    enqueue(spec("ok", 3));
    TestProbe<TaskEntity.Reply> waiter = awaitOutcome(Duration.ofMinutes(1));
    QueueManager.RequestPermit request =
        queue.expectMessageClass(QueueManager.RequestPermit.class, Duration.ofSeconds(30));
    request.replyTo().tell(new QueueManager.Parked("default", request.holder(), request.incarnation()));
    assertEquals(id.value(), queue.expectMessageClass(QueueManager.ConfirmParked.class).holder());
    task.assertStaysInMemory(Duration.ofMillis(300)); // no passivation: the waiter would restart it
    task.runCommand(new TaskEntity.Wake(null));
    grantPermit();
    assertEquals(TaskStatus.SUCCEEDED,
        waiter.expectMessageClass(TaskEntity.Accepted.class).task().status());
  }

  @Test
  void aStoppingEntityTellsItsWaitersToAskAgain() {
    enqueue(spec("ok", NOW.plus(Duration.ofHours(3)), 3, Duration.ofMinutes(1)));
    TestProbe<TaskEntity.Reply> waiter = awaitOutcome(Duration.ofMinutes(1));
    task.restart(); // as on a hand-off to another node
    assertEquals(TaskStatus.SCHEDULED,
        waiter.expectMessageClass(TaskEntity.NotFinished.class).task().status());
  }

  // What a partition adds: several tasks in one actor, inputs waiting for a write

  @Test
  void twoTasksOfAPartitionProgressIndependently() {
    enqueue(spec("block", 3));
    grantPermit();
    awaitStatus(TaskStatus.RUNNING); // its handler blocks the whole test long
    PartitionHarness other = task.other(TaskId.random("work"));
    other.runCommand(r -> new TaskEntity.Enqueue(spec("ok", 3), "other", r));
    QueueManager.RequestPermit request =
        queue.expectMessageClass(QueueManager.RequestPermit.class, Duration.ofSeconds(30));
    assertEquals(other.id.value(), request.holder());
    request.replyTo().tell(new QueueManager.PermitGranted("default", request.holder(), request.incarnation()));
    await().atMost(Duration.ofSeconds(30))
        .until(() -> other.getState().status() == TaskStatus.SUCCEEDED);
    assertEquals(other.id.value(),
        queue.expectMessageClass(QueueManager.ReleasePermit.class).holder());
    assertEquals(TaskStatus.RUNNING, task.getState().status());
    assertEquals(TaskStatus.SUCCEEDED, assertInstanceOf(TaskEntity.Accepted.class,
        other.runCommand(TaskEntity.Get::new).reply()).task().status());
    var cancelled = task.runCommand(TaskEntity.Cancel::new);
    assertEquals(TaskStatus.CANCELLED, cancelled.state().status());
  }

  @Test
  void aCommandArrivingWhileAnEventIsWrittenWaitsAndIsDecidedOnTheStoredState() {
    enqueue(spec("block", 3));
    task.store.hold();
    grantPermit(); // its start is being written, and stays so
    await().atMost(Duration.ofSeconds(30)).until(() -> task.store.waiting() == 1);
    TestProbe<TaskEntity.Reply> replyTo = testKit.createTestProbe();
    task.tell(new TaskEntity.Cancel(replyTo.ref()));
    replyTo.expectNoMessage(Duration.ofMillis(200)); // it waits for the write
    assertEquals(TaskStatus.SCHEDULED, task.getState().status());
    task.store.release();
    TaskEntity.Accepted cancelled = replyTo.expectMessageClass(TaskEntity.Accepted.class,
        Duration.ofSeconds(30));
    // decided on the stored start: the running attempt is cancelled, not a scheduled task
    assertEquals(TaskStatus.CANCELLED, cancelled.task().status());
    assertEquals(1, cancelled.task().attempts(), "decided after the start was stored");
    assertEquals(AttemptOutcome.CANCELLED, cancelled.task().lastAttempt().outcome());
    assertEquals(List.of(TaskEntity.Enqueued.class, TaskEntity.AttemptStarted.class,
            TaskEntity.Cancelled.class),
        task.stored().stream().map(stored -> stored.event().getClass()).toList());
    assertEquals(id.value(), queue.expectMessageClass(QueueManager.ReleasePermit.class).holder());
    task.awaitLeftMemory();
  }

  @Test
  void aWaiterHearsNotFinishedAtTheEndOfItsWaitAlsoAfterAFailedWrite() {
    enqueue(spec("ok", 3));
    TestProbe<TaskEntity.Reply> waiter = awaitOutcome(Duration.ofMillis(500));
    task.store.failNext(TaskEntity.persistenceId(id), new IllegalStateException("database down"));
    grantPermit(); // the start fails to be stored: the task is read back
    queue.expectMessageClass(QueueManager.ReleasePermit.class);
    queue.expectMessageClass(QueueManager.RequestPermit.class, Duration.ofSeconds(30));
    // not granted again: the task waits, and so does its waiter, up to its wait
    TaskEntity.NotFinished notYet =
        waiter.expectMessageClass(TaskEntity.NotFinished.class, Duration.ofSeconds(10));
    assertEquals(TaskStatus.SCHEDULED, notYet.task().status());
  }

  @Test
  void aRunningAttemptKeepsItsHeartbeatsAfterFailedWrites() {
    enqueue(spec("block", 3));
    grantPermit();
    awaitStatus(TaskStatus.RUNNING);
    for (int i = 0; i < 3; i++) {
      task.store.failNext(TaskEntity.persistenceId(id), new IllegalStateException("database down"));
    }
    // the cancel fails to be stored three times: the task gives up on it, its attempt runs on
    var refused = task.runCommand(TaskEntity.Cancel::new);
    assertEquals(ErrorCode.UNAVAILABLE,
        assertInstanceOf(TaskEntity.Rejected.class, refused.reply()).code());
    assertTrue(refused.hasNoEvents());
    int heartbeats = index.leasesExtendedAt.size();
    await().atMost(Duration.ofSeconds(10))
        .until(() -> index.leasesExtendedAt.size() >= heartbeats + 3);
    assertEquals(TaskStatus.RUNNING, task.getState().status());
    task.runCommand(TaskEntity.Cancel::new);
  }

  @Test
  void aTaskThatCannotBeReadBackLeavesMemoryTellingItsWaitersAndGivingItsPermitBack() {
    enqueue(spec("ok", 3));
    TestProbe<TaskEntity.Reply> waiter = awaitOutcome(Duration.ofMinutes(1));
    String persistenceId = TaskEntity.persistenceId(id);
    task.store.failNext(persistenceId, new IllegalStateException("database down"));
    task.store.failNextRead(persistenceId, new IllegalStateException("database still down"));
    grantPermit(); // the start fails to be stored, and the task to be read back
    assertEquals(TaskStatus.SCHEDULED,
        waiter.expectMessageClass(TaskEntity.NotFinished.class, Duration.ofSeconds(10))
            .task().status()); // it asks again
    assertEquals(id.value(), queue.expectMessageClass(QueueManager.ReleasePermit.class).holder());
    task.awaitLeftMemory();
    // its index row still says due: the waker brings it back
    task.runCommand(new TaskEntity.Wake(null));
    grantPermit();
    awaitStatus(TaskStatus.SUCCEEDED);
  }

}
