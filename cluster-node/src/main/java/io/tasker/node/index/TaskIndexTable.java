package io.tasker.node.index;

import io.tasker.node.journal.JournalRow;
import io.tasker.node.journal.JournalSettings;
import io.tasker.node.journal.JournalTable;
import io.tasker.node.journal.TableRow;
import io.tasker.protocol.TaskId;
import io.tasker.protocol.TaskStatus;
import io.tasker.protocol.TaskSummary;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The statements that write {@code tasker_task_index}. Callers own the connection and the
 * transaction: the journal writes a task's row in the transaction of the event it reflects.
 *
 * <p>A row is written only together with its task's events (or removed with all of them by
 * retention), so it can be missing only if the task is gone. The first event inserts the row;
 * each later one updates it, and finding no row there means retention removed the task between
 * the entity's recovery and this write: the write fails rather than leave an event without its
 * predecessors (a row lost by an earlier version of Tasker is re-created when the journal still
 * holds the previous event).
 */
public final class TaskIndexTable implements TableRow.Writer {
  /** The one writer of task rows. */
  public static final TaskIndexTable WRITER = new TaskIndexTable();

  static final String COLUMNS = names(TaskIndexColumn.ALL);
  /** The arrays of {@link #UPDATE_ARRAYS}: the key, then the columns it writes. */
  private static final List<TaskIndexColumn> UPDATED_ARRAYS =
      Stream.concat(Stream.of(TaskIndexColumn.TASK_ID), TaskIndexColumn.CHANGING.stream())
          .toList();
  private static final String UPDATE = "UPDATE tasker_task_index SET "
      + names(TaskIndexColumn.CHANGING).replace(",", " = ?,")
      + " = ? WHERE task_id = ? AND seq_nr <= ?";
  /** {@link #UPDATE} and its event's insert, which happens only if the update did. */
  private static final String UPDATE_WITH_EVENT = withEvent(UPDATE);
  private static final String UPSERT_WITH_EVENT =
      withEvent(upsertSql(JournalSettings.Dialect.POSTGRES));
  private static final String UPDATE_ARRAYS = updateArraysSql();
  /**
   * Updates of at most this many rows (the batches of a moderate load) go as single-row
   * statements in one JDBC batch: at 2 rows per call the array statement took PostgreSQL ~120 µs
   * per row (its fixed cost: arrays unnested, times converted; 15 arrays then), a single-row
   * update ~60 µs.
   */
  private static final int FEW_ROWS_FOR_ARRAYS = 8;
  private static final String UPSERT_ARRAYS = upsertArraysSql();
  private static final String PREVIOUS_EVENT = "SELECT 1 FROM \"event_journal\""
      + " WHERE \"persistence_id\" = ? AND \"sequence_number\" = ?";

  private TaskIndexTable() {}

  /** Thrown when a task's row is gone: its task was removed by retention. */
  public static final class TaskRemovedException extends SQLException {
    TaskRemovedException(TaskId id) {
      super("task " + id + " was removed by retention");
    }
  }

  @Override
  public void writeAll(Connection connection, JournalSettings.Dialect dialect,
      List<TableRow> rows) throws SQLException {
    List<IndexRow> first = new ArrayList<>();
    List<IndexRow> later = new ArrayList<>();
    for (IndexRow row : latestPerTask(rows)) {
      (row.seqNr() == 1 ? first : later).add(row);
    }
    if (!first.isEmpty()) {
      upsertAll(connection, dialect, first);
    }
    if (later.isEmpty()) {
      return;
    }
    Set<String> updated =
        dialect == JournalSettings.Dialect.POSTGRES && later.size() > FEW_ROWS_FOR_ARRAYS
            ? updateAllInOneStatement(connection, later) : updateEach(connection, later);
    for (IndexRow row : later) {
      if (!updated.contains(row.task().id().value())) {
        restore(connection, dialect, row);
      }
    }
  }

  /**
   * PostgreSQL: the row written with its event in one statement, the first row inserted (as
   * {@link #upsertAll}), a later one updated. Nothing is written when a later row is not there
   * as expected (gone, or a newer one stored): {@link #writeAll} settles that case.
   */
  @Override
  public boolean writeAlone(Connection connection, JournalSettings.Dialect dialect,
      TableRow tableRow, JournalRow event) throws SQLException {
    IndexRow row = (IndexRow) tableRow;
    if (dialect != JournalSettings.Dialect.POSTGRES) {
      return false;
    }
    boolean first = row.seqNr() == 1;
    try (PreparedStatement statement =
        connection.prepareStatement(first ? UPSERT_WITH_EVENT : UPDATE_WITH_EVENT)) {
      int p = first ? bind(statement, TaskIndexColumn.ALL, row) : bindUpdate(statement, row);
      JournalTable.bindOne(statement, p, event);
      return statement.executeUpdate() == 1;
    }
  }

