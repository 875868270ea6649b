package io.tasker.node;

import static io.tasker.node.Stages.failure;
import static io.tasker.node.Stages.join;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.typesafe.config.ConfigFactory;
import io.tasker.protocol.AttemptOutcome;
import io.tasker.protocol.Backoff;
import io.tasker.protocol.EnqueueRejectedException;
import io.tasker.protocol.EnqueueRequest;
import io.tasker.protocol.TaskId;
import io.tasker.protocol.TaskSpec;
import io.tasker.protocol.TaskStatus;
import io.tasker.protocol.TaskView;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The middleware chain on a real node (sharding, H2 journal). */
class MiddlewareNodeTest {
  private static final Duration PATIENCE = Duration.ofSeconds(30);
  static final TaskType<String> ECHO = TaskType.of("echo", String.class);
  static final TaskType<String> OTHER = TaskType.of("other", String.class);
  static final TaskType<String> FAILING = TaskType.of("failing", String.class);
  static final TaskType<String> SLOW = TaskType.of("slow", String.class);

  /** What happened to each task, by its payload. */
  static final Map<String, List<String>> SEEN = new ConcurrentHashMap<>();
  private static TaskerNode node;

  static void saw(String payload, String what) {
    SEEN.computeIfAbsent(payload, p -> Collections.synchronizedList(new ArrayList<>())).add(what);
  }

  static List<String> seen(String payload) {
    return List.copyOf(SEEN.getOrDefault(payload, List.of()));
  }

  /** Records its around calls, the ends of enqueues and the stored changes in its scope. */
  record Recording(String name) implements TaskMiddleware {
    @Override
    public void onEnqueued(TaskId taskId, TaskSpec task, Throwable failure) {
      saw(task.payload().asText(), name + " enqueued " + (failure == null ? taskId.value()
          : "failed " + failure.getClass().getSimpleName() + " id " + taskId));
    }

    @Override
    public Object around(Object payload, TaskContext context, Next next) throws Exception {
      saw((String) payload, name + ">");
      Object result = next.proceed();
      saw((String) payload, "<" + name);
      return result;
    }

    @Override
    public void onStateChange(StateChange change) {
      saw(change.task().payload().asText(), name + ":" + change.event());
    }

    @Override
    public void onDeadLetter(StateChange change) {
      saw(change.task().payload().asText(), name + ":dead-letter");
    }
  }

