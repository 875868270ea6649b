package io.tasker.protocol;

import java.util.List;

/**
 * One page of a task listing.
 *
 * @param tasks the tasks, in the query's order
 * @param nextCursor pass to {@link TaskQuery#after(String)} for the next page; {@code null} on the
 *     last page
 */
public record TaskPage(List<TaskSummary> tasks, String nextCursor) {
  public TaskPage {
    tasks = List.copyOf(tasks);
  }
}
