package io.tasker.node.index;

import io.tasker.node.journal.TableRow;
import java.time.Instant;

/**
 * A schedule's row in {@code tasker_schedule_index}, as of the event with sequence number {@code
 * seqNr}, written by the journal in that event's transaction ({@link WakeRowTable}).
 *
 * @param wakeAt when the schedule's entity must next be alive, or {@code null} (paused, ended)
 * @param removed the schedule was deleted: its row goes
 */
public record ScheduleRow(String scheduleId, Instant wakeAt, long seqNr, boolean removed)
    implements WakeRow {

  public static ScheduleRow of(String scheduleId, Instant wakeAt, long seqNr) {
    return new ScheduleRow(scheduleId, wakeAt, seqNr, false);
  }

  public static ScheduleRow removed(String scheduleId, long seqNr) {
    return new ScheduleRow(scheduleId, null, seqNr, true);
  }

  @Override
  public String id() {
    return scheduleId;
  }

  @Override
  public TableRow.Writer writer() {
    return WakeRowTable.SCHEDULES;
  }
}
