package io.tasker.protocol;

import java.time.Instant;

/**
 * One task as the task index lists it: enough to find and sort tasks, without payload, result
 * or history (get the task for those).
 *
 * @param id the task's id
 * @param type its type
 * @param queue its queue
 * @param status its status
 * @param priority its priority
 * @param runAt its (next) run time
 * @param attempts attempts started so far
 * @param maxAttempts attempts allowed
 * @param concurrencyKey its concurrency key, or {@code null}
 * @param createdAt when it was accepted
 * @param updatedAt when it last changed
 */
public record TaskSummary(
    TaskId id,
    String type,
    String queue,
    TaskStatus status,
    int priority,
    Instant runAt,
    int attempts,
    int maxAttempts,
    String concurrencyKey,
    Instant createdAt,
    Instant updatedAt)
    implements TaskerSerializable {}
