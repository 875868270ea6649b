package io.tasker.node;

import io.tasker.node.task.HandlerDefaults;
import io.tasker.protocol.Backoff;
import io.tasker.protocol.Validation;
import io.tasker.protocol.ValidationException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Per-handler defaults for tasks of one type, set in {@link TaskerBuilder#handler(TaskType,
 * TaskHandler, java.util.function.Consumer)}. A task's own settings at enqueue win over these.
 */
public final class HandlerOptions {
  private HandlerDefaults defaults;
  private final List<Class<? extends Throwable>> nonRetryable = new ArrayList<>();

  HandlerOptions(HandlerDefaults base) {
    this.defaults = base;
  }

  /** @return these options, with tasks of the type going to {@code queue} by default */
  public HandlerOptions queue(String queue) {
    if (!Validation.isName(queue)) {
      throw new ValidationException("queue", "must be 1-64 letters, digits or '_.-'");
    }
    defaults = defaults.withQueue(queue);
    return this;
  }

  /** @return these options, allowing {@code maxAttempts} attempts by default */
  public HandlerOptions maxAttempts(int maxAttempts) {
    if (maxAttempts < 1 || maxAttempts > Validation.MAX_ATTEMPTS) {
      throw new ValidationException("maxAttempts", "must be between 1 and " + Validation.MAX_ATTEMPTS);
    }
    defaults = defaults.withMaxAttempts(maxAttempts);
    return this;
  }

  /** @return these options, with this backoff between attempts by default */
  public HandlerOptions backoff(Backoff backoff) {
    if (backoff == null) {
      throw new ValidationException("backoff", "is required");
    }
    defaults = defaults.withBackoff(backoff);
    return this;
  }

  /** @return these options, with attempts limited to {@code timeout} by default */
  public HandlerOptions timeout(Duration timeout) {
    if (timeout == null || timeout.isNegative() || timeout.isZero()
        || timeout.compareTo(Validation.MAX_TIMEOUT) > 0) {
      throw new ValidationException("timeout", "must be positive and at most " + Validation.MAX_TIMEOUT);
    }
    defaults = defaults.withTimeout(timeout);
    return this;
  }

  /**
   * @param errors exception types (and their subtypes) that no retry can mend
   * @return these options, sending tasks that fail with such an error straight to {@code DEAD}
   */
  @SafeVarargs
  public final HandlerOptions nonRetryable(Class<? extends Throwable>... errors) {
    nonRetryable.addAll(List.of(errors));
    return this;
  }

  HandlerDefaults build() {
    return defaults.withNonRetryable(nonRetryable);
  }
}
