package io.tasker.node.task;

import com.fasterxml.jackson.databind.JsonNode;
import io.tasker.node.NonRetryableException;
import io.tasker.node.TaskContext;
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

/**
 * Runs handler attempts with their timeout and cancellation. The cluster runs attempts on the
 * worker pool ({@link #start}); inline mode runs them in the caller's thread ({@link
 * #runHere}); both go through the same {@link Attempt}, so timeouts, interrupts and error
 * classification are one mechanism.
 */
public final class HandlerRuntime {
  private final HandlerRegistry registry;
  private final ExecutorService workers;
  private final ScheduledExecutorService watchdog;
  private final Clock clock;

  /**
   * @param registry the node's handlers
   * @param workers the pool attempts run on (never an actor's thread)
   * @param watchdog fires timeouts, and starts attempts recorded ahead of their run time
   * @param clock the time source of run times
   */
  public HandlerRuntime(HandlerRegistry registry, ExecutorService workers,
      ScheduledExecutorService watchdog, Clock clock) {
    this.registry = registry;
    this.workers = workers;
    this.watchdog = watchdog;
    this.clock = clock;
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
    Attempt running = new Attempt(id, spec, attempt);
    running.launch(notBefore);
    return running;
  }

  /** Runs an attempt in the calling thread and returns its result. */
  public AttemptResult runHere(TaskId id, TaskSpec spec, int attempt) {
    Attempt running = new Attempt(id, spec, attempt);
    running.run();
    return running.result().toCompletableFuture().join();
  }

  /** One attempt in flight: its result, and the means to cancel it. */
  public final class Attempt implements TaskContext {
    private final TaskId id;
    private final TaskSpec spec;
    private final int number;
    private final CompletableFuture<AttemptResult> result = new CompletableFuture<>();
    private volatile boolean cancelled;
    private Thread thread;

    private Attempt(TaskId id, TaskSpec spec, int number) {
      this.id = id;
      this.spec = spec;
      this.number = number;
    }

    /** @return completes once with the outcome: the handler's, a timeout or a cancellation */
    public CompletionStage<AttemptResult> result() {
      return result;
    }

    /** Signals cancellation to the handler and interrupts its thread. */
    public void cancel() {
      cancelled = true;
      complete(AttemptResult.cancelled());
      interrupt();
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
        complete(AttemptResult.failed(e, true));
      }
    }

    private void run() {
      if (result.isDone()) {
        return;
      }
      synchronized (this) {
        thread = Thread.currentThread();
      }
      ScheduledFuture<?> timeout =
          watchdog.schedule(this::timeOut, spec.timeout().toMillis(), TimeUnit.MILLISECONDS);
      try {
        complete(AttemptResult.succeeded(invoke(registry.get(spec.type()))));
      } catch (Throwable error) {
        complete(classify(error));
      } finally {
        timeout.cancel(false);
        synchronized (this) {
          thread = null;
        }
        Thread.interrupted(); // a late interrupt must not leak into the pooled thread's next task
      }
    }

    private <P> JsonNode invoke(HandlerRegistry.Registration<P> registration) throws Exception {
      P payload = registry.decode(registration, spec.payload());
      Object value = registration.handler().handle(payload, this);
      return registry.mapper().valueToTree(value);
    }

    private AttemptResult classify(Throwable error) {
      if (cancelled) {
        return AttemptResult.cancelled();
      }
      boolean retryable =
          !(error instanceof NonRetryableException)
              && !(error instanceof ValidationException)
              && !registry.get(spec.type()).defaults().isNonRetryable(error);
      return AttemptResult.failed(error, retryable);
    }

    private void timeOut() {
      cancelled = true;
      complete(AttemptResult.timedOut(spec.timeout()));
      interrupt();
    }

    private void complete(AttemptResult outcome) {
      result.complete(outcome);
    }

    private synchronized void interrupt() {
      if (thread != null) {
        thread.interrupt();
      }
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
