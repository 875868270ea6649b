package io.tasker.node;


import io.tasker.protocol.QueueStats;
import io.tasker.node.ScheduleSpec;
import io.tasker.node.ScheduleView;
import io.tasker.protocol.ClusterView;
import io.tasker.protocol.EnqueueRequest;
import io.tasker.protocol.QueueCounts;
import io.tasker.protocol.QueueLimits;
import io.tasker.protocol.QueueUpdate;
import io.tasker.protocol.ScheduleNotFoundException;
import io.tasker.protocol.TaskId;
import io.tasker.protocol.TaskPage;
import io.tasker.protocol.TaskQuery;
import io.tasker.protocol.TaskSpec;
import io.tasker.protocol.TaskView;
import io.tasker.protocol.ValidationException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The embedded entry point: enqueue tasks and manage them. Made by {@link #builder()}.
 *
 * <p>Every operation answers asynchronously. Failures complete the stage exceptionally with a
 * {@link io.tasker.protocol.TaskerException}: {@link io.tasker.protocol.ValidationException} for
 * bad input (nothing stored), {@link io.tasker.protocol.TaskNotFoundException}, or {@link
 * io.tasker.protocol.TaskStateConflictException} when the task's status forbids the operation.
 */
public interface Tasker extends AutoCloseable {

  /** @return a builder for a node (or an inline instance) */
  static TaskerBuilder builder() {
    return new TaskerBuilder();
  }

  /**
   * Enqueues a typed task.
   *
   * @param request made by {@link TaskType#with(Object)}
   * @return the task's id, once the task is durable
   */
  default <P> CompletionStage<TaskId> enqueue(TaskRequest<P> request) {
    return enqueue(request.toEnqueueRequest(Json.MAPPER)).thenApply(result -> result.task().id());
  }

  /**
   * Enqueues a task described in JSON terms (the form the HTTP gateway uses).
   *
   * @param request the request; fields left {@code null} take the defaults
   * @return the stored task, and whether this call created it
   */
  CompletionStage<EnqueueResult> enqueue(EnqueueRequest request);

  /**
   * Checks a request as {@link #enqueue(EnqueueRequest)} would, storing nothing.
   *
   * @return the task as it would be stored
   * @throws ValidationException naming the first offending field
   */
  TaskSpec validate(EnqueueRequest request);

  /**
   * Checks requests as {@link #enqueueAll} would, storing nothing.
   *
   * @return the tasks as they would be stored, in the order of the requests
   * @throws ValidationException naming the first offending request and field ({@code
   *     tasks[3].payload})
   */
  default List<TaskSpec> validateAll(List<EnqueueRequest> requests) {
    List<TaskSpec> specs = new java.util.ArrayList<>(requests.size());
    for (int i = 0; i < requests.size(); i++) {
      try {
        specs.add(validate(requests.get(i)));
      } catch (ValidationException invalid) {
        throw new ValidationException("tasks[" + i + "]." + invalid.field(), invalid.reason());
      }
    }
    return specs;
  }

  /**
   * Enqueues several tasks. Validation is all-or-nothing: if any request is invalid, none is
   * stored and the error names it ({@code tasks[3].payload}). Acceptance is then per task: if
   * the cluster fails midway, some may be stored; give them idempotency keys to retry safely.
   *
   * @return the results, in the order of the requests
   */
  default CompletionStage<List<EnqueueResult>> enqueueAll(List<EnqueueRequest> requests) {
    try {
      validateAll(requests);
    } catch (ValidationException invalid) {
      return CompletableFuture.failedFuture(invalid);
    }
    List<CompletableFuture<EnqueueResult>> results =
        requests.stream().map(r -> enqueue(r).toCompletableFuture()).toList();
    return CompletableFuture.allOf(results.toArray(CompletableFuture[]::new))
        .thenApply(done -> results.stream().map(CompletableFuture::join).toList());
  }

  /** @return the task with its attempt history */
  CompletionStage<TaskView> get(TaskId id);

  /**
   * Waits for a task to finish, without polling: the task answers when its outcome is stored.
   * The wait survives the task moving to another node or its node dying. It does not fail for a
   * task that failed: check {@link TaskView#status()}.
   *
   * @return the finished task: {@code SUCCEEDED} with its {@link TaskView#result()}, {@code
   *     DEAD} (its last error in {@link TaskView#lastAttempt()}) or {@code CANCELLED}
   */
  CompletionStage<TaskView> result(TaskId id);

  /**
   * Waits for a task to finish, at most {@code timeout}, as {@link #result(TaskId)}.
   *
   * @param timeout the longest wait; zero answers at once
   * @return the finished task, or, when {@code timeout} passes first, the task as it stands
   *     ({@code SCHEDULED} or {@code RUNNING}): check {@link TaskView#status()}
   * @throws ValidationException (in the stage) naming {@code timeout} if it is negative
   */
  CompletionStage<TaskView> result(TaskId id, Duration timeout);

  /**
   * Enqueues a typed task and waits for it to finish (see {@link #result(TaskId)}).
   *
   * @return the finished task: check {@link TaskView#status()}
   */
  default <P> CompletionStage<TaskView> enqueueAndWait(TaskRequest<P> request) {
    return enqueue(request).thenCompose(this::result);
  }

  /**
   * Enqueues a typed task and waits at most {@code timeout} (from its acceptance) for it to
   * finish (see {@link #result(TaskId, Duration)}).
   *
   * @return the finished task, or the task as it stands after {@code timeout}: check {@link
   *     TaskView#status()}
   */
  default <P> CompletionStage<TaskView> enqueueAndWait(TaskRequest<P> request, Duration timeout) {
    return enqueue(request).thenCompose(id -> result(id, timeout));
  }

  /**
   * Enqueues a task described in JSON terms and waits at most {@code timeout} (from its
   * acceptance) for it to finish (see {@link #result(TaskId, Duration)}). With an idempotency
   * key of a stored task, waits for that task.
   *
   * @return the finished task, or the task as it stands after {@code timeout}: check {@link
   *     TaskView#status()}
   */
  default CompletionStage<TaskView> enqueueAndWait(EnqueueRequest request, Duration timeout) {
    return enqueue(request).thenCompose(accepted -> result(accepted.task().id(), timeout));
  }

  /**
   * Cancels a task that has not finished. A running handler sees {@link
   * TaskContext#isCancelled()} and an interrupt.
   *
   * @return the cancelled task
   */
  CompletionStage<TaskView> cancel(TaskId id);

  /**
   * Moves a scheduled task's next run time and/or priority.
   *
   * @param runAt the new run time, or {@code null} to keep it
   * @param priority the new priority, or {@code null} to keep it
   * @return the rescheduled task
   */
  CompletionStage<TaskView> reschedule(TaskId id, Instant runAt, Integer priority);

  /** Moves a scheduled task's next run time. */
  default CompletionStage<TaskView> reschedule(TaskId id, Instant runAt) {
    return reschedule(id, runAt, null);
  }

  /**
   * Re-runs a {@code DEAD} task with a fresh budget of attempts; its history is kept.
   *
   * @return the task, scheduled to run now
   */
  CompletionStage<TaskView> retry(TaskId id);

  /**
   * Lists tasks from the task index, which follows each task within moments of its changes.
   *
   * @return one page; pass its {@code nextCursor} to {@link TaskQuery#after(String)} for the next
   */
  CompletionStage<TaskPage> list(TaskQuery query);

  /** @return per queue, how many tasks are in each status */
  CompletionStage<List<QueueCounts>> counts();

  /**
   * Replaces all of a queue's limits at run time, as {@link #updateQueue(String, QueueUpdate)}
   * with every field set.
   *
   * @return the queue with its new limits and settings version
   */
  default CompletionStage<QueueStats> updateQueue(String queue, QueueLimits limits) {
    return updateQueue(queue, QueueUpdate.of(limits));
  }

  /**
   * Changes some of a queue's settings at run time, in one step: the fields {@code update} sets
   * change together, the others stay. The change is stored before the stage completes, outlasts
   * restarts and moves of the queue, and wins over the configured limits until {@link
   * #resetQueue}. A change that changes nothing stores nothing and keeps the version.
   *
   * @return the queue with its new limits and settings version
   */
  CompletionStage<QueueStats> updateQueue(String queue, QueueUpdate update);

  /**
   * Pauses a queue: no task of it starts until resumed; running ones finish. Stored, like
   * {@link #updateQueue(String, QueueUpdate)}.
   *
   * @return the queue, paused
   */
  default CompletionStage<QueueStats> pauseQueue(String queue) {
    return updateQueue(queue, QueueUpdate.pause());
  }

  /**
   * Resumes a paused queue. Stored, like {@link #updateQueue(String, QueueUpdate)}.
   *
   * @return the queue, not paused
   */
  default CompletionStage<QueueStats> resumeQueue(String queue) {
    return updateQueue(queue, QueueUpdate.resume());
  }

  /**
   * Drops a queue's run-time changes (limits and pause): its configured limits apply again.
   *
   * @return the queue with its configured limits and the next settings version
   */
  CompletionStage<QueueStats> resetQueue(String queue);

  /** @return a queue's limits, running permits and waiting requests */
  CompletionStage<QueueStats> queueStats(String queue);

  /**
   * Starts describing a recurring schedule; finish with {@link ScheduleBuilder#upsert()}.
   *
   * @param id the schedule's unique key (1-64 letters, digits or {@code _.-})
   * @return a builder
   */
  default ScheduleBuilder schedule(String id) {
    return new ScheduleBuilder(this, id);
  }

  /**
   * Creates a schedule or replaces its definition (by id). An identical definition stores
   * nothing, so declaring schedules at every start is safe.
   *
   * @return the stored schedule with its next fire times
   * @throws ValidationException (in the stage) naming the offending field: {@code cron}, {@code
   *     zone}, {@code interval}, {@code task.type}, ...
   */
  CompletionStage<ScheduleView> upsertSchedule(ScheduleSpec spec);

  /** @return the schedule, or a stage failed with {@link ScheduleNotFoundException} */
  CompletionStage<ScheduleView> getSchedule(String id);

  /** @return every schedule, by id */
  CompletionStage<List<ScheduleView>> schedules();

  /**
   * Deletes a schedule; tasks it created are left alone.
   *
   * @return the schedule as it was
   */
  CompletionStage<ScheduleView> deleteSchedule(String id);

  /** @return the schedule, paused: it fires no more until resumed */
  CompletionStage<ScheduleView> pauseSchedule(String id);

  /**
   * Resumes a paused schedule from its next future fire time; times missed while paused are not
   * caught up.
   *
   * @return the schedule
   */
  CompletionStage<ScheduleView> resumeSchedule(String id);

  /**
   * Fires a schedule now, whatever its trigger, pause and overlap policy say; its regular fire
   * times are unchanged.
   *
   * @return the schedule, with this firing as its latest
   */
  CompletionStage<ScheduleView> triggerSchedule(String id);

  /** @return the cluster's members and how task and queue shards are spread over them */
  CompletionStage<ClusterView> cluster();

  /**
   * @return completes with true when this node is up in its cluster and its database answers,
   *     with false otherwise, within {@code tasker.ready-timeout}
   */
  CompletionStage<Boolean> ready();

  /**
   * Defines a workflow on this node (define it on every node, at start, like handlers). A
   * definition identical to a defined one changes nothing.
   *
   * @return the definition, checked
   * @throws WorkflowDefinitionException naming the step at fault: a cycle, an unknown
   *     dependency or task type, a malformed template or one reading a step not upstream
   */
  WorkflowDefinition defineWorkflow(WorkflowDefinition definition);

  /**
   * Stores a definition for the whole cluster, durably (in the journal's database): every node
   * can then start it, now and after restarts. It is checked against the task types the cluster
   * handles (of any member), not only this node's.
   *
   * @return true if stored now, false if the same version was stored with the same content; a
   *     stage failed with {@link WorkflowDefinitionException} (naming the step and field) if
   *     invalid, or {@link WorkflowStateConflictException} if the version exists with other
   *     content
   */
  CompletionStage<Boolean> storeWorkflow(WorkflowDefinition definition);

  /**
   * @param version the version, or {@code null} for the highest
   * @return the definition, defined on this node or stored; a stage failed with {@link
   *     WorkflowNotFoundException} if there is none
   */
  CompletionStage<WorkflowDefinition> getWorkflow(String name, Integer version);

  /** @return every definition defined on this node or stored, by name then version */
  CompletionStage<List<WorkflowDefinition>> workflows();

  /**
   * Lists workflow executions, ended ones included, newest start first.
   *
   * @param workflow only executions of this workflow, or {@code null}
   * @param status only executions in this status, or {@code null}
   * @param limit page size, 1 to {@link io.tasker.protocol.TaskQuery#MAX_LIMIT}
   * @param cursor the previous page's {@link WorkflowExecutionPage#nextCursor()}, or {@code null}
   * @return the page; a stage failed with {@link io.tasker.protocol.ValidationException} naming
   *     a bad argument
   */
  CompletionStage<WorkflowExecutionPage> listWorkflowExecutions(String workflow,
      WorkflowStatus status, int limit, String cursor);

  /** Starts an execution of the highest defined version of {@code workflow}, as {@link
   * #startWorkflow(String, Object, String)} without an idempotency key. */
  default CompletionStage<String> startWorkflow(String workflow, Object input) {
    return startWorkflow(workflow, input, null);
  }

  /**
   * Starts an execution of the highest version of {@code workflow}, among those defined on this
   * node and those stored ({@link #storeWorkflow}).
   *
   * @param input the workflow's input, read by templates as {@code {{input...}}}: any value
   *     Jackson turns into JSON
   * @param idempotencyKey with the same key, a repeat start finds the same execution; or {@code
   *     null}
   * @return the execution's id, once the execution is stored
   * @throws WorkflowNotFoundException (in the stage) if no such workflow is defined here
   */
  CompletionStage<String> startWorkflow(String workflow, Object input, String idempotencyKey);

  /**
   * @return the execution with every step (status, attempts, input, output, timings, tasks) and
   *     its compensation trail; a stage failed with {@link WorkflowNotFoundException} if unknown
   */
  CompletionStage<WorkflowExecution> getWorkflowExecution(String executionId);

  /**
   * Waits at most {@code timeout} for an execution to end.
   *
   * @return the ended execution, or the execution as it stands when {@code timeout} passes:
   *     check {@link WorkflowExecution#status()}
   */
  CompletionStage<WorkflowExecution> awaitWorkflow(String executionId, Duration timeout);

  /**
   * Cancels a RUNNING execution: its running tasks are cancelled, then the compensations of its
   * succeeded steps run; it ends {@code CANCELLED} (or {@code FAILED} if a compensation fails).
   *
   * @return the execution, {@code COMPENSATING}; or a stage failed with {@link
   *     WorkflowStateConflictException} if it is not running
   */
  CompletionStage<WorkflowExecution> cancelWorkflow(String executionId);

  /**
   * Re-runs a {@code FAILED} execution (one without compensations) from its failed steps, with
   * new tasks; succeeded steps keep their outputs and do not run again.
   *
   * @return the execution, {@code RUNNING}; or a stage failed with {@link
   *     WorkflowStateConflictException}
   */
  CompletionStage<WorkflowExecution> retryWorkflow(String executionId);

  /** @return the task types this instance has handlers for */
  Set<String> taskTypes();

  /** Stops this node (or inline instance); running attempts are interrupted. */
  @Override
  void close();
}
