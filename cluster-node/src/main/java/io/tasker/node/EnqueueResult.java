package io.tasker.node;

import io.tasker.protocol.TaskView;

/**
 * The answer to an enqueue.
 *
 * @param task the task as stored
 * @param created false when an idempotency key matched an existing task, which is returned
 */
public record EnqueueResult(TaskView task, boolean created) {}
