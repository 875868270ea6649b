package io.tasker.node;

import io.tasker.protocol.TaskId;
import java.util.Map;
import org.slf4j.Logger;

/** What a handler knows about the attempt it runs. */
public interface TaskContext {

  /** @return the task's id, stable over all attempts: a good idempotency key for side effects */
  TaskId taskId();

  /** @return the task type */
  String type();

  /** @return the queue the task runs in */
  String queue();

  /** @return 1 for the first attempt, counted over the task's whole life */
  int attempt();

  /** @return the attempts allowed before the task is dead-lettered */
  int maxAttempts();

  /** @return the metadata given at enqueue */
  Map<String, String> metadata();

  /**
   * @return true once the task was cancelled or the attempt timed out; the handler's thread is
   *     also interrupted then, so blocking calls end early
   */
  boolean isCancelled();

  /** @return a logger named after the task type, for the handler's own lines */
  Logger logger();
}
