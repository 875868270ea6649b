package io.tasker.node.index;

import io.tasker.protocol.TaskId;
import java.time.Instant;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;

/**
 * What a task entity asks of its index row beyond what the journal writes with its events:
 * lease extensions and orphan removal only keep the waker from needless work; parking keeps a
 * due backlog out of memory.
 */
public interface TaskRows {

  /**
   * Removes the row of a task whose journal holds no events (a row an earlier version of Tasker
   * wrote ahead of an enqueue that never landed), unless an event commits meanwhile.
   */
  CompletionStage<Done> removeIfNoEvents(TaskId id);

  /**
   * Moves a running attempt's lease end (and the row's wake time) to {@code leaseUntil}, unless
   * an event after the attempt's start ({@code seqNr}) has been written meanwhile. The lease
   * lives only in the row: while the handler runs the waker leaves the task alone; once its node
   * is gone the waker wakes it when the last extension runs out, and it is counted as lost.
   */
  CompletionStage<Done> extendLease(TaskId id, long seqNr, Instant leaseUntil);

  /**
   * Marks a due task's row parked (no wake time, so the waker leaves it alone; its queue
   * manager wakes it), unless an event after {@code seqNr} has been written meanwhile or the
   * task is no longer {@code SCHEDULED}. Completes once the mark is stored or was not needed.
   */
  CompletionStage<Done> park(TaskId id, long seqNr);
}
