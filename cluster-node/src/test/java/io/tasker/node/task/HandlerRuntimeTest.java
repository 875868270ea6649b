package io.tasker.node.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.TextNode;
import io.tasker.protocol.AttemptOutcome;
import io.tasker.protocol.Backoff;
import io.tasker.protocol.TaskId;
import io.tasker.protocol.TaskSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Attempts recorded ahead of their run time: the handler starts at it, never before. */
class HandlerRuntimeTest {
  private static final ExecutorService workers = Executors.newFixedThreadPool(4);
  private static final ScheduledExecutorService watchdog = Executors.newScheduledThreadPool(1);
  private static final Map<String, Instant> started = new ConcurrentHashMap<>();

  private static final HandlerRuntime runtime = new HandlerRuntime(
      new HandlerRegistry(Map.of("stamp", new HandlerRegistry.Registration<>("stamp",
              String.class, (payload, ctx) -> {
                started.put(payload, Instant.now());
                return payload;
              },
              new HandlerDefaults("default", 1, Backoff.fixed(Duration.ofSeconds(1)),
                  Duration.ofMinutes(1), List.of()))),
          new ObjectMapper()),
      workers, watchdog, Clock.systemUTC());

  @AfterAll
  static void stop() {
    workers.shutdownNow();
    watchdog.shutdownNow();
  }

  private static TaskSpec spec(String label, Instant runAt) {
    return new TaskSpec("stamp", "default", TextNode.valueOf(label), 0, runAt, 1,
        Backoff.fixed(Duration.ofSeconds(1)), Duration.ofMinutes(1), null, null, Map.of());
  }

  @Test
  void handlersStartNoEarlierThanTheirRunTime() {
    Instant base = Instant.now();
    List<HandlerRuntime.Attempt> attempts = new ArrayList<>();
    List<Instant> runTimes = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      Instant runAt = base.plusMillis(i * 3L); // some already past, most up to 120 ms ahead
      runTimes.add(runAt);
      attempts.add(runtime.start(TaskId.random("stamp"), spec("t" + i, runAt), 1, runAt));
    }
    for (int i = 0; i < attempts.size(); i++) {
      AttemptResult result = attempts.get(i).result().toCompletableFuture().join();
      assertEquals(AttemptOutcome.SUCCEEDED, result.outcome());
      Instant start = started.get("t" + i);
      assertFalse(start.isBefore(runTimes.get(i)),
          "t" + i + " started at " + start + ", before its run time " + runTimes.get(i));
    }
  }

  @Test
  void anAttemptCancelledWhileItWaitsForItsRunTimeNeverRuns() throws Exception {
    Instant runAt = Instant.now().plusMillis(200);
    HandlerRuntime.Attempt attempt =
        runtime.start(TaskId.random("stamp"), spec("cancelled", runAt), 1, runAt);
    attempt.cancel();
    assertEquals(AttemptOutcome.CANCELLED,
        attempt.result().toCompletableFuture().join().outcome());
    // its scheduled start comes and goes: the handler must not run
    watchdog.schedule(() -> { }, 300, java.util.concurrent.TimeUnit.MILLISECONDS).get();
    workers.submit(() -> { }).get();
    assertFalse(started.containsKey("cancelled"));
  }
}
