package io.tasker.node;

import static io.tasker.node.Stages.join;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tasker.protocol.AttemptOutcome;
import io.tasker.protocol.EnqueueRejectedException;
import io.tasker.protocol.TaskId;
import io.tasker.protocol.TaskSpec;
import io.tasker.protocol.TaskStatus;
import io.tasker.protocol.TaskView;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/** {@code tasker.middleware} builds the chain, here in inline mode (the same chain as a node's). */
class MiddlewareConfigTest {
  private static final TaskType<String> ECHO = TaskType.of("echo", String.class);
  static final List<String> CALLS = Collections.synchronizedList(new ArrayList<>());

  /** A configured middleware, given its entry. */
  public static final class Marking implements TaskMiddleware {
    private final String mark;

    public Marking(Config entry) {
      this.mark = entry.getString("mark");
    }

    @Override
    public Object around(Object payload, TaskContext context, Next next) throws Exception {
      CALLS.add(mark + ":" + payload);
      return next.proceed();
    }
  }

  private static InlineTasker inline(String middleware, SimpleMeterRegistry meters) {
    return Tasker.builder()
        .config(ConfigFactory.parseString("tasker.middleware = " + middleware)
            .withFallback(ConfigFactory.load()))
        .meterRegistry(meters)
        .handler(ECHO, (payload, context) -> {
          CALLS.add("handler:" + payload);
          return payload;
        })
        .middleware(new TaskMiddleware() {
          @Override
          public Object around(Object payload, TaskContext context, Next next) throws Exception {
            CALLS.add("builder:" + payload);
            return next.proceed();
          }
        })
        .startInline();
  }

  @Test
  void theConfiguredChainRunsInOrderBeforeTheBuildersOwn() {
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    String chain = "[{class = \"" + Marking.class.getName() + "\", mark = first},"
        + " {use = logging, level = DEBUG, payload = true},"
        + " {use = metrics},"
        + " {use = rate-limit, per-second = 100},"
        + " {use = timeout, after = 100ms, types = [slow]},"
        + " {class = \"" + Marking.class.getName() + "\", mark = scoped, queues = [special]}]";
    try (InlineTasker tasker = inline(chain, meters)) {
      CALLS.clear();
      TaskId id = join(tasker.enqueue(ECHO.with("a")));
      assertEquals(TaskStatus.SUCCEEDED, join(tasker.get(id)).status());
      assertEquals(List.of("first:a", "builder:a", "handler:a"), List.copyOf(CALLS));
      CALLS.clear();
      join(tasker.enqueue(ECHO.with("b").queue("special")));
      assertEquals(List.of("first:b", "scoped:b", "builder:b", "handler:b"), List.copyOf(CALLS));
      assertEquals(1, meters.get("tasker.middleware.handler")
          .tags("type", "echo", "queue", "special", "outcome", "succeeded").timer().count());
    }
  }

  @Test
  void aConfiguredTimeoutShortensTheAttempt() {
    TaskType<String> slow = TaskType.of("slow", String.class);
    try (InlineTasker tasker = Tasker.builder()
        .config(ConfigFactory.parseString("tasker.middleware = [{use = timeout, after = 200ms}]")
            .withFallback(ConfigFactory.load()))
        .handler(slow, (payload, context) -> {
          new CountDownLatch(1).await(); // blocks until the timeout interrupts it
          return payload;
        }, h -> h.maxAttempts(1))
        .startInline()) {
      TaskView dead = join(tasker.get(join(tasker.enqueue(slow.with("x")))));
      assertEquals(TaskStatus.DEAD, dead.status());
      assertEquals(AttemptOutcome.TIMED_OUT, dead.lastAttempt().outcome());
    }
  }

  @Test
  void aBadEntryIsReportedWithItsPlace() {
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    ConfigException unknown = assertThrows(ConfigException.class,
        () -> inline("[{use = metrics}, {use = nonsense}]", meters));
    assertTrue(unknown.getMessage().contains("tasker.middleware[1].use"), unknown.getMessage());
    ConfigException noClass = assertThrows(ConfigException.class,
        () -> inline("[{class = com.acme.Missing}]", meters));
    assertTrue(noClass.getMessage().contains("no class com.acme.Missing"), noClass.getMessage());
    ConfigException noAfter = assertThrows(ConfigException.class,
        () -> inline("[{use = timeout}]", meters));
    assertTrue(noAfter.getMessage().contains("tasker.middleware[0]"), noAfter.getMessage());
  }

  @Test
  void inlineModeTellsOfChangesAndARefusedFiringCreatesNoTask() {
    SettableClock clock = SettableClock.startingNow();
    List<String> changes = Collections.synchronizedList(new ArrayList<>());
    try (InlineTasker tasker = Tasker.builder().clock(clock)
        .handler(ECHO, (payload, context) -> payload)
        .middleware(new TaskMiddleware() {
          @Override
          public TaskSpec onEnqueue(TaskSpec task) {
            if (task.payload().asText().equals("no")) {
              throw new EnqueueRejectedException("not this one");
            }
            return task;
          }

          @Override
          public void onStateChange(StateChange change) {
            changes.add(change.event());
          }
        })
        .startInline()) {
      join(tasker.enqueue(ECHO.with("yes")));
      assertEquals(List.of("Enqueued", "AttemptStarted", "AttemptSucceeded"), List.copyOf(changes));
      join(tasker.schedule("refused").every(java.time.Duration.ofMinutes(5))
          .task(ECHO, "no").upsert());
      clock.advance(java.time.Duration.ofMinutes(5));
      tasker.runDue();
      ScheduleView schedule = join(tasker.getSchedule("refused"));
      assertEquals(null, schedule.lastTask());
      assertEquals(1, join(tasker.list(io.tasker.protocol.TaskQuery.all())).tasks().size());
    }
  }
}
