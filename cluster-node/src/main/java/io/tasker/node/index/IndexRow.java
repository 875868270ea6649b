package io.tasker.node.index;

import io.tasker.node.journal.TableRow;
import io.tasker.protocol.TaskId;
import io.tasker.protocol.TaskStatus;
import io.tasker.protocol.TaskSummary;
import java.time.Instant;

/**
 * A task's row in the task index, as of the event with sequence number {@code seqNr}.
 *
 * <p>{@code wakeAt} is when the task next needs its entity alive: the run time while {@code
 * SCHEDULED}, the lease end while {@code RUNNING}, none once finished. The journal writes the row
 * in the transaction of its event ({@link TaskIndexTable}), so the row always agrees with the
 * journal: a task the journal holds is never missing from the waker's scans.
 */
public record IndexRow(
    TaskSummary task, int bucket, Instant wakeAt, Instant leaseUntil, long seqNr)
    implements TableRow {

  /** Rows are spread over this many buckets; waker workers split the range between them. */
  public static final int BUCKETS = 1024;

  /**
   * @return this row marked parked (no wake time): the waker leaves it alone, its queue's
   *     manager wakes it when there is room
   */
  public IndexRow parked() {
    return new IndexRow(task, bucket, null, leaseUntil, seqNr);
  }

  @Override
  public TableRow.Writer writer() {
    return TaskIndexTable.WRITER;
  }

  /** @return the persistence id of task {@code id}'s events (its entity's and its row's key) */
  public static String persistenceId(TaskId id) {
    return "Task|" + id.value();
  }

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
