package io.tasker.node.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.slf4j.LoggerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Attempts recorded ahead of their run time: the handler starts at it, never before. */
class HandlerRuntimeTest {
  private static final ExecutorService workers = Executors.newFixedThreadPool(4);
  private static final ScheduledExecutorService watchdog = Executors.newScheduledThreadPool(1);
  private static final Map<String, Instant> started = new ConcurrentHashMap<>();

  private static final HandlerDefaults DEFAULTS = new HandlerDefaults("default", 1,
      Backoff.fixed(Duration.ofSeconds(1)), Duration.ofMinutes(1), List.of());

  /**
   * A handler that ignores interrupts: it notes each one and goes on waiting until its test
   * lets it go (a blocking call that does not react to interrupts, as some client libraries do).
   */
  private static final class Stubborn {
    final CountDownLatch entered = new CountDownLatch(1);
    final CountDownLatch interrupted = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    final AtomicInteger runs = new AtomicInteger();
    final AtomicInteger running = new AtomicInteger();

    String handle(String payload) {
      runs.incrementAndGet();
      running.incrementAndGet();
      try {
        entered.countDown();
        while (true) {
          try {
            release.await();
            return payload;
          } catch (InterruptedException ignored) {
            interrupted.countDown(); // and wait on, as if nothing happened
          }
        }
      } finally {
        running.decrementAndGet();
      }
    }
  }

  private static final Map<String, Stubborn> stubborn = new ConcurrentHashMap<>();

  private static final HandlerRuntime runtime = new HandlerRuntime(
      new HandlerRegistry(Map.of(
          "stamp", new HandlerRegistry.Registration<>("stamp",
              String.class, (payload, ctx) -> {
                started.put(payload, Instant.now());
                return payload;
              }, DEFAULTS),
          "stubborn", new HandlerRegistry.Registration<>("stubborn",
              String.class, (payload, ctx) -> stubborn.get(payload).handle(payload), DEFAULTS)),
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

  /** Starts a stubborn handler now, with the given timeout, and waits until it runs. */
  private static HandlerRuntime.Attempt startStubborn(Stubborn handler, Duration timeout)
      throws InterruptedException {
    String label = "stubborn-" + stubborn.size();
    stubborn.put(label, handler);
    TaskSpec spec = new TaskSpec("stubborn", "default", TextNode.valueOf(label), 0,
        Instant.now(), 1, Backoff.fixed(Duration.ofSeconds(1)), timeout, null, null, Map.of());
    HandlerRuntime.Attempt attempt =
        runtime.start(TaskId.random("stubborn"), spec, 1, Instant.now());
    assertTrue(handler.entered.await(10, TimeUnit.SECONDS), "the handler started");
    return attempt;
  }

  /** Captures what HandlerRuntime logs. */
  private static ListAppender<ILoggingEvent> captureLog() {
    Logger logger = (Logger) LoggerFactory.getLogger(HandlerRuntime.class);
    ListAppender<ILoggingEvent> appender = new ListAppender<>();
    appender.start();
    logger.addAppender(appender);
    return appender;
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

  @Test
  void aTimedOutHandlerThatIgnoresItsInterruptFinishesOnlyWhenItsThreadReturns()
      throws Exception {
    Stubborn handler = new Stubborn();
    ListAppender<ILoggingEvent> logged = captureLog();
    HandlerRuntime.Attempt attempt = startStubborn(handler, Duration.ofMillis(100));
    CompletableFuture<AttemptResult> result = attempt.result().toCompletableFuture();

    // the timeout interrupts the handler, which carries on
    assertTrue(handler.interrupted.await(10, TimeUnit.SECONDS), "the timeout interrupted it");
    assertFalse(result.isDone(), "no outcome while the handler still runs");
    assertEquals(1, handler.running.get());
    attempt.cancel(); // a cancellation meanwhile changes nothing: the timeout came first
    assertFalse(result.isDone());

    handler.release.countDown();
    AttemptResult outcome = result.get(10, TimeUnit.SECONDS);
    assertEquals(AttemptOutcome.TIMED_OUT, outcome.outcome(), "its late success does not count");
    assertEquals(0, handler.running.get(), "reported only after the handler returned");
    assertEquals(1, handler.runs.get());
    ILoggingEvent warning = logged.list.stream()
        .filter(e -> e.getLevel() == Level.WARN
            && e.getFormattedMessage().contains(attempt.taskId().toString()))
        .findFirst().orElseThrow(() -> new AssertionError("no warning in " + logged.list));
    assertTrue(warning.getFormattedMessage().contains("timed out after PT0.1S"),
        warning.getFormattedMessage());
    assertTrue(warning.getFormattedMessage().matches(".*returned \\d+ ms after being interrupted.*"),
        warning.getFormattedMessage());
  }

  @Test
  void aCancelledHandlerThatIgnoresItsInterruptFinishesOnlyWhenItsThreadReturns()
      throws Exception {
    Stubborn handler = new Stubborn();
    HandlerRuntime.Attempt attempt = startStubborn(handler, Duration.ofMinutes(1));
    CompletableFuture<AttemptResult> result = attempt.result().toCompletableFuture();

    attempt.cancel();
    assertTrue(handler.interrupted.await(10, TimeUnit.SECONDS), "cancel interrupted it");
    assertTrue(attempt.isCancelled(), "the handler can see it");
    assertFalse(result.isDone(), "no outcome while the handler still runs");

    handler.release.countDown();
    assertEquals(AttemptOutcome.CANCELLED, result.get(10, TimeUnit.SECONDS).outcome());
    assertEquals(0, handler.running.get());
    assertEquals(1, handler.runs.get(), "started once");
  }
}
