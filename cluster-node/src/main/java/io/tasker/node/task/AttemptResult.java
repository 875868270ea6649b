package io.tasker.node.task;

import com.fasterxml.jackson.databind.JsonNode;
import io.tasker.protocol.AttemptOutcome;
import io.tasker.protocol.TaskerSerializable;

/**
 * What one handler attempt produced, as reported back to its task.
 *
 * @param outcome how it ended
 * @param result the handler's result when it succeeded
 * @param errorType the error's class name otherwise
 * @param errorMessage the error's message otherwise
 * @param retryable false when no further attempt may mend the error
 */
public record AttemptResult(
    AttemptOutcome outcome,
    JsonNode result,
    String errorType,
    String errorMessage,
    boolean retryable)
    implements TaskerSerializable {

  static AttemptResult succeeded(JsonNode result) {
    return new AttemptResult(AttemptOutcome.SUCCEEDED, result, null, null, false);
  }

  static AttemptResult failed(Throwable error, boolean retryable) {
    return new AttemptResult(
        AttemptOutcome.FAILED, null, error.getClass().getName(), error.getMessage(), retryable);
  }

  static AttemptResult timedOut(java.time.Duration timeout) {
    return new AttemptResult(
        AttemptOutcome.TIMED_OUT,
        null,
        "java.util.concurrent.TimeoutException",
        "attempt exceeded its timeout of " + timeout,
        true);
  }

  static AttemptResult cancelled() {
    return new AttemptResult(AttemptOutcome.CANCELLED, null, null, "cancelled while running", false);
  }

  static AttemptResult lost(String node) {
    return new AttemptResult(
        AttemptOutcome.LOST,
        null,
        "io.tasker.AttemptLost",
        "node " + node + " stopped before the attempt reported an outcome",
        true);
  }
}
