package io.tasker.protocol;

import java.util.EnumMap;
import java.util.Map;

/**
 * How many tasks of a queue are in each status, from the task index.
 *
 * @param queue the queue
 * @param byStatus the count per status (every status present, zero if none)
 */
public record QueueCounts(String queue, Map<TaskStatus, Long> byStatus) {
  public QueueCounts {
    EnumMap<TaskStatus, Long> all = new EnumMap<>(TaskStatus.class);
    for (TaskStatus status : TaskStatus.values()) {
      all.put(status, byStatus.getOrDefault(status, 0L));
    }
    byStatus = Map.copyOf(all);
  }

  /** @return tasks waiting to run (scheduled, due or not) */
  public long scheduled() {
    return byStatus.get(TaskStatus.SCHEDULED);
  }

  /** @return tasks running now */
  public long running() {
    return byStatus.get(TaskStatus.RUNNING);
  }
}
