package io.tasker.node.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.TextNode;
import io.tasker.node.task.TaskEntity.AttemptFailed;
import io.tasker.node.task.TaskEntity.AttemptStarted;
import io.tasker.node.task.TaskEntity.AttemptSucceeded;
import io.tasker.node.task.TaskEntity.Cancelled;
import io.tasker.node.task.TaskEntity.DeadLettered;
import io.tasker.node.task.TaskEntity.Event;
import io.tasker.node.task.TaskEntity.Requeued;
import io.tasker.node.task.TaskEntity.Rescheduled;
import io.tasker.node.task.TaskEntity.State;
import io.tasker.protocol.AttemptOutcome;
import io.tasker.protocol.AttemptRecord;
import io.tasker.protocol.Backoff;
import io.tasker.protocol.TaskId;
import io.tasker.protocol.TaskSpec;
import io.tasker.protocol.TaskStateConflictException;
import io.tasker.protocol.TaskStatus;
import io.tasker.protocol.TaskerException;
import io.tasker.protocol.Validation;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.statistics.StatisticsReport;

/**
 * Random lives of one task, driven through the pure {@link TaskEntity.State} the entity and
 * inline mode share: a spec with a random attempt budget and backoff, then a random sequence of
 * starts, outcomes, cancels, reschedules, re-runs and clock advances. Each decision
 * is taken where the state allows it; a rejection must be a {@link TaskerException} that
 * changes nothing, and the invariants are checked after every event.
 *
 * <p>Starts are made as the entity makes them: recorded at the run time when that is ahead (the
 * handler waits for it), so an attempt never finishes before its run time.
 */
class TaskStatePropertiesTest {
  private static final TaskId ID = TaskId.of("work:props");
  private static final Instant T0 = Instant.parse("2026-03-01T09:00:00Z");
  private static final String NODE = "node-1";

  // Steps of a task's life, as generated

  sealed interface Step {}

  /** The clock moves on. */
  record Wait(Duration time) implements Step {}

  /** The task's timer fired and its queue granted a permit. */
  record Start(Duration lease) implements Step {}

  /** The running attempt reports; {@code random} feeds the backoff's jitter. */
  record Finish(Outcome outcome, double random) implements Step {}

  record Cancel() implements Step {}

  /** @param shift the new run time relative to now, or null to keep it */
  record Reschedule(Duration shift, Integer priority) implements Step {}

  record Requeue() implements Step {}

  enum Outcome {
    SUCCESS,
    RETRYABLE_FAILURE,
    NON_RETRYABLE_FAILURE,
    TIMEOUT,
    LOST
  }

  record Life(TaskSpec spec, List<Step> steps) {}

  @Provide
  Arbitrary<Life> lives() {
    return Combinators.combine(specs(), steps().list().ofMaxSize(80)).as(Life::new);
  }

  private static Arbitrary<TaskSpec> specs() {
    Arbitrary<Integer> maxAttempts = Arbitraries.frequencyOf(
        Tuple.of(8, Arbitraries.integers().between(1, 5)),
        Tuple.of(1, Arbitraries.integers().between(1, Validation.MAX_ATTEMPTS)));
    Arbitrary<Duration> runAtShift = seconds(-3_600, 3_600);
    Arbitrary<Integer> priority =
        Arbitraries.integers().between(Validation.MIN_PRIORITY, Validation.MAX_PRIORITY);
    return Combinators.combine(maxAttempts, runAtShift, priority, backoffs())
        .as((attempts, shift, prio, backoff) -> new TaskSpec("work", "default",
            TextNode.valueOf("payload"), prio, T0.plus(shift), attempts, backoff,
            Duration.ofMinutes(5), null, null, Map.of()));
  }

  private static Arbitrary<Backoff> backoffs() {
    return Combinators.combine(
            Arbitraries.of(Backoff.Kind.class),
            seconds(0, 600),
            seconds(0, 86_400),
            Arbitraries.doubles().between(1.0, 100.0),
            Arbitraries.doubles().between(0.0, 1.0))
        .as((kind, initial, extra, factor, jitter) ->
            new Backoff(kind, initial, factor, initial.plus(extra), jitter));
  }

  private static Arbitrary<Step> steps() {
    Arbitrary<Duration> lease = seconds(1, 120);
    return Arbitraries.frequencyOf(
        Tuple.of(4, seconds(0, 7_200).map(Wait::new)),
        Tuple.of(5, lease.map(Start::new)),
        Tuple.of(6, Combinators.combine(
                Arbitraries.of(Outcome.class), Arbitraries.doubles().between(0.0, true, 1.0, false))
            .as(Finish::new)),
        Tuple.of(1, Arbitraries.just(new Cancel())),
        Tuple.of(2, Combinators.combine(
                seconds(-3_600, 3_600).injectNull(0.3),
                // a few out of range: the decision must reject them
                Arbitraries.integers().between(-1_100, 1_100).injectNull(0.5))
            .as(Reschedule::new)),
        Tuple.of(2, Arbitraries.just(new Requeue())));
  }

