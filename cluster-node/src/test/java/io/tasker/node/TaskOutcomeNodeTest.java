package io.tasker.node;

import static io.tasker.node.Stages.failure;
import static io.tasker.node.Stages.join;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.typesafe.config.ConfigFactory;
import io.tasker.protocol.TaskId;
import io.tasker.protocol.TaskNotFoundException;
import io.tasker.protocol.TaskStatus;
import io.tasker.protocol.TaskView;
import io.tasker.protocol.ValidationException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link Tasker#result} and {@code enqueueAndWait} on a real node (sharding, H2 journal). Rounds
 * are short (the ask timeout, 3 s), so waits here span several rounds: the entity answers
 * "not finished", may passivate in between, and is asked again.
 */
class TaskOutcomeNodeTest {
  private static final String TEST = "TaskOutcomeNodeTest";
  private static TaskerNode node;

  @BeforeAll
  static void start() {
    node = TestJournals.h2(Probe.register(Tasker.builder()), "outcomes")
        .config(ConfigFactory.parseString(String.join("\n",
                "tasker.ask-timeout = 3s",
                "tasker.task.keep-alive-window = 2s",
                "tasker.waker.lookahead = 1s"))
            .withFallback(ConfigFactory.load()))
        .start();
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  @Test
  void enqueueAndWaitAnswersTheSucceededTaskWithItsResult() {
    TaskView done = join(node.enqueueAndWait(Probe.WORK.with(Probe.of(TEST, "quick"))));
    assertEquals(TaskStatus.SUCCEEDED, done.status());
    assertEquals("quick", done.result().asText());
  }

  @Test
  void aDeadTaskIsAnOutcomeToo() {
    TaskView dead = join(node.enqueueAndWait(Probe.STRICT.with(Probe.of(TEST, "refused")),
        Duration.ofSeconds(30)));
    assertEquals(TaskStatus.DEAD, dead.status());
    assertEquals(IllegalArgumentException.class.getName(), dead.lastAttempt().errorType());
  }

  @Test
  void aWaitOutlastsRoundsUntilTheHandlerReturns() {
    Probe blocked = Probe.of(TEST, "blocked");
    TaskId id = join(node.enqueue(Probe.BLOCK.with(blocked)));
    CompletableFuture<TaskView> outcome = node.result(id).toCompletableFuture();
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30))
        .until(() -> Probe.record(TEST).started.contains("blocked"));
    // more than one round: the entity answered "not finished" and was asked again
    assertEquals(TaskStatus.RUNNING, join(node.result(id, Duration.ofSeconds(4))).status());
    assertFalse(outcome.isDone());
    Probe.record(TEST).gate("blocked").countDown();
    assertEquals(TaskStatus.SUCCEEDED, outcome.join().status());
  }

  @Test
  void aWaitForAFarOffTaskSurvivesItsPassivationAndRestarts() {
    // due in 5 s, beyond the 2 s keep-alive window: between rounds the entity is idle, so it
    // may passivate and be started again by the next round or by the waker
    TaskId id = join(node.enqueue(Probe.WORK.with(Probe.of(TEST, "later"))
        .delay(Duration.ofSeconds(5))));
    TaskView done = join(node.result(id, Duration.ofSeconds(60)));
    assertEquals(TaskStatus.SUCCEEDED, done.status());
    assertEquals("later", done.result().asText());
  }

  @Test
  void anUnknownTaskOrANegativeTimeoutFailsTyped() {
    failure(TaskNotFoundException.class, node.result(TaskId.random("probe")));
    ValidationException invalid = failure(ValidationException.class,
        node.result(TaskId.random("probe"), Duration.ofSeconds(-1)));
    assertEquals("timeout", invalid.field());
  }
}
