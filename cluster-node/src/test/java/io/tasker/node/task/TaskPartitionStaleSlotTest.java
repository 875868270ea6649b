package io.tasker.node.task;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.tasker.node.queue.QueueManager;
import io.tasker.protocol.TaskStatus;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes;
import org.junit.jupiter.api.Test;

/**
 * A task whose input fails while its attempt runs is dropped from memory; its handler, which
 * ignores the interrupt, runs on and ends after a new slot took the task over. What the old
 * attempt brings back is not the new slot's: the new slot keeps its permit and records nothing
 * of it. (The old permit still goes back once, when the old handler returns, named by the old
 * slot's incarnation: the queue manager frees that one, not the new slot's.)
 */
class TaskPartitionStaleSlotTest extends TaskPartitionFixture {
  private static final Duration PATIENCE = Duration.ofSeconds(30);
  private long incarnationOfFirstAttempt;

  @Test
  void anOldAttemptEndingLeavesTheNextAttemptItsPermit() {
    CountDownLatch first = runAndDropTheSlot();
    // the waker finds attempt 1's lease run out: a new slot records it lost and retries
    clock.advance(Duration.ofMinutes(1));
    task.runCommand(new TaskEntity.Wake(null));
    long newIncarnation = grantPermit().incarnation();
    assertNotEquals(incarnationOfFirstAttempt, newIncarnation, "the new slot asks as itself");
    await().atMost(PATIENCE).until(() -> task.getState().attempts() == 2
        && task.getState().status() == TaskStatus.RUNNING);
    int stored = task.stored().size();

    first.countDown();
    assertEquals(incarnationOfFirstAttempt, awaitPermitReleased().incarnation(),
        "attempt 1's permit goes back as the old slot's");
    task.runCommand(TaskEntity.Get::new); // after attempt 1's end, piped at once to the partition
    assertEquals(0, permitsReleased(), "the running attempt 2 keeps its permit");
    assertEquals(stored, task.stored().size(), "nothing recorded of the old attempt");
    int heartbeats = index.leasesExtendedAt.size();
    await().atMost(PATIENCE).until(() -> index.leasesExtendedAt.size() >= heartbeats + 3);
    assertEquals(List.of((long) stored), List.copyOf(Set.copyOf(
        index.leasesExtendedAt.subList(heartbeats, index.leasesExtendedAt.size()))),
        "attempt 2's lease is extended");

    stubbornAttempt(id, 2).countDown();
    TaskEntity.State done = awaitStatus(TaskStatus.SUCCEEDED);
    assertEquals(2, done.attempts());
    assertEquals(newIncarnation, awaitPermitReleased().incarnation()); // attempt 2's, now it ended
    task.awaitLeftMemory();
    assertEquals(0, permitsReleased());
  }

  @Test
  void anOldAttemptEndingIsNotRecordedByTheNewSlot() {
    CountDownLatch first = runAndDropTheSlot();
    // a new slot: attempt 1 runs elsewhere for all it knows (its lease does not run out while
    // the clock stands still)
    task.runCommand(TaskEntity.Get::new);
    int stored = task.stored().size();

    // cancelled when its slot was dropped, its result is "cancelled": not retryable, it would
    // dead-letter the task if it were recorded
    first.countDown();
    awaitPermitReleased();
    task.runCommand(TaskEntity.Get::new);
    assertEquals(stored, task.stored().size(), "nothing recorded of the old attempt");
    assertEquals(TaskStatus.RUNNING, task.getState().status());
    assertEquals(0, permitsReleased());

    // its lease runs out: lost, run again, and done
    clock.advance(Duration.ofMinutes(1));
    task.runCommand(new TaskEntity.Wake(null));
    grantPermit();
    stubbornAttempt(id, 2).countDown();
    assertEquals(2, awaitStatus(TaskStatus.SUCCEEDED).attempts());
  }

  /**
   * Runs attempt 1 of a stubborn task, then fails its slot: the index throws on a heartbeat's
   * lease extension. The slot is dropped, its attempt interrupted, which its handler ignores.
   *
   * @return what lets attempt 1's handler return
   */
  private CountDownLatch runAndDropTheSlot() {
    enqueue(spec("stubborn", 3));
    incarnationOfFirstAttempt = grantPermit().incarnation();
    awaitStatus(TaskStatus.RUNNING);
    index.failNextExtension.set(new IllegalStateException("index unreachable"));
    await().atMost(PATIENCE).until(() -> index.failNextExtension.get() == null);
    task.awaitLeftMemory();
    assertEquals(0, permitsReleased(), "the permit is held until the handler returns");
    return stubbornAttempt(id, 1);
  }

  /**
   * Waits for a permit to go back (renewals skipped).
   *
   * @return its release
   */
  private QueueManager.ReleasePermit awaitPermitReleased() {
    List<QueueManager.Command> fished = queue.fishForMessage(PATIENCE,
        message -> message instanceof QueueManager.ReleasePermit
            ? FishingOutcomes.complete() : FishingOutcomes.continueAndIgnore());
    return (QueueManager.ReleasePermit) fished.get(fished.size() - 1);
  }

  /** @return how many permits went back so far (renewals skipped) */
  private int permitsReleased() {
    QueueManager.Command marker = new QueueManager.ConfirmParked("marker");
    queue.ref().tell(marker);
    int released = 0;
    for (Object message = queue.receiveMessage(PATIENCE); message != marker;
        message = queue.receiveMessage(PATIENCE)) {
      if (message instanceof QueueManager.ReleasePermit) {
        released++;
      }
    }
    return released;
  }
}
