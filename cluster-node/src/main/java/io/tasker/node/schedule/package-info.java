/**
 * Internal to Tasker: not part of its API, changed without notice. Applications use {@code
 * io.tasker.node} (the node, its builder, handlers) and {@code io.tasker.protocol} (tasks,
 * queues, errors).
 */
package io.tasker.node.schedule;
