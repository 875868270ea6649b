package io.tasker.node.internal.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.tasker.protocol.OutcomeUnknownException;
import io.tasker.protocol.TaskerException;
import io.tasker.protocol.ValidationException;
import java.util.Locale;
import java.util.concurrent.CompletionException;

/**
 * Enqueues refused, by {@code reason}: {@code validation}, {@code unavailable},
 * {@code outcome_unknown} (not confirmed in time), or {@code error}. No queue or type label:
 * a refused request's queue and type may be anything its sender wrote.
 */
public final class EnqueueMeters {
  private final MeterRegistry registry;

  public EnqueueMeters(MeterRegistry registry) {
    this.registry = registry;
  }

  /** Counts one refused enqueue (or batch of enqueues) failed with {@code failure}. */
  public void rejected(Throwable failure) {
    Counter.builder("tasker.enqueue.rejected").description("Enqueues refused, by reason")
        .tag("reason", reason(failure)).register(registry).increment();
  }

  static String reason(Throwable failure) {
    Throwable cause = failure instanceof CompletionException && failure.getCause() != null
        ? failure.getCause() : failure;
    if (cause instanceof ValidationException) {
      return "validation";
    }
    if (cause instanceof OutcomeUnknownException) {
      return "outcome_unknown";
    }
    if (cause instanceof TaskerException tasker) {
      return tasker.code().name().toLowerCase(Locale.ROOT);
    }
    return "error";
  }
}
