package io.tasker.node;

import io.tasker.protocol.TaskId;
import io.tasker.protocol.TaskerSerializable;
import java.time.Instant;
import java.util.List;

/**
 * A schedule as stored, with what it did last and what it does next.
 *
 * @param spec the schedule as last upserted (with its current paused flag)
 * @param createdAt when it was first upserted
 * @param updatedAt when it last changed
 * @param nextFireAt its next fire time, or {@code null} when paused or past its end
 * @param upcoming the next fire times (up to 5), earliest first; empty when paused
 * @param lastFireAt the fire time of its latest firing, or {@code null}
 * @param lastTask the task of its latest firing, or {@code null} until that task exists
 * @param queuedFireAt a fire time held back until the previous task finishes ({@code QUEUE}
 *     overlap), or {@code null}
 * @param fired how many firings created a task
 * @param skipped how many fire times created none (overlap {@code SKIP}, misfires)
 */
public record ScheduleView(
    ScheduleSpec spec,
    Instant createdAt,
    Instant updatedAt,
    Instant nextFireAt,
    List<Instant> upcoming,
    Instant lastFireAt,
    TaskId lastTask,
    Instant queuedFireAt,
    long fired,
    long skipped)
    implements TaskerSerializable {}
