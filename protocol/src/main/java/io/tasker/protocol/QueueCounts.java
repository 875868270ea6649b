package io.tasker.protocol;

import java.util.EnumMap;
import java.util.Map;

/**
 * How many tasks of a queue are in each status, from the task index.
 *
 * @param queue the queue
 * @param byStatus the count per status (every status present, zero if none)
 * @param dueWaiting of the {@link TaskStatus#SCHEDULED} tasks, those whose run time has passed
 *     (due, but not started yet): a number that keeps growing means the queue falls behind
 */
public record QueueCounts(String queue, Map<TaskStatus, Long> byStatus, long dueWaiting) {
  public QueueCounts {
    EnumMap<TaskStatus, Long> all = new EnumMap<>(TaskStatus.class);
    for (TaskStatus status : TaskStatus.values()) {
      all.put(status, byStatus.getOrDefault(status, 0L));
    }
    byStatus = Map.copyOf(all);
  }

  /**
   * Counts without the due ones (as zero).
   *
   * @param queue the queue
   * @param byStatus the count per status
   */
  public QueueCounts(String queue, Map<TaskStatus, Long> byStatus) {
    this(queue, byStatus, 0);
  }

  /** @return tasks waiting to run (scheduled, due or not) */
  public long scheduled() {
    return byStatus.get(TaskStatus.SCHEDULED);
  }

  /** @return tasks running now */
  public long running() {
    return byStatus.get(TaskStatus.RUNNING);
  }

  /** @return tasks not finished: scheduled or running */
  public long depth() {
    return scheduled() + running();
  }

  /** @return tasks dead-lettered (still in the index) */
  public long dead() {
    return byStatus.get(TaskStatus.DEAD);
  }
}
