package io.tasker.node.task;

import com.fasterxml.jackson.databind.JsonNode;
import io.tasker.node.NonRetryableException;
import io.tasker.node.TaskContext;
import io.tasker.protocol.AttemptOutcome;
import io.tasker.protocol.TaskId;
import io.tasker.protocol.TaskSpec;
import io.tasker.protocol.ValidationException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Runs handler attempts with their timeout and cancellation. The cluster runs attempts on the
 * worker pool ({@link #start}); inline mode runs them in the caller's thread ({@link
 * #runHere}); both go through the same {@link Attempt}, so timeouts, interrupts and error
 * classification are one mechanism.
 */
public final class HandlerRuntime {
  private static final Logger log = LoggerFactory.getLogger(HandlerRuntime.class);
  /** A cancelled handler that takes longer than this to return is reported. */
  private static final Duration SLOW_STOP = Duration.ofSeconds(1);

  private enum Stage {
    WAITING,
    RUNNING,
    DONE
  }

  private final HandlerRegistry registry;
  private final ExecutorService workers;
  private final ScheduledExecutorService watchdog;
  private final Clock clock;
  private final TaskMetrics metrics;

  /** A runtime that records no metrics (tests, inline mode). */
  public HandlerRuntime(HandlerRegistry registry, ExecutorService workers,
      ScheduledExecutorService watchdog, Clock clock) {
    this(registry, workers, watchdog, clock, TaskMetrics.NONE);
  }

  /**
   * @param registry the node's handlers
   * @param workers the pool attempts run on (never an actor's thread)
   * @param watchdog fires timeouts, and starts attempts recorded ahead of their run time
   * @param clock the time source of run times
   * @param metrics where each run's lateness and duration go
   */
  public HandlerRuntime(HandlerRegistry registry, ExecutorService workers,
      ScheduledExecutorService watchdog, Clock clock, TaskMetrics metrics) {
    this.registry = registry;
    this.workers = workers;
    this.watchdog = watchdog;
    this.clock = clock;
    this.metrics = metrics;
  }

  /** @return true if this node has a handler for {@code type} */
  public boolean handles(String type) {
    return registry.types().contains(type);
  }

  public HandlerRegistry registry() {
    return registry;
  }

  /**
   * Starts an attempt on the worker pool at {@code notBefore}, or at once if that has passed.
   * Attempts are recorded a little ahead of their run time; the watchdog's scheduler, finer
   * than actor timers, then starts the handler on the dot.
   */
  public Attempt start(TaskId id, TaskSpec spec, int attempt, Instant notBefore) {
    Attempt running = new Attempt(id, spec, attempt, notBefore);
    running.launch(notBefore);
    return running;
  }

  /** Runs an attempt in the calling thread and returns its result. */
  public AttemptResult runHere(TaskId id, TaskSpec spec, int attempt) {
    Attempt running = new Attempt(id, spec, attempt, clock.instant());
    running.run();
    return running.result().toCompletableFuture().join();
  }

  /**
   * One attempt in flight: its result, and the means to cancel it.
   *
   * <p>Its result completes once its handler's thread has returned (or it never started): a
   * timeout or a cancellation interrupts the thread, and the attempt keeps counting as running
   * (its task's permit and lease stay held) until the handler gives the thread back. So a handler
   * that ignores interrupts cannot take its queue over its concurrency limit, and its task is
   * never started again while it still runs.
   */
  public final class Attempt implements TaskContext {
    private final TaskId id;
    private final TaskSpec spec;
    private final int number;
    private final Instant runAt;
    private final Duration timeout;
    private final CompletableFuture<AttemptResult> result = new CompletableFuture<>();
    private volatile boolean cancelled;
    // guarded by this
    private Stage stage = Stage.WAITING;
    private Thread thread;
    private AttemptResult stoppedBy;
    private long stoppedAtNanos;

    private Attempt(TaskId id, TaskSpec spec, int number, Instant runAt) {
      this.id = id;
      this.spec = spec;
      this.number = number;
      this.runAt = runAt;
      this.timeout = registry.middleware().timeout(spec);
    }

    /**
     * @return completes once with the outcome: the handler's, or a timeout or cancellation, the
     *     latter two once the handler's thread has returned
     */
    public CompletionStage<AttemptResult> result() {
      return result;
    }

    /** Signals cancellation to the handler and interrupts its thread. */
    public void cancel() {
      stop(AttemptResult.cancelled());
    }

    private void timeOut() {
      stop(AttemptResult.timedOut(timeout));
    }

    /** The first of a timeout and a cancellation decides the outcome; the handler's is dropped. */
    private void stop(AttemptResult outcome) {
      synchronized (this) {
        if (stage == Stage.DONE || stoppedBy != null) {
          return;
        }
        cancelled = true;
        stoppedBy = outcome;
        stoppedAtNanos = System.nanoTime();
        if (stage == Stage.RUNNING) {
          thread.interrupt(); // the result follows when the handler returns
          return;
        }
        stage = Stage.DONE; // never started, and now never will
      }
      result.complete(outcome);
    }

    private void launch(Instant notBefore) {
      long early = Duration.between(clock.instant(), notBefore).toNanos();
      try {
        if (result.isDone()) {
          return; // cancelled while waiting
        } else if (early > 0) { // checked again when it fires: never before the run time
          watchdog.schedule(() -> launch(notBefore), early, TimeUnit.NANOSECONDS);
        } else {
          workers.execute(this::run);
        }
      } catch (java.util.concurrent.RejectedExecutionException e) {
        synchronized (this) {
          if (stage != Stage.WAITING) {
            return;
          }
          stage = Stage.DONE;
        }
        result.complete(AttemptResult.failed(e, true));
      }
    }

    private void run() {
      synchronized (this) {
        if (stage != Stage.WAITING) {
          return; // cancelled before it started
        }
        stage = Stage.RUNNING;
        thread = Thread.currentThread();
      }
      Duration lateness = Duration.between(runAt, clock.instant());
      long startedNanos = System.nanoTime();
      ScheduledFuture<?> timer =
          watchdog.schedule(this::timeOut, timeout.toMillis(), TimeUnit.MILLISECONDS);
      AttemptResult outcome;
      Map<String, String> mdcBefore = MDC.getCopyOfContextMap();
      try {
        MDC.put("taskId", id.value());
        MDC.put("taskType", spec.type());
        MDC.put("queue", spec.queue());
        MDC.put("attempt", Integer.toString(number));
        outcome = AttemptResult.succeeded(invoke(registry.get(spec.type())));
      } catch (Throwable error) {
        outcome = classify(error);
      } finally {
        timer.cancel(false);
        if (mdcBefore == null) {
          MDC.clear();
        } else {
          MDC.setContextMap(mdcBefore); // inline mode runs in the caller's thread
        }
      }
      AttemptResult stopped;
      long overranNanos;
      synchronized (this) {
        stage = Stage.DONE;
        thread = null;
        stopped = stoppedBy;
        overranNanos = System.nanoTime() - stoppedAtNanos;
      }
      Thread.interrupted(); // a late interrupt must not leak into the pooled thread's next task
      if (stopped != null) {
        reportOverrun(stopped, Duration.ofNanos(overranNanos));
        outcome = stopped;
      }
      metrics.ran(spec, lateness, Duration.ofNanos(System.nanoTime() - startedNanos),
          outcome.outcome());
      result.complete(outcome);
    }

    private void reportOverrun(AttemptResult stopped, Duration overran) {
      if (stopped.outcome() == AttemptOutcome.TIMED_OUT) {
        log.warn("task {} ({}, attempt {}) timed out after {}; its handler returned {} ms after"
                + " being interrupted, holding its queue's permit until then",
            id, spec.type(), number, timeout, overran.toMillis());
      } else if (overran.compareTo(SLOW_STOP) >= 0) {
        log.warn("task {} ({}, attempt {}) was cancelled; its handler returned {} ms after being"
                + " interrupted, holding its queue's permit until then",
            id, spec.type(), number, overran.toMillis());
      }
    }

    private <P> JsonNode invoke(HandlerRegistry.Registration<P> registration) throws Exception {
      P payload = registry.decode(registration, spec.payload());
      Object value = registry.middleware().around(spec, payload, this,
          () -> registration.handler().handle(payload, this));
      return registry.mapper().valueToTree(value);
    }

    private AttemptResult classify(Throwable error) {
      boolean retryable =
          !(error instanceof NonRetryableException)
              && !(error instanceof ValidationException)
              && !registry.get(spec.type()).defaults().isNonRetryable(error);
      return AttemptResult.failed(error, retryable);
    }

    @Override
    public TaskId taskId() {
      return id;
    }

    @Override
    public String type() {
      return spec.type();
    }

    @Override
    public String queue() {
      return spec.queue();
    }

    @Override
    public int attempt() {
      return number;
    }

    @Override
    public int maxAttempts() {
      return spec.maxAttempts();
    }

    @Override
    public Map<String, String> metadata() {
      return spec.metadata();
    }

    @Override
    public boolean isCancelled() {
      return cancelled;
    }

    @Override
    public Logger logger() {
      return LoggerFactory.getLogger("io.tasker.handler." + spec.type());
    }
  }
}
