package io.tasker.node;

import static io.tasker.node.Stages.failure;
import static io.tasker.node.Stages.join;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tasker.node.task.TaskEntity;
import io.tasker.protocol.ErrorCode;
import io.tasker.protocol.TaskId;
import io.tasker.protocol.TaskNotFoundException;
import io.tasker.protocol.TaskStatus;
import io.tasker.protocol.TaskView;
import io.tasker.protocol.TaskerUnavailableException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/**
 * The caller's side of a wait, against scripted entity answers: "not finished" (the wait ran out,
 * the entity stopped to move) and no answer at all (its node died) are followed by another round
 * until the outcome comes or the caller's own timeout passes.
 */
class OutcomeWaitsTest {
  private static final Duration ROUND = Duration.ofSeconds(15);
  private final TaskId id = TaskId.random("probe");
  private final Deque<CompletionStage<TaskEntity.Reply>> script = new ArrayDeque<>();
  private final List<Duration> rounds = new ArrayList<>();
  private final OutcomeWaits waits = new OutcomeWaits((task, wait, askTimeout) -> {
    rounds.add(wait);
    assertTrue(askTimeout.compareTo(wait) > 0, "the ask outlasts the entity's wait");
    CompletionStage<TaskEntity.Reply> next = script.poll();
    return next != null ? next : new CompletableFuture<>(); // no answer yet
  }, ROUND);

  private TaskView view(TaskStatus status) {
    return new TaskView(id, null, status, null, 0, 1, null, List.of(), null, null);
  }

  private void answer(TaskEntity.Reply reply) {
    script.add(CompletableFuture.completedFuture(reply));
  }

  private void noAnswer() {
    script.add(CompletableFuture.failedFuture(new TimeoutException("ask timed out")));
  }

  @Test
  void asksAgainAfterNotFinishedAndAfterNoAnswerUntilTheOutcome() {
    answer(new TaskEntity.NotFinished(view(TaskStatus.SCHEDULED))); // its wait ran out
    noAnswer();                                                      // its node died
    answer(new TaskEntity.NotFinished(view(TaskStatus.RUNNING)));   // it stopped to move
    answer(new TaskEntity.Accepted(view(TaskStatus.SUCCEEDED), false));
    assertEquals(TaskStatus.SUCCEEDED, join(waits.await(id, null)).status());
    assertEquals(List.of(ROUND, ROUND, ROUND, ROUND), rounds);
  }

  @Test
  void aZeroTimeoutAnswersTheTaskAsItStands() {
    answer(new TaskEntity.NotFinished(view(TaskStatus.RUNNING)));
    assertEquals(TaskStatus.RUNNING, join(waits.await(id, Duration.ZERO)).status());
    assertEquals(List.of(Duration.ZERO), rounds);
  }

  @Test
  void pastTheTimeoutWithoutAnyAnswerTheOutcomeIsUnknown() {
    noAnswer();
    noAnswer();
    failure(TaskerUnavailableException.class, waits.await(id, Duration.ZERO));
    assertEquals(1, rounds.size()); // a round that waited nothing and heard nothing is the last
  }

  @Test
  void anUnknownTaskFailsTyped() {
    answer(new TaskEntity.Rejected(ErrorCode.TASK_NOT_FOUND, "no", null, null));
    failure(TaskNotFoundException.class, waits.await(id, null));
  }

  @Test
  void closingEndsTheWaitsInFlight() {
    CompletableFuture<TaskView> waiting = waits.await(id, null).toCompletableFuture();
    assertFalse(waiting.isDone());
    waits.close();
    failure(TaskerUnavailableException.class, waiting);
    failure(TaskerUnavailableException.class, waits.await(id, null));
  }
}
