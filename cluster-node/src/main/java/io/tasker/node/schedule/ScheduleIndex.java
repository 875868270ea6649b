package io.tasker.node.schedule;

import java.time.Instant;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;

/**
 * The write side of the schedule rows the waker scans (see {@code JdbcTaskIndex}): one row per
 * schedule with the time its entity next needs to be alive.
 */
public interface ScheduleIndex {

  /**
   * Writes a schedule's row unless the stored one comes from a later event.
   *
   * @param wakeAt when the entity must next be alive, or {@code null} (paused, ended)
   * @param seqNr the sequence number of the event the row reflects
   */
  CompletionStage<Done> upsertSchedule(String id, Instant wakeAt, long seqNr);

  /** Removes a deleted schedule's row. */
  CompletionStage<Done> deleteSchedule(String id);
}
