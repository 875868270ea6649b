package io.tasker.node.index;

import io.tasker.node.journal.JournalSettings;
import io.tasker.node.journal.TableRow;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The statements that write {@code tasker_schedule_index}, inside the journal's transaction. A
 * row is never overwritten by one of an earlier event.
 */
public final class ScheduleIndexTable implements TableRow.Writer {
  /** The one writer of schedule rows. */
  public static final ScheduleIndexTable WRITER = new ScheduleIndexTable();

  private ScheduleIndexTable() {}

  @Override
  public void writeAll(Connection connection, JournalSettings.Dialect dialect,
      List<TableRow> rows) throws SQLException {
    Map<String, ScheduleRow> latest = new LinkedHashMap<>();
    for (TableRow tableRow : rows) {
      ScheduleRow row = (ScheduleRow) tableRow;
      latest.merge(row.scheduleId(), row,
          (earlier, newer) -> newer.seqNr() >= earlier.seqNr() ? newer : earlier);
    }
    List<ScheduleRow> sorted = new ArrayList<>(latest.values());
    sorted.sort(Comparator.comparing(ScheduleRow::scheduleId));
    for (ScheduleRow row : sorted) {
      if (row.removed()) {
        removeUpTo(connection, row.scheduleId(), row.seqNr());
      } else {
        upsert(connection, row);
      }
    }
  }

  private static void upsert(Connection connection, ScheduleRow row) throws SQLException {
    try (PreparedStatement update = connection.prepareStatement(
        "UPDATE tasker_schedule_index SET wake_at = ?, seq_nr = ? WHERE schedule_id = ?"
            + " AND seq_nr <= ?")) {
      TaskIndexTable.setTime(update, 1, row.wakeAt());
      update.setLong(2, row.seqNr());
      update.setString(3, row.scheduleId());
      update.setLong(4, row.seqNr());
      if (update.executeUpdate() > 0) {
        return;
      }
    }
    try (PreparedStatement exists = connection.prepareStatement(
        "SELECT 1 FROM tasker_schedule_index WHERE schedule_id = ?")) {
      exists.setString(1, row.scheduleId());
      if (exists.executeQuery().next()) {
        return; // the row of a later event
      }
    }
    try (PreparedStatement insert = connection.prepareStatement(
        "INSERT INTO tasker_schedule_index (schedule_id, bucket, wake_at, seq_nr)"
            + " VALUES (?, ?, ?, ?)")) {
      insert.setString(1, row.scheduleId());
      insert.setShort(2, (short) WakeTarget.bucketOf(row.scheduleId()));
      TaskIndexTable.setTime(insert, 3, row.wakeAt());
      insert.setLong(4, row.seqNr());
      insert.executeUpdate();
    }
  }

  /** Removes a schedule's row unless a later event wrote it. */
  static void removeUpTo(Connection connection, String scheduleId, long seqNr)
      throws SQLException {
    try (PreparedStatement delete = connection.prepareStatement(
        "DELETE FROM tasker_schedule_index WHERE schedule_id = ? AND seq_nr <= ?")) {
      delete.setString(1, scheduleId);
      delete.setLong(2, seqNr);
      delete.executeUpdate();
    }
  }
}