  /**
   * Binds {@link #UPDATE}'s parameters for {@code row}.
   *
   * @return the next parameter's index
   */
  private static int bindUpdate(PreparedStatement update, IndexRow row) throws SQLException {
    int p = bind(update, TaskIndexColumn.CHANGING, row);
    update.setString(p++, row.task().id().value());
    update.setLong(p++, row.seqNr());
    return p;
  }

  /** @return the ids of the rows updated */
  private static Set<String> updateEach(Connection connection, List<IndexRow> rows)
      throws SQLException {
    int[] counts;
    try (PreparedStatement update = connection.prepareStatement(UPDATE)) {
      for (IndexRow row : rows) {
        bindUpdate(update, row);
        update.addBatch();
      }
      counts = update.executeBatch();
    }
    Set<String> updated = new HashSet<>();
    for (int i = 0; i < counts.length; i++) {
      if (counts[i] != 0) {
        updated.add(rows.get(i).task().id().value());
      }
    }
    return updated;
  }

  /**
   * PostgreSQL: the whole batch in one statement, its columns as arrays. Per row, a statement
   * of its own cost PostgreSQL about as much CPU as a single-row commit (parse, plan and execute
   * each; measured with pg_stat_statements in docs/scale-out.md).
   *
   * @return the ids of the rows updated
   */
  private static Set<String> updateAllInOneStatement(Connection connection, List<IndexRow> rows)
      throws SQLException {
    Set<String> updated = new HashSet<>();
    List<java.sql.Array> arrays = new ArrayList<>();
    try (PreparedStatement update = connection.prepareStatement(UPDATE_ARRAYS)) {
      bindColumnArrays(connection, update, UPDATED_ARRAYS, rows, arrays);
      try (ResultSet rs = update.executeQuery()) {
        while (rs.next()) {
          updated.add(rs.getString(1));
        }
      }
    } finally {
      for (java.sql.Array array : arrays) {
        array.free();
      }
    }
    return updated;
  }

  /** Binds {@code columns} of {@code rows} as arrays, from parameter 1. */
  private static void bindColumnArrays(Connection connection, PreparedStatement statement,
      List<TaskIndexColumn> columns, List<IndexRow> rows, List<java.sql.Array> arrays)
      throws SQLException {
    for (int c = 0; c < columns.size(); c++) {
      java.sql.Array array = columns.get(c).array(connection, rows);
      arrays.add(array);
      statement.setArray(c + 1, array);
    }
  }

  /** SQL that turns {@code column}, microseconds since the epoch, into a time. */
  private static String fromMicros(String column) {
    return "(TIMESTAMPTZ 'epoch' + " + column + " * INTERVAL '1 microsecond')";
  }

  private static void restore(Connection connection, JournalSettings.Dialect dialect, IndexRow row)
      throws SQLException {
    TaskId id = row.task().id();
    try (PreparedStatement previous = connection.prepareStatement(PREVIOUS_EVENT)) {
      previous.setString(1, IndexRow.persistenceId(id));
      previous.setLong(2, row.seqNr() - 1);
      try (ResultSet rs = previous.executeQuery()) {
        if (!rs.next()) {
          throw new TaskRemovedException(id);
        }
      }
    }
    upsertAll(connection, dialect, List.of(row)); // or a newer row is there: it stays
  }

  /**
   * Inserts or updates rows, each unless the stored one comes from a later event. One per task
   * (PostgreSQL refuses a multi-row upsert that touches a row twice), ordered by id so that
   * concurrent writers lock rows in the same order.
   */
  static void upsertAll(Connection connection, JournalSettings.Dialect dialect,
      List<IndexRow> rows) throws SQLException {
    if (dialect == JournalSettings.Dialect.POSTGRES && rows.size() > 1) {
      // one statement, as the updates: a batch of single-row upserts costs PostgreSQL a parse,
      // bind and execute per row (and the driver a bind of 15 parameters per row)
      List<java.sql.Array> arrays = new ArrayList<>();
      try (PreparedStatement upsert = connection.prepareStatement(UPSERT_ARRAYS)) {
        bindColumnArrays(connection, upsert, TaskIndexColumn.ALL, rows, arrays);
        upsert.executeUpdate();
      } finally {
        for (java.sql.Array array : arrays) {
          array.free();
        }
      }
      return;
    }
    try (PreparedStatement upsert = connection.prepareStatement(upsertSql(dialect))) {
      for (IndexRow row : rows) {
        bind(upsert, TaskIndexColumn.ALL, row);
        upsert.addBatch();
      }
      upsert.executeBatch();
    }
  }

  private static String upsertArraysSql() {
    return "INSERT INTO tasker_task_index (" + COLUMNS + ") SELECT "
        + selected(TaskIndexColumn.ALL) + " FROM unnest(" + arrays(TaskIndexColumn.ALL)
        + ") AS v(" + COLUMNS + ") ON CONFLICT (task_id) DO UPDATE SET "
        + assignedFrom("EXCLUDED.") + " WHERE tasker_task_index.seq_nr <= EXCLUDED.seq_nr";
  }

