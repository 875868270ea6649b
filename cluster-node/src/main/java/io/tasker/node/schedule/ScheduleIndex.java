package io.tasker.node.schedule;

import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;

/**
 * What a schedule entity asks of the schedule rows beyond the ones the journal writes with its
 * events (see {@code ScheduleRow}).
 */
public interface ScheduleIndex {

  /**
   * Removes the row of a schedule that does not exist (one an earlier version left behind),
   * unless a later event than {@code seqNr} wrote it meanwhile.
   */
  CompletionStage<Done> removeStaleRow(String id, long seqNr);
}