  private static Arbitrary<Duration> seconds(long min, long max) {
    return Arbitraries.longs().between(min, max).map(Duration::ofSeconds);
  }

  // Properties

  @Property(tries = 1000)
  @StatisticsReport(onFailureOnly = true)
  void keepsItsInvariantsThroughAnyLife(@ForAll("lives") Life life) {
    Run run = new Run(life.spec());
    life.steps().forEach(run::take);

    Statistics.label("final status").collect(run.state.status());
    Statistics.label("reached").collect(run.requeued ? "requeued" : "never requeued");
    Statistics.label("final status").coverage(coverage -> {
      // the generator must reach every status, or the invariants are checked in vain
      for (TaskStatus status : TaskStatus.values()) {
        coverage.check(status).count(count -> count > 0);
      }
    });
  }

  @Property(tries = 500)
  void replayingItsEventsRebuildsTheSameState(@ForAll("lives") Life life) {
    Run run = new Run(life.spec());
    life.steps().forEach(run::take);

    State replayed = State.empty(ID);
    for (Event event : run.events) {
      replayed = replayed.apply(event);
    }
    assertEquals(run.state, replayed);
  }

  /** One task's life: the state, the events it produced, and what the invariants remember. */
  private static final class Run {
    private final TaskSpec spec;
    private final List<Event> events = new ArrayList<>();
    private State state = State.empty(ID);
    private Instant clock = T0;
    private int started;
    private int finished;
    private boolean requeued;
    // the run time last seen while SCHEDULED
    private Instant scheduledRunAt;

    Run(TaskSpec spec) {
      this.spec = spec;
      record(state.accept(spec, clock));
    }

    void take(Step step) {
      if (step instanceof Wait wait) {
        clock = clock.plus(wait.time());
        return;
      }
      State before = state;
      boolean allowed = allowed(step, before);
      Event event;
      try {
        event = decide(step, before);
      } catch (TaskerException rejected) {
        assertFalse(allowed, () -> "rejected " + step + " while " + before.status() + ": "
            + rejected.getMessage());
        assertEquals(before, state, "a rejection changes nothing");
        return;
      }
      assertTrue(allowed, () -> "accepted " + step + " while " + before.status());
      if (step instanceof Start) {
        clock = event.at(); // the handler starts at the recorded time
      }
      record(event);
    }

    /** @return whether {@code step}'s decision may be taken in {@code state} */
    private static boolean allowed(Step step, State state) {
      TaskStatus status = state.status();
      if (step instanceof Start) {
        return status == TaskStatus.SCHEDULED;
      } else if (step instanceof Finish) {
        return status == TaskStatus.RUNNING;
      } else if (step instanceof Cancel) {
        return !status.isTerminal();
      } else if (step instanceof Reschedule reschedule) {
        Integer priority = reschedule.priority();
        return status == TaskStatus.SCHEDULED
            && (priority == null
                || (priority >= Validation.MIN_PRIORITY && priority <= Validation.MAX_PRIORITY));
      } else if (step instanceof Requeue) {
        return status == TaskStatus.DEAD;
      }
      throw new IllegalArgumentException("unknown step " + step);
    }

    private Event decide(Step step, State state) {
      if (step instanceof Start start) {
        Instant startAt = clock.isBefore(state.runAt()) ? state.runAt() : clock;
        return state.start(NODE, startAt, start.lease());
      } else if (step instanceof Finish finish) {
        return state.finish(result(finish.outcome(), state), clock, finish::random);
      } else if (step instanceof Cancel) {
        return state.cancel(clock);
      } else if (step instanceof Reschedule reschedule) {
        Instant runAt = reschedule.shift() == null ? null : clock.plus(reschedule.shift());
        return state.reschedule(runAt, reschedule.priority(), clock);
      } else if (step instanceof Requeue) {
        return state.requeue(clock);
      }
      throw new IllegalArgumentException("unknown step " + step);
    }

    private AttemptResult result(Outcome outcome, State state) {
      return switch (outcome) {
        case SUCCESS -> AttemptResult.succeeded(TextNode.valueOf("done"));
        case RETRYABLE_FAILURE -> AttemptResult.failed(new IllegalStateException("flaky"), true);
        case NON_RETRYABLE_FAILURE ->
            AttemptResult.failed(new IllegalArgumentException("never works"), false);
        case TIMEOUT -> AttemptResult.timedOut(spec.timeout());
        case LOST -> AttemptResult.lost(state.lastNode());
      };
    }

