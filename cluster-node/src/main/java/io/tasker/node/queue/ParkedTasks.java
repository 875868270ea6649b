package io.tasker.node.queue;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The parked tasks of queues, as a queue manager reaches them: a parked task is a due task that
 * waits in the task index instead of in its manager's memory (its row is {@code SCHEDULED} with
 * no wake time, which the waker never scans), so that a due backlog costs no live actor per task.
 */
public interface ParkedTasks {

  /**
   * @return the ids of at most {@code limit} parked tasks of {@code queue}, by priority (highest
   *     first), then run time, then id
   */
  CompletionStage<List<String>> next(String queue, int limit);

  /** Wakes a parked task: its entity starts, finds it is due and asks for its permit. */
  void wake(String taskId);

  /** No parked tasks anywhere (a queue manager on its own, in tests). */
  ParkedTasks NONE = new ParkedTasks() {
    @Override
    public CompletionStage<List<String>> next(String queue, int limit) {
      return CompletableFuture.completedFuture(List.of());
    }

    @Override
    public void wake(String taskId) {}
  };
}
