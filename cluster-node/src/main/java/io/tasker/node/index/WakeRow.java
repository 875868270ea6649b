package io.tasker.node.index;

import io.tasker.node.journal.TableRow;
import java.time.Instant;

/**
 * A row of an entity that the {@link TaskWaker} brings back at its wake time (a schedule, a
 * workflow execution), written by a {@link WakeRowTable} as of the event with sequence number
 * {@code seqNr}.
 */
public interface WakeRow extends TableRow {
  /** @return the entity's id */
  String id();

  /** @return when the entity must next be alive, or {@code null} for never */
  Instant wakeAt();

  long seqNr();

  /** @return whether the row goes (the entity no longer needs waking) */
  boolean removed();
}
