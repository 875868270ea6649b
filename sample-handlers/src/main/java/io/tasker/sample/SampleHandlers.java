package io.tasker.sample;

import com.fasterxml.jackson.databind.JsonNode;
import io.tasker.node.NonRetryableException;
import io.tasker.node.TaskType;
import io.tasker.node.TaskerBuilder;
import io.tasker.node.TaskerPlugin;
import io.tasker.protocol.Backoff;
import java.time.Duration;
import java.util.Map;

/**
 * Handlers the stock server ships with, to try Tasker out and to demonstrate its lifecycle: a
 * plugin (see {@code META-INF/services/io.tasker.node.TaskerPlugin}) that {@code ./tasker} and
 * the Docker image load by default.
 */
public final class SampleHandlers implements TaskerPlugin {

  /** Returns its payload as the result. */
  public static final TaskType<JsonNode> ECHO = TaskType.of("echo", JsonNode.class);

  /** Sleeps, ending early when cancelled. */
  public static final TaskType<Sleep> SLEEP = TaskType.of("sleep", Sleep.class);

  /** Fails its first {@code failures} attempts, then succeeds. */
  public static final TaskType<Flaky> FLAKY = TaskType.of("flaky", Flaky.class);

  /** Always fails; with {@code retryable = false} it is dead-lettered at once. */
  public static final TaskType<Fail> FAIL = TaskType.of("fail", Fail.class);

  public record Sleep(long millis) {}

  public record Flaky(int failures) {}

  public record Fail(String message, boolean retryable) {}

  @Override
  public void register(TaskerBuilder builder) {
    Backoff quick = Backoff.exponential(Duration.ofMillis(500), 2.0, Duration.ofSeconds(10));
    builder
        .handler(ECHO, (payload, ctx) -> payload)
        .handler(SLEEP, (sleep, ctx) -> {
          Thread.sleep(sleep.millis());
          return Map.of("slept", sleep.millis());
        })
        .handler(FLAKY, (flaky, ctx) -> {
          if (ctx.attempt() <= flaky.failures()) {
            throw new IllegalStateException(
                "planned failure " + ctx.attempt() + " of " + flaky.failures());
          }
          return Map.of("succeededOnAttempt", ctx.attempt());
        }, h -> h.backoff(quick).maxAttempts(5))
        .handler(FAIL, (fail, ctx) -> {
          if (!fail.retryable()) {
            throw new NonRetryableException(fail.message());
          }
          throw new IllegalStateException(fail.message());
        }, h -> h.backoff(quick));
  }
}
