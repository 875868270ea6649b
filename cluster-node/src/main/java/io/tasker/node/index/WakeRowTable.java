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
 * The statements that write a table of {@link WakeRow}s ({@code tasker_schedule_index}), inside
 * the journal's transaction. A row is never overwritten by one
 * of an earlier event.
 */
public final class WakeRowTable implements TableRow.Writer {
  /** The one writer of schedule rows. */
  public static final WakeRowTable SCHEDULES =
      new WakeRowTable("tasker_schedule_index", "schedule_id");

  private final String table;
  private final String idColumn;

  private WakeRowTable(String table, String idColumn) {
    this.table = table;
    this.idColumn = idColumn;
  }

  @Override
  public void writeAll(Connection connection, JournalSettings.Dialect dialect,
      List<TableRow> rows) throws SQLException {
    Map<String, WakeRow> latest = new LinkedHashMap<>();
    for (TableRow tableRow : rows) {
      WakeRow row = (WakeRow) tableRow;
      latest.merge(row.id(), row,
          (earlier, newer) -> newer.seqNr() >= earlier.seqNr() ? newer : earlier);
    }
    List<WakeRow> sorted = new ArrayList<>(latest.values());
    sorted.sort(Comparator.comparing(WakeRow::id));
    for (WakeRow row : sorted) {
      if (row.removed()) {
        removeUpTo(connection, row.id(), row.seqNr());
      } else {
        upsert(connection, row);
      }
    }
  }

  private void upsert(Connection connection, WakeRow row) throws SQLException {
    try (PreparedStatement update = connection.prepareStatement(
        "UPDATE " + table + " SET wake_at = ?, seq_nr = ? WHERE " + idColumn + " = ?"
            + " AND seq_nr <= ?")) {
      TaskIndexTable.setTime(update, 1, row.wakeAt());
      update.setLong(2, row.seqNr());
      update.setString(3, row.id());
      update.setLong(4, row.seqNr());
      if (update.executeUpdate() > 0) {
        return;
      }
    }
    try (PreparedStatement exists = connection.prepareStatement(
        "SELECT 1 FROM " + table + " WHERE " + idColumn + " = ?")) {
      exists.setString(1, row.id());
      if (exists.executeQuery().next()) {
        return; // the row of a later event
      }
    }
    try (PreparedStatement insert = connection.prepareStatement(
        "INSERT INTO " + table + " (" + idColumn + ", bucket, wake_at, seq_nr)"
            + " VALUES (?, ?, ?, ?)")) {
      insert.setString(1, row.id());
      insert.setShort(2, (short) WakeTarget.bucketOf(row.id()));
      TaskIndexTable.setTime(insert, 3, row.wakeAt());
      insert.setLong(4, row.seqNr());
      insert.executeUpdate();
    }
  }

  /** Removes an entity's row unless a later event wrote it. */
  void removeUpTo(Connection connection, String id, long seqNr) throws SQLException {
    try (PreparedStatement delete = connection.prepareStatement(
        "DELETE FROM " + table + " WHERE " + idColumn + " = ? AND seq_nr <= ?")) {
      delete.setString(1, id);
      delete.setLong(2, seqNr);
      delete.executeUpdate();
    }
  }
}
