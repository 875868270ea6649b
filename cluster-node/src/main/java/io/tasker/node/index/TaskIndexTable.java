package io.tasker.node.index;

import io.tasker.node.journal.JournalSettings;
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

  static final String COLUMNS =
      "task_id, bucket, type, queue, status, priority, run_at, wake_at, lease_until, attempts,"
          + " max_attempts, concurrency_key, created_at, updated_at, seq_nr";
  private static final String[] TYPES = {
    "VARCHAR(128)", "SMALLINT", "VARCHAR(64)", "VARCHAR(64)", "VARCHAR(16)", "INTEGER",
    "TIMESTAMP WITH TIME ZONE", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP WITH TIME ZONE", "INTEGER",
    "INTEGER", "VARCHAR(256)", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP WITH TIME ZONE", "BIGINT"
  };
  private static final String UPDATE = "UPDATE tasker_task_index SET "
      + String.join(" = ?, ", COLUMNS.substring("task_id, ".length()).split(",\\s*"))
      + " = ? WHERE task_id = ? AND seq_nr <= ?";
  /**
   * Element types of the arrays {@link #UPDATE_ARRAYS} takes: times go as microseconds since the
   * epoch. Typed Java arrays are sent in PostgreSQL's binary format; arrays of objects and times
   * as text cost the driver and the server a text encoding and parsing of every element.
   */
  private static final String[] ARRAY_TYPES = {
    "varchar", "int2", "varchar", "varchar", "varchar", "int4", "int8", "int8", "int8", "int4",
    "int4", "varchar", "int8", "int8", "int8"
  };
  private static final String UPDATE_ARRAYS = updateArraysSql();
  /**
   * Updates of at most this many rows (the batches of a moderate load) go as single-row
   * statements in one JDBC batch: at 2 rows per call the array statement took PostgreSQL ~120 µs
   * per row (its fixed cost: 15 arrays unnested, times converted), a single-row update ~60 µs.
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

  /** @return the ids of the rows updated */
  private static Set<String> updateEach(Connection connection, List<IndexRow> rows)
      throws SQLException {
    int[] counts;
    try (PreparedStatement update = connection.prepareStatement(UPDATE)) {
      for (IndexRow row : rows) {
        bind(update, row, 1, false);
        update.setString(15, row.task().id().value());
        update.setLong(16, row.seqNr());
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
      bindColumnArrays(connection, update, rows, arrays);
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

  /** Binds the columns of {@code rows} as arrays, in {@link #COLUMNS} order, from parameter 1. */
  private static void bindColumnArrays(Connection connection, PreparedStatement statement,
      List<IndexRow> rows, List<java.sql.Array> arrays) throws SQLException {
    int n = rows.size();
    String[] ids = new String[n];
    Short[] buckets = new Short[n];
    String[] types = new String[n];
    String[] queues = new String[n];
    String[] statuses = new String[n];
    Integer[] priorities = new Integer[n];
    Long[] runAt = new Long[n];
    Long[] wakeAt = new Long[n];
    Long[] leaseUntil = new Long[n];
    Integer[] attempts = new Integer[n];
    Integer[] maxAttempts = new Integer[n];
    String[] concurrencyKeys = new String[n];
    Long[] createdAt = new Long[n];
    Long[] updatedAt = new Long[n];
    Long[] seqNrs = new Long[n];
    for (int i = 0; i < n; i++) {
      IndexRow row = rows.get(i);
      TaskSummary task = row.task();
      ids[i] = task.id().value();
      buckets[i] = (short) row.bucket();
      types[i] = task.type();
      queues[i] = task.queue();
      statuses[i] = task.status().name();
      priorities[i] = task.priority();
      runAt[i] = micros(task.runAt());
      wakeAt[i] = micros(row.wakeAt());
      leaseUntil[i] = micros(row.leaseUntil());
      attempts[i] = task.attempts();
      maxAttempts[i] = task.maxAttempts();
      concurrencyKeys[i] = task.concurrencyKey();
      createdAt[i] = micros(task.createdAt());
      updatedAt[i] = micros(task.updatedAt());
      seqNrs[i] = row.seqNr();
    }
    Object[][] columns = {ids, buckets, types, queues, statuses, priorities, runAt, wakeAt,
        leaseUntil, attempts, maxAttempts, concurrencyKeys, createdAt, updatedAt, seqNrs};
    for (int c = 0; c < columns.length; c++) {
      java.sql.Array array = connection.createArrayOf(ARRAY_TYPES[c], columns[c]);
      arrays.add(array);
      statement.setArray(c + 1, array);
    }
  }

  /** Rounded to the microsecond, as PostgreSQL rounds a time it parses. */
  private static Long micros(Instant time) {
    if (time == null) {
      return null;
    }
    return Math.addExact(Math.multiplyExact(time.getEpochSecond(), 1_000_000L),
        (time.getNano() + 500) / 1_000);
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
        bindColumnArrays(connection, upsert, rows, arrays);
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
        bind(upsert, row, 1, true);
        upsert.addBatch();
      }
      upsert.executeBatch();
    }
  }

  private static String upsertArraysSql() {
    String[] columns = COLUMNS.split(",\\s*");
    StringBuilder selected = new StringBuilder();
    StringBuilder arrays = new StringBuilder();
    StringBuilder updates = new StringBuilder();
    for (int c = 0; c < columns.length; c++) {
      boolean time = TYPES[c].startsWith("TIMESTAMP");
      arrays.append(c > 0 ? ", " : "").append("?::").append(ARRAY_TYPES[c]).append("[]");
      String value = "v." + columns[c];
      selected.append(c > 0 ? ", " : "").append(time ? fromMicros(value) : value);
      if (c > 0) {
        updates.append(c > 1 ? ", " : "").append(columns[c]).append(" = EXCLUDED.")
            .append(columns[c]);
      }
    }
    return "INSERT INTO tasker_task_index (" + COLUMNS + ") SELECT " + selected
        + " FROM unnest(" + arrays + ") AS v(" + COLUMNS + ") ON CONFLICT (task_id) DO UPDATE SET "
        + updates + " WHERE tasker_task_index.seq_nr <= EXCLUDED.seq_nr";
  }

  private static String updateArraysSql() {
    String[] columns = COLUMNS.split(",\\s*");
    StringBuilder set = new StringBuilder();
    StringBuilder arrays = new StringBuilder();
    for (int c = 0; c < columns.length; c++) {
      boolean time = TYPES[c].startsWith("TIMESTAMP");
      arrays.append(c > 0 ? ", " : "").append("?::").append(ARRAY_TYPES[c]).append("[]");
      if (c > 0) {
        set.append(c > 1 ? ", " : "").append(columns[c]).append(" = ")
            .append(time ? fromMicros("v." + columns[c]) : "v." + columns[c]);
      }
    }
    return "UPDATE tasker_task_index t SET " + set + " FROM unnest(" + arrays + ") AS v("
        + COLUMNS + ") WHERE t.task_id = v.task_id AND t.seq_nr <= v.seq_nr RETURNING t.task_id";
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
    String[] columns = COLUMNS.split(",\\s*");
    StringBuilder updates = new StringBuilder();
    for (int i = 1; i < columns.length; i++) {
      updates.append(i > 1 ? ", " : "").append(columns[i]).append(" = ");
      updates.append(dialect == JournalSettings.Dialect.POSTGRES ? "EXCLUDED." : "s.");
      updates.append(columns[i]);
    }
    if (dialect == JournalSettings.Dialect.POSTGRES) {
      return "INSERT INTO tasker_task_index (" + COLUMNS + ") VALUES ("
          + "?, ".repeat(columns.length - 1) + "?) ON CONFLICT (task_id) DO UPDATE SET " + updates
          + " WHERE tasker_task_index.seq_nr <= EXCLUDED.seq_nr";
    }
    StringBuilder values = new StringBuilder();
    StringBuilder inserted = new StringBuilder();
    for (int i = 0; i < columns.length; i++) {
      values.append(i > 0 ? ", " : "").append("CAST(? AS ").append(TYPES[i]).append(')');
      inserted.append(i > 0 ? ", " : "").append("s.").append(columns[i]);
    }
    return "MERGE INTO tasker_task_index t USING (VALUES (" + values + ")) AS s(" + COLUMNS
        + ") ON t.task_id = s.task_id WHEN MATCHED AND t.seq_nr <= s.seq_nr THEN UPDATE SET "
        + updates + " WHEN NOT MATCHED THEN INSERT (" + COLUMNS + ") VALUES (" + inserted + ")";
  }

  /** Binds the row's columns from {@code first} on, with or without the leading task id. */
  private static void bind(PreparedStatement statement, IndexRow row, int first, boolean withId)
      throws SQLException {
    TaskSummary task = row.task();
    int p = first;
    if (withId) {
      statement.setString(p++, task.id().value());
    }
    statement.setShort(p++, (short) row.bucket());
    statement.setString(p++, task.type());
    statement.setString(p++, task.queue());
    statement.setString(p++, task.status().name());
    statement.setInt(p++, task.priority());
    setTime(statement, p++, task.runAt());
    setTime(statement, p++, row.wakeAt());
    setTime(statement, p++, row.leaseUntil());
    statement.setInt(p++, task.attempts());
    statement.setInt(p++, task.maxAttempts());
    statement.setString(p++, task.concurrencyKey());
    setTime(statement, p++, task.createdAt());
    setTime(statement, p++, task.updatedAt());
    statement.setLong(p, row.seqNr());
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
