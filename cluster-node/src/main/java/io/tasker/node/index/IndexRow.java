package io.tasker.node.index;

import io.tasker.protocol.TaskId;
import io.tasker.protocol.TaskStatus;
import io.tasker.protocol.TaskSummary;
import java.time.Instant;

/**
 * A task's row in the task index.
 *
 * <p>{@code wakeAt} is when the task next needs its entity alive: the run time while {@code
 * SCHEDULED}, the lease end while {@code RUNNING}, none once finished. The entity keeps one rule
 * when it writes rows: the stored {@code wakeAt} is never later than the journal requires. A
 * change that moves it earlier is written before the event is persisted, one that moves it later
 * after; so a crash between the two writes leaves, at worst, a task woken early, which then
 * corrects its row. {@code seqNr} (the event's sequence number) keeps late writes from
 * overwriting newer ones.
 */
public record IndexRow(
    TaskSummary task, int bucket, Instant wakeAt, Instant leaseUntil, long seqNr) {

  /** Rows are spread over this many buckets; waker workers split the range between them. */
  public static final int BUCKETS = 1024;

  public static int bucketOf(TaskId id) {
    return WakeTarget.bucketOf(id.value());
  }

  /** @return when a task in {@code status} needs waking: run time, lease end, or never */
  public static Instant wakeAt(TaskStatus status, Instant runAt, Instant leaseUntil) {
    return switch (status) {
      case SCHEDULED -> runAt;
      case RUNNING -> leaseUntil;
      default -> null;
    };
  }
}
