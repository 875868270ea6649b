package io.tasker.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.List;

/**
 * A task as it stands: its accepted spec, where it is in its lifecycle, and its attempts.
 *
 * @param id the task's id
 * @param spec the task as accepted
 * @param status current status
 * @param runAt when the next attempt may start (meaningful while {@code SCHEDULED})
 * @param priority current priority (a reschedule may change it)
 * @param attempts attempts started so far, over the task's whole life
 * @param result the handler's result once {@code SUCCEEDED}, otherwise {@code null}
 * @param history every attempt, oldest first
 * @param createdAt when the task was accepted
 * @param updatedAt when its status last changed
 */
public record TaskView(
    TaskId id,
    TaskSpec spec,
    TaskStatus status,
    Instant runAt,
    int priority,
    int attempts,
    JsonNode result,
    List<AttemptRecord> history,
    Instant createdAt,
    Instant updatedAt)
    implements TaskerSerializable {

  public TaskView {
    history = List.copyOf(history);
  }

  /** @return the last attempt, or {@code null} before the first */
  public AttemptRecord lastAttempt() {
    return history.isEmpty() ? null : history.get(history.size() - 1);
  }
}
