package io.tasker.node;

import io.tasker.protocol.EnqueueRejectedException;
import io.tasker.protocol.TaskId;
import io.tasker.protocol.TaskSpec;
import java.time.Instant;

/**
 * An interceptor around tasks, registered with {@link TaskerBuilder#middleware} (globally, per
 * queue or per task type) or as {@code tasker.middleware = [...]} in the configuration. Every
 * hook has a no-op default: implement only the ones needed.
 *
 * <p>Middlewares form one ordered chain, in registration order (the configured ones first, then
 * those of the builder): the first registered is the outermost. It sees an enqueue first, and
 * wraps all the others around an attempt, so it sees the attempt's result last.
 *
 * <p>A middleware that throws during an attempt fails that attempt as its handler would (retried
 * by the task's backoff unless the error is non-retryable): the task is never lost.
 */
public interface TaskMiddleware {

  /**
   * Called once per enqueue, before the task is stored (by the Java API, batches, the HTTP
   * gateway and schedules alike; not by {@link Tasker#validate}).
   *
   * @param task the task as it would be stored
   * @return the task to store: {@code task}, or a copy with more metadata ({@link
   *     TaskSpec#withMetadata}) or in another queue ({@link TaskSpec#withQueue})
   * @throws EnqueueRejectedException to refuse the task; nothing is stored and the caller gets
   *     the exception (HTTP 422)
   */
  default TaskSpec onEnqueue(TaskSpec task) {
    return task;
  }

  /**
   * Called once for every {@link #onEnqueue} that returned, when the enqueue is over: the task
   * is stored (or was already, under its idempotency key), or the enqueue failed, or a later
   * middleware refused the task. On the enqueuing node, from any thread; must be quick;
   * exceptions are logged and ignored.
   *
   * @param taskId the task's id, chosen after all middlewares' {@code onEnqueue} (it depends on
   *     the queue); {@code null} if the task was refused before an id was chosen
   * @param task the task as stored (or as it would have been)
   * @param failure why the enqueue failed, {@code null} if the task is stored
   */
  default void onEnqueued(TaskId taskId, TaskSpec task, Throwable failure) {}

  /**
   * Wraps an attempt: call {@code next.proceed()} to run the rest of the chain and the handler,
   * and return its result (or another one), or throw to fail the attempt.
   *
   * @param payload the decoded payload the handler will get
   * @param context the attempt (task id, type, queue, attempt number, metadata)
   */
  default Object around(Object payload, TaskContext context, Next next) throws Exception {
    return next.proceed();
  }

  /**
   * A stored change of a task (enqueued, attempt started, succeeded, failed, dead-lettered,
   * cancelled, rescheduled, requeued). An at-most-once notification, on the node hosting the
   * task when the change became durable (never on replay): a node that dies right after the
   * write does not call it. Runs on the task's actor thread: must be quick and never block
   * (hand slow work to an executor); exceptions are logged and ignored.
   */
  default void onStateChange(StateChange change) {}

  /**
   * The task failed for the last time (out of attempts or non-retryable): at-most-once, like
   * {@link #onStateChange}, which is called for it too.
   */
  default void onDeadLetter(StateChange change) {}

  /** The rest of the chain, ending in the handler. */
  @FunctionalInterface
  interface Next {
    /** @return the handler's result, as the inner middlewares passed it on */
    Object proceed() throws Exception;
  }

  /**
   * @param taskId the task
   * @param task the task as stored
   * @param event the change: {@code Enqueued}, {@code AttemptStarted}, {@code AttemptSucceeded},
   *     {@code AttemptFailed}, {@code DeadLettered}, {@code Cancelled}, {@code Rescheduled},
   *     {@code Requeued}
   * @param description the change in words, as the task's log line gives it
   * @param at when it was stored
   */
  record StateChange(TaskId taskId, TaskSpec task, String event, String description, Instant at) {}
}