  private static String updateArraysSql() {
    StringBuilder set = new StringBuilder();
    for (TaskIndexColumn column : TaskIndexColumn.CHANGING) {
      set.append(set.length() > 0 ? ", " : "").append(column.sqlName()).append(" = ")
          .append(value(column));
    }
    return "UPDATE tasker_task_index t SET " + set + " FROM unnest(" + arrays(UPDATED_ARRAYS)
        + ") AS v(" + names(UPDATED_ARRAYS) + ") WHERE t.task_id = v.task_id"
        + " AND t.seq_nr <= v.seq_nr RETURNING t.task_id";
  }

  /** @return the columns an update writes, each set to its namesake in {@code source} */
  private static String assignedFrom(String source) {
    return String.join(", ", TaskIndexColumn.CHANGING.stream()
        .map(c -> c.sqlName() + " = " + source + c.sqlName()).toList());
  }

  /** @return {@code write} (one row) and then its event's insert, if the row was written */
  private static String withEvent(String write) {
    return "WITH written AS (" + write + " RETURNING 1) "
        + JournalTable.insertOneIf("EXISTS (SELECT 1 FROM written)");
  }

  private static String names(List<TaskIndexColumn> columns) {
    return String.join(", ", columns.stream().map(TaskIndexColumn::sqlName).toList());
  }

  /** @return a parameter per column, each an array of its element type */
  private static String arrays(List<TaskIndexColumn> columns) {
    return String.join(", ", columns.stream().map(c -> "?::" + c.arrayType + "[]").toList());
  }

  /** @return each column's value from the unnested arrays ({@code v}) */
  private static String selected(List<TaskIndexColumn> columns) {
    return String.join(", ", columns.stream().map(TaskIndexTable::value).toList());
  }

  private static String value(TaskIndexColumn column) {
    String value = "v." + column.sqlName();
    return column.isTime() ? fromMicros(value) : value;
  }

  private static List<IndexRow> latestPerTask(List<? extends TableRow> rows) {
    Map<TaskId, IndexRow> latest = new LinkedHashMap<>();
    for (TableRow tableRow : rows) {
      IndexRow row = (IndexRow) tableRow;
      latest.merge(row.task().id(), row,
          (earlier, newer) -> newer.seqNr() >= earlier.seqNr() ? newer : earlier);
    }
    List<IndexRow> sorted = new ArrayList<>(latest.values());
    sorted.sort(Comparator.comparing(row -> row.task().id().value()));
    return sorted;
  }

  private static String upsertSql(JournalSettings.Dialect dialect) {
    if (dialect == JournalSettings.Dialect.POSTGRES) {
      return "INSERT INTO tasker_task_index (" + COLUMNS + ") VALUES ("
          + "?, ".repeat(TaskIndexColumn.ALL.size() - 1) + "?) ON CONFLICT (task_id) DO UPDATE SET "
          + assignedFrom("EXCLUDED.") + " WHERE tasker_task_index.seq_nr <= EXCLUDED.seq_nr";
    }
    String values = String.join(", ", TaskIndexColumn.ALL.stream()
        .map(c -> "CAST(? AS " + c.sqlType + ")").toList());
    String inserted = String.join(", ", TaskIndexColumn.ALL.stream()
        .map(c -> "s." + c.sqlName()).toList());
    return "MERGE INTO tasker_task_index t USING (VALUES (" + values + ")) AS s(" + COLUMNS
        + ") ON t.task_id = s.task_id WHEN MATCHED AND t.seq_nr <= s.seq_nr THEN UPDATE SET "
        + assignedFrom("s.") + " WHEN NOT MATCHED THEN INSERT (" + COLUMNS + ") VALUES ("
        + inserted + ")";
  }

  /**
   * Binds {@code columns} of {@code row} from parameter 1.
   *
   * @return the next parameter's index
   */
  private static int bind(PreparedStatement statement, List<TaskIndexColumn> columns,
      IndexRow row) throws SQLException {
    int p = 1;
    for (TaskIndexColumn column : columns) {
      column.bind(statement, p++, row);
    }
    return p;
  }

  static void setTime(PreparedStatement statement, int index, Instant time) throws SQLException {
    if (time == null) {
      statement.setNull(index, Types.TIMESTAMP_WITH_TIMEZONE);
    } else {
      statement.setObject(index, OffsetDateTime.ofInstant(time, ZoneOffset.UTC));
    }
  }

  static Instant getTime(ResultSet rs, String column) throws SQLException {
    OffsetDateTime time = rs.getObject(column, OffsetDateTime.class);
    return time == null ? null : time.toInstant();
  }

  static TaskSummary summary(ResultSet rs) throws SQLException {
    return new TaskSummary(
        TaskId.of(rs.getString("task_id")),
        rs.getString("type"),
        rs.getString("queue"),
        TaskStatus.valueOf(rs.getString("status")),
        rs.getInt("priority"),
        getTime(rs, "run_at"),
        rs.getInt("attempts"),
        rs.getInt("max_attempts"),
        rs.getString("concurrency_key"),
        getTime(rs, "created_at"),
        getTime(rs, "updated_at"));
  }
}
