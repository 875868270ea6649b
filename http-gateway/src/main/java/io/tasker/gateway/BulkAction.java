package io.tasker.gateway;

import io.tasker.node.Tasker;
import io.tasker.protocol.TaskId;
import io.tasker.protocol.TaskQuery;
import io.tasker.protocol.TaskSummary;
import io.tasker.protocol.ValidationException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * One action (retry, cancel) on every task a filter matches: the matching ids are collected
 * from the task index first, so the action's own changes do not move the paging, then acted on
 * a chunk at a time. A task that refuses (e.g. not DEAD for a retry) counts as failed.
 */
final class BulkAction {
  /** More matches than this are refused: one request must answer within its timeout. */
  static final int MAX_TASKS = 10_000;
  private static final int CHUNK = 50;
  /** Acting on up to {@link #MAX_TASKS} tasks takes longer than an ordinary request may. */
  static final Duration REQUEST_TIMEOUT = Duration.ofMinutes(2);

  /** What happened: how many tasks matched, how many the action changed, how many refused. */
  record Outcome(int matched, int done, int failed, boolean dryRun) {}

  private BulkAction() {}

  static CompletionStage<Outcome> run(Tasker tasker, JsonContract.BulkFilter filter,
      Function<TaskId, CompletionStage<?>> action) {
    return collect(tasker, filter.query(), new ArrayList<>()).thenCompose(ids -> filter.dryRun()
        ? CompletableFuture.completedFuture(new Outcome(ids.size(), 0, 0, true))
        : act(ids, 0, action, new AtomicInteger(), new AtomicInteger()));
  }

  private static CompletionStage<List<TaskId>> collect(Tasker tasker, TaskQuery query,
      List<TaskId> ids) {
    return tasker.list(query).thenCompose(page -> {
      page.tasks().stream().map(TaskSummary::id).forEach(ids::add);
      if (ids.size() > MAX_TASKS) {
        throw new ValidationException("body", "matches more than " + MAX_TASKS
            + " tasks; narrow the filter (e.g. with createdFrom/createdBefore)");
      }
      return page.nextCursor() == null
          ? CompletableFuture.completedFuture(ids)
          : collect(tasker, query.after(page.nextCursor()), ids);
    });
  }

  private static CompletionStage<Outcome> act(List<TaskId> ids, int from,
      Function<TaskId, CompletionStage<?>> action, AtomicInteger done, AtomicInteger failed) {
    if (from >= ids.size()) {
      return CompletableFuture.completedFuture(
          new Outcome(ids.size(), done.get(), failed.get(), false));
    }
    CompletableFuture<?>[] chunk = ids.subList(from, Math.min(ids.size(), from + CHUNK)).stream()
        .map(id -> attempt(action, id).handle((ok, failure) -> failure == null
            ? done.incrementAndGet() : failed.incrementAndGet()).toCompletableFuture())
        .toArray(CompletableFuture[]::new);
    return CompletableFuture.allOf(chunk)
        .thenCompose(all -> act(ids, from + CHUNK, action, done, failed));
  }

  private static CompletionStage<?> attempt(Function<TaskId, CompletionStage<?>> action,
      TaskId id) {
    try {
      return action.apply(id);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }
}