    private void record(Event event) {
      State before = state;
      State after = before.apply(event);
      events.add(event);
      state = after;
      check(before, event, after);
    }

    private void check(State before, Event event, State after) {
      assertTrue(after.attempts() >= before.attempts(), "attempts never decrease");
      checkTerminalStaysTerminal(before, event, after);
      checkOneOutcomePerAttempt(before, event, after);
      checkHistory(after);
      checkBudget(event, after);
      checkRunAt(before, event, after);
      if (after.status().isTerminal()) {
        assertThrows(TaskStateConflictException.class,
            () -> after.start(NODE, clock, Duration.ofSeconds(30)),
            "a " + after.status() + " task never starts");
      }
    }

    private void checkTerminalStaysTerminal(State before, Event event, State after) {
      if (before.exists() && before.status().isTerminal() && after.status() != before.status()) {
        assertEquals(TaskStatus.DEAD, before.status(), "only a DEAD task leaves its end");
        assertTrue(event instanceof Requeued, "a DEAD task leaves it only by a re-run");
        assertEquals(TaskStatus.SCHEDULED, after.status());
      }
      if (event instanceof Requeued) {
        requeued = true;
      }
    }

    private void checkOneOutcomePerAttempt(State before, Event event, State after) {
      if (event instanceof AttemptStarted e) {
        started++;
        assertEquals(before.attempts() + 1, e.attempt(), "attempts are numbered in turn");
      } else if (event instanceof AttemptSucceeded e) {
        finished++;
        assertEquals(before.attempts(), e.attempt(), "the outcome is the running attempt's");
      } else if (event instanceof AttemptFailed e) {
        finished++;
        assertEquals(before.attempts(), e.attempt(), "the outcome is the running attempt's");
      } else if (event instanceof DeadLettered e) {
        finished++;
        assertEquals(before.attempts(), e.attempt(), "the outcome is the running attempt's");
      } else if (event instanceof Cancelled && before.status() == TaskStatus.RUNNING) {
        finished++;
      }
      int open = after.status() == TaskStatus.RUNNING ? 1 : 0;
      assertEquals(started, finished + open,
          "each started attempt has exactly one outcome (or runs)");
    }

    private void checkHistory(State after) {
      List<AttemptRecord> history = after.history();
      assertEquals(after.attempts(), history.size(), "one history record per attempt");
      for (int i = 0; i < history.size(); i++) {
        AttemptRecord attempt = history.get(i);
        assertEquals(i + 1, attempt.number());
        boolean last = i == history.size() - 1;
        boolean mayRun = last && after.status() == TaskStatus.RUNNING;
        assertEquals(mayRun, attempt.inProgress(),
            "only the last attempt is in progress, and only while RUNNING: " + history);
        if (!attempt.inProgress()) {
          assertFalse(attempt.finishedAt().isBefore(attempt.startedAt()),
              "an attempt ends after it starts: " + attempt);
        }
      }
      if (after.status() != TaskStatus.RUNNING) {
        assertNull(after.leaseUntil(), "only a running attempt holds a lease");
      }
    }

    private void checkBudget(Event event, State after) {
      int used = after.attempts() - after.attemptBase();
      assertTrue(used >= 0 && used <= spec.maxAttempts(),
          "attempts since the last re-run stay within maxAttempts: " + used);
      if (event instanceof DeadLettered e) {
        assertTrue(!e.failure().retryable() || used >= spec.maxAttempts(),
            "DEAD only after a non-retryable error or with the budget used: " + e);
      } else if (event instanceof AttemptFailed e) {
        assertTrue(e.failure().retryable() && used < spec.maxAttempts(),
            "a retry only after a retryable error with attempts left: " + e);
      }
    }

    private void checkRunAt(State before, Event event, State after) {
      if (event instanceof AttemptFailed e) {
        if (e.failure().outcome() == AttemptOutcome.LOST) {
          assertEquals(before.runAt(), e.retryAt(), "a lost attempt keeps its place in the queue");
        } else {
          assertFalse(e.retryAt().isBefore(e.at()), "a retry is never before the failure: " + e);
          assertFalse(e.retryAt().isAfter(e.at().plus(spec.backoff().maxDelay())),
              "a retry waits at most the backoff's maxDelay: " + e);
        }
      }
      if (after.status() == TaskStatus.SCHEDULED) {
        boolean moved = event instanceof Rescheduled || event instanceof Requeued;
        if (scheduledRunAt != null && !moved) {
          assertFalse(after.runAt().isBefore(scheduledRunAt),
              "a scheduled run time moves earlier only by reschedule or re-run: "
                  + scheduledRunAt + " -> " + after.runAt() + " by " + event);
        }
        scheduledRunAt = after.runAt();
      }
    }
  }

}
