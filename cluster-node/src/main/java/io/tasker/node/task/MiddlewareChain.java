package io.tasker.node.task;

import io.tasker.node.MiddlewareScope;
import io.tasker.node.TaskContext;
import io.tasker.node.TaskMiddleware;
import io.tasker.protocol.TaskId;
import io.tasker.protocol.TaskSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's middlewares in order, each with its scope: what enqueues, attempts and stored
 * changes of both the cluster and inline mode pass through.
 */
public final class MiddlewareChain {
  private static final Logger log = LoggerFactory.getLogger(MiddlewareChain.class);

  /** No middleware. */
  public static final MiddlewareChain EMPTY = new MiddlewareChain(List.of());

  /** One registered middleware and the tasks it applies to. */
  public record Entry(MiddlewareScope scope, TaskMiddleware middleware) {}

  /**
   * A middleware that shortens attempts: the attempt's own timeout (its watchdog, interrupt and
   * held permit) then fires after the shorter of this and the task's timeout.
   */
  public interface AttemptTimeout {
    Duration after();
  }

  private final List<Entry> entries;

  public MiddlewareChain(List<Entry> entries) {
    this.entries = List.copyOf(entries);
  }

  public List<Entry> entries() {
    return entries;
  }

  /**
   * A task that passed the middlewares' {@code onEnqueue}, with the id it is to be stored under.
   * Whoever stores it calls {@link #done} once when the store is over.
   */
  public record Accepted(TaskId id, TaskSpec spec, List<TaskMiddleware> told) {
    /** Tells the middlewares that saw the task how its enqueue ended. */
    public void done(Throwable failure) {
      enqueued(told, id, spec, failure);
    }
  }

  /**
   * @return the task as the middlewares in scope passed it on (each sees it as the one before
   *     left it, so a scope matches the queue a task was routed to), and its id
   * @throws io.tasker.protocol.EnqueueRejectedException if one refused it (those before it are
   *     told by their {@code onEnqueued})
   */
  public Accepted onEnqueue(TaskSpec task) {
    List<TaskMiddleware> told = entries.isEmpty() ? List.of() : new ArrayList<>(entries.size());
    try {
      for (Entry entry : entries) {
        if (entry.scope().covers(task)) {
          TaskSpec changed = entry.middleware().onEnqueue(task);
          if (changed == null || !changed.type().equals(task.type())) {
            throw new IllegalStateException(entry.middleware().getClass().getName()
                + ".onEnqueue must return the task, possibly changed, but of the same type");
          }
          told.add(entry.middleware());
          // a middleware may have built its own spec: checked as the caller's was
          task = changed == task ? task : changed.validated();
        }
      }
      return new Accepted(idFor(task), task, told);
    } catch (RuntimeException refused) {
      enqueued(told, null, task, refused);
      throw refused;
    }
  }

  /**
   * The id a task is stored under: derived from its idempotency key (a repeat finds the stored
   * task) or fresh.
   */
  public static TaskId idFor(TaskSpec task) {
    return task.idempotencyKey() != null
        ? TaskId.forIdempotencyKey(task.type(), task.queue(), task.idempotencyKey())
        : TaskId.random(task.type());
  }

  private static void enqueued(
      List<TaskMiddleware> told, TaskId id, TaskSpec task, Throwable failure) {
    Throwable cause = failure instanceof java.util.concurrent.CompletionException
        && failure.getCause() != null ? failure.getCause() : failure;
    for (TaskMiddleware middleware : told) {
      try {
        middleware.onEnqueued(id, task, cause);
      } catch (RuntimeException e) {
        log.warn("middleware {} failed on the enqueue of task {}",
            middleware.getClass().getName(), id, e);
      }
    }
  }

  /** @return the attempt timeout of {@code task}: its own, or a shorter one of a middleware */
  public Duration timeout(TaskSpec task) {
    Duration timeout = task.timeout();
    for (Entry entry : entries) {
      if (entry.middleware() instanceof AttemptTimeout shorter && entry.scope().covers(task)
          && shorter.after().compareTo(timeout) < 0) {
        timeout = shorter.after();
      }
    }
    return timeout;
  }

  /** Runs {@code handler} inside the middlewares in scope of {@code task}, outermost first. */
  Object around(TaskSpec task, Object payload, TaskContext context, TaskMiddleware.Next handler)
      throws Exception {
    if (entries.isEmpty()) {
      return handler.proceed();
    }
    List<TaskMiddleware> applying = new ArrayList<>(entries.size());
    for (Entry entry : entries) {
      if (entry.scope().covers(task)) {
        applying.add(entry.middleware());
      }
    }
    return call(applying, 0, payload, context, handler);
  }

  private static Object call(List<TaskMiddleware> chain, int at, Object payload,
      TaskContext context, TaskMiddleware.Next handler) throws Exception {
    if (at == chain.size()) {
      return handler.proceed();
    }
    return chain.get(at).around(payload, context,
        () -> call(chain, at + 1, payload, context, handler));
  }

  /** Tells the middlewares in scope of a durable change; their failures are only logged. */
  public void recorded(TaskId id, TaskSpec task, TaskEntity.Event event) {
    if (entries.isEmpty() || event instanceof TaskEntity.LeaseExtended) {
      return; // a heartbeat, not a change of state
    }
    TaskMiddleware.StateChange change = new TaskMiddleware.StateChange(
        id, task, event.getClass().getSimpleName(), event.describe(), event.at());
    for (Entry entry : entries) {
      if (entry.scope().covers(task)) {
        try {
          entry.middleware().onStateChange(change);
          if (event instanceof TaskEntity.DeadLettered) {
            entry.middleware().onDeadLetter(change);
          }
        } catch (RuntimeException e) {
          log.warn("middleware {} failed on {} of task {}", entry.middleware().getClass().getName(),
              change.event(), id, e);
        }
      }
    }
  }

  /** @return {@code metrics}, also telling this chain of each durable change */
  public TaskMetrics listening(TaskMetrics metrics) {
    if (entries.isEmpty()) {
      return metrics;
    }
    return new TaskMetrics() {
      @Override
      public void recorded(TaskSpec spec, TaskEntity.Event event) {
        metrics.recorded(spec, event);
      }

      @Override
      public void recorded(TaskId id, TaskSpec spec, TaskEntity.Event event) {
        metrics.recorded(id, spec, event);
        MiddlewareChain.this.recorded(id, spec, event);
      }

      @Override
      public void ran(TaskSpec spec, Duration lateness, Duration execution,
          io.tasker.protocol.AttemptOutcome outcome) {
        metrics.ran(spec, lateness, execution, outcome);
      }
    };
  }
}