  @BeforeAll
  static void start() {
    node = TestJournals.h2(Tasker.builder(), "middleware")
        .config(ConfigFactory.parseString(String.join("\n",
                "tasker.task.keep-alive-window = 2s",
                "tasker.waker.lookahead = 1s"))
            .withFallback(ConfigFactory.load()))
        .handler(ECHO, (payload, context) -> {
          context.logger().info("handling {}", payload);
          saw(payload, "handler" + (context.metadata().containsKey("enriched") ? "+enriched" : "")
              + "@" + context.queue());
          return payload;
        })
        .handler(OTHER, (payload, context) -> {
          saw(payload, "handler");
          return payload;
        })
        .handler(FAILING, (payload, context) -> {
          throw new NonRetryableException("never works");
        })
        .handler(SLOW, (payload, context) -> {
          saw(payload, "started");
          new CountDownLatch(1).await(); // blocks until the timeout interrupts it
          return payload;
        })
        .middleware(new Recording("outer"))
        .middleware(new Recording("inner"))
        .middleware(MiddlewareScope.types("echo"), new TaskMiddleware() {
          @Override
          public TaskSpec onEnqueue(TaskSpec task) {
            if (task.payload().asText().startsWith("forbidden")) {
              throw new EnqueueRejectedException("payload '" + task.payload().asText()
                  + "' is not allowed");
            }
            return task.withMetadata("enriched", "yes");
          }
        })
        .middleware(MiddlewareScope.queues("old"), new TaskMiddleware() {
          @Override
          public TaskSpec onEnqueue(TaskSpec task) {
            return task.withQueue("new");
          }
        })
        .middleware(MiddlewareScope.queues("scoped"), new Recording("queue-scoped"))
        .middleware(MiddlewareScope.types("other"), new Recording("type-scoped"))
        .middleware(MiddlewareScope.queues("throwing"), new TaskMiddleware() {
          @Override
          public Object around(Object payload, TaskContext context, Next next) throws Exception {
            if (context.attempt() == 1) {
              throw new IllegalStateException("middleware broke attempt 1");
            }
            return next.proceed();
          }
        })
        .middleware(MiddlewareScope.queues("slow"), Middlewares.timeout(Duration.ofMillis(300)))
        .middleware(MiddlewareScope.queues("limited"), Middlewares.rateLimit(2, 1))
        .start();
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  private static TaskView run(TaskRequest<?> request) {
    return join(node.enqueueAndWait(request, PATIENCE));
  }

  @Test
  void middlewaresWrapTheHandlerInRegistrationOrderAndSeeEachChange() {
    TaskView done = run(ECHO.with("order"));
    assertEquals(TaskStatus.SUCCEEDED, done.status());
    await().atMost(PATIENCE).until(() -> seen("order").contains("inner:AttemptSucceeded"));
    List<String> seen = seen("order");
    assertEquals(List.of("outer>", "inner>", "handler+enriched@default", "<inner", "<outer"),
        seen.stream().filter(s -> !s.contains(":")).toList());
    assertEquals(List.of("outer:Enqueued", "outer:AttemptStarted", "outer:AttemptSucceeded"),
        seen.stream().filter(s -> s.startsWith("outer:")).toList());
  }

  @Test
  void aVetoRefusesTheEnqueueWithItsReason() {
    EnqueueRejectedException rejected =
        failure(EnqueueRejectedException.class, node.enqueue(ECHO.with("forbidden")));
    assertEquals("payload 'forbidden' is not allowed", rejected.reason());
    failure(EnqueueRejectedException.class, node.enqueueAll(List.of(
        EnqueueRequest.of("echo", Json.MAPPER.valueToTree("fine")),
        EnqueueRequest.of("echo", Json.MAPPER.valueToTree("forbidden-too")))));
    // "fine" was accepted, with an id, before its batch was refused: told, and never stored
    List<String> fine = seen("fine");
    assertEquals(2, fine.size(), fine.toString());
    assertTrue(fine.get(0).startsWith("outer enqueued failed EnqueueRejectedException id echo:"));
    assertTrue(fine.get(1).startsWith("inner enqueued failed EnqueueRejectedException id echo:"));
    assertEquals(List.of("outer enqueued failed EnqueueRejectedException id null",
        "inner enqueued failed EnqueueRejectedException id null"), seen("forbidden"));
  }

  @Test
  void onEnqueuedGetsTheStoredTasksId() {
    TaskId id = join(node.enqueue(ECHO.with("told").queue("old")));
    assertEquals("new", join(node.get(id)).spec().queue());
    assertEquals(List.of("outer enqueued " + id.value(), "inner enqueued " + id.value()),
        seen("told").stream().filter(s -> s.contains(" enqueued ")).toList());
  }

  @Test
  void anEnqueueHookRoutesToAnotherQueue() {
    TaskView done = run(ECHO.with("routed").queue("old"));
    assertEquals("new", done.spec().queue());
    assertTrue(seen("routed").contains("handler+enriched@new"), seen("routed").toString());
  }

  @Test
  void scopedMiddlewaresSeeOnlyTheirQueueOrType() {
    run(ECHO.with("in-scoped").queue("scoped"));
    run(ECHO.with("in-default"));
    run(OTHER.with("of-other"));
    assertTrue(seen("in-scoped").contains("queue-scoped>"), seen("in-scoped").toString());
    assertTrue(seen("in-default").stream().noneMatch(s -> s.contains("scoped")));
    assertTrue(seen("of-other").contains("type-scoped>"), seen("of-other").toString());
    assertTrue(seen("in-scoped").stream().noneMatch(s -> s.startsWith("type-scoped")));
  }

  @Test
  void aThrowingMiddlewareFailsTheAttemptAndTheTaskIsRetried() {
    TaskView done = run(ECHO.with("thrown-at").queue("throwing")
        .backoff(Backoff.fixed(Duration.ofMillis(100))));
    assertEquals(TaskStatus.SUCCEEDED, done.status());
    assertEquals(2, done.attempts());
    assertEquals(AttemptOutcome.FAILED, done.history().get(0).outcome());
    assertEquals(IllegalStateException.class.getName(), done.history().get(0).errorType());
  }

  @Test
  void theDeadLetterHookHearsOfADeadTask() {
    TaskView dead = run(FAILING.with("doomed"));
    assertEquals(TaskStatus.DEAD, dead.status());
    await().atMost(PATIENCE).until(() -> seen("doomed").contains("inner:dead-letter"));
    assertTrue(seen("doomed").contains("outer:DeadLettered"));
  }

  @Test
  void theTimeoutMiddlewareEndsAttemptsEarly() {
    TaskView dead = run(SLOW.with("too-slow").queue("slow").maxAttempts(1));
    assertEquals(TaskStatus.DEAD, dead.status());
    assertEquals(AttemptOutcome.TIMED_OUT, dead.lastAttempt().outcome());
    assertTrue(dead.lastAttempt().errorMessage().contains("PT0.3S"),
        dead.lastAttempt().errorMessage());
  }

  @Test
  void theRateLimitSpacesHandlerCalls() {
    List<String> labels = List.of("r1", "r2", "r3", "r4", "r5");
    List<TaskView> done = labels.stream()
        .map(label -> node.enqueue(OTHER.with(label).queue("limited")).toCompletableFuture())
        .toList().stream()
        .map(id -> join(node.result(id.join(), PATIENCE)))
        .toList();
    done.forEach(task -> assertEquals(TaskStatus.SUCCEEDED, task.status()));
    List<java.time.Instant> starts = done.stream()
        .map(task -> task.history().get(0).startedAt()).sorted().toList();
    List<java.time.Instant> ends = done.stream()
        .map(task -> task.history().get(0).finishedAt()).sorted().toList();
    // 2 a second with a burst of 1: the fifth handler call runs 2 s after the first at least
    Duration spread = Duration.between(starts.get(0), ends.get(4));
    assertTrue(spread.compareTo(Duration.ofMillis(1900)) >= 0, "spread " + spread);
  }

  @Test
  void aHandlersLogLinesCarryTheTaskInTheMdc() {
    Logger logger = (Logger) LoggerFactory.getLogger("io.tasker.handler.echo");
    ListAppender<ILoggingEvent> appender = new ListAppender<>();
    appender.start();
    logger.addAppender(appender);
    try {
      TaskView done = run(ECHO.with("logged").queue("mdc"));
      ILoggingEvent line = appender.list.stream()
          .filter(e -> e.getFormattedMessage().equals("handling logged")).findFirst()
          .orElseThrow();
      Map<String, String> mdc = line.getMDCPropertyMap();
      assertEquals(done.id().value(), mdc.get("taskId"));
      assertEquals("echo", mdc.get("taskType"));
      assertEquals("mdc", mdc.get("queue"));
      assertEquals("1", mdc.get("attempt"));
    } finally {
      logger.detachAppender(appender);
    }
  }
}
