package io.tasker.node.index;

import io.tasker.node.journal.JournalSettings;
import io.tasker.node.journal.TableRow;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A workflow execution's row in {@code tasker_workflow_index}: due from {@code wakeAt} on while
 * the execution has not ended, so the waker brings back an execution whose node died; kept once
 * it ended ({@code wakeAt} null, never due), so executions stay listable by workflow and status.
 *
 * @param removed the execution ended: it no longer needs waking
 */
public record WorkflowRow(String id, Instant wakeAt, long seqNr, boolean removed,
    String workflow, int version, String status, Instant startedAt) implements WakeRow {

  /** The one writer of workflow execution rows. */
  static final TableRow.Writer WRITER = WorkflowRow::writeAll;

  @Override
  public Writer writer() {
    return WRITER;
  }

  /** Writes each execution's latest row, never over one of a later event. */
  private static void writeAll(Connection connection, JournalSettings.Dialect dialect,
      List<TableRow> rows) throws SQLException {
    Map<String, WorkflowRow> latest = new LinkedHashMap<>();
    for (TableRow tableRow : rows) {
      WorkflowRow row = (WorkflowRow) tableRow;
      latest.merge(row.id(), row,
          (earlier, newer) -> newer.seqNr() >= earlier.seqNr() ? newer : earlier);
    }
    for (WorkflowRow row : latest.values().stream()
        .sorted(java.util.Comparator.comparing(WorkflowRow::id)).toList()) {
      try (PreparedStatement update = connection.prepareStatement(
          "UPDATE tasker_workflow_index SET wake_at = ?, seq_nr = ?, workflow = ?, version = ?,"
              + " status = ?, started_at = ? WHERE execution_id = ? AND seq_nr <= ?")) {
        int p = bind(update, row);
        update.setString(p++, row.id());
        update.setLong(p, row.seqNr());
        if (update.executeUpdate() > 0) {
          continue;
        }
      }
      try (PreparedStatement exists = connection.prepareStatement(
          "SELECT 1 FROM tasker_workflow_index WHERE execution_id = ?")) {
        exists.setString(1, row.id());
        if (exists.executeQuery().next()) {
          continue; // the row of a later event
        }
      }
      try (PreparedStatement insert = connection.prepareStatement(
          "INSERT INTO tasker_workflow_index (wake_at, seq_nr, workflow, version, status,"
              + " started_at, execution_id, bucket) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
        int p = bind(insert, row);
        insert.setString(p++, row.id());
        insert.setShort(p, (short) WakeTarget.bucketOf(row.id()));
        insert.executeUpdate();
      }
    }
  }

  private static int bind(PreparedStatement statement, WorkflowRow row) throws SQLException {
    int p = 1;
    TaskIndexTable.setTime(statement, p++, row.removed() ? null : row.wakeAt());
    statement.setLong(p++, row.seqNr());
    statement.setString(p++, row.workflow());
    statement.setInt(p++, row.version());
    statement.setString(p++, row.status());
    TaskIndexTable.setTime(statement, p++, row.startedAt());
    return p;
  }
}
