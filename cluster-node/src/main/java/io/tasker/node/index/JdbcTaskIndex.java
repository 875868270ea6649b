package io.tasker.node.index;

import com.zaxxer.hikari.HikariDataSource;
import io.tasker.node.journal.Batcher;
import io.tasker.node.journal.Jdbc;
import io.tasker.node.journal.JournalRow;
import io.tasker.node.journal.JournalTable;
import io.tasker.node.journal.JournalSettings;
import io.tasker.node.schedule.ScheduleIndex;
import io.tasker.node.task.TaskEntity;
import io.tasker.protocol.QueueCounts;
import io.tasker.protocol.TaskId;
import io.tasker.protocol.TaskPage;
import io.tasker.protocol.TaskQuery;
import io.tasker.protocol.TaskStatus;
import io.tasker.protocol.TaskSummary;
import io.tasker.protocol.ValidationException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.pekko.Done;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The task index in the journal's database (table {@code tasker_task_index}). Writes from all
 * entities of the node go through one writer thread that groups whatever is waiting into one
 * batch and one transaction, so the index costs a fraction of a round trip per event. Reads
 * (waker scans, listings, counts, retention) run on a small reader pool.
 *
 * <p>It also keeps the schedules' rows (table {@code tasker_schedule_index}): few and rarely
 * written, so they are written directly on the reader pool, off the tasks' batched path.
 */
public final class JdbcTaskIndex implements IndexWriter, ScheduleIndex, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(JdbcTaskIndex.class);
  private static final int MAX_BATCH = 500;
  private static final String COLUMNS =
      "task_id, bucket, type, queue, status, priority, run_at, wake_at, lease_until, attempts,"
          + " max_attempts, concurrency_key, created_at, updated_at, seq_nr";
  private static final String[] TYPES = {
    "VARCHAR(128)", "SMALLINT", "VARCHAR(64)", "VARCHAR(64)", "VARCHAR(16)", "INTEGER",
    "TIMESTAMP WITH TIME ZONE", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP WITH TIME ZONE", "INTEGER",
    "INTEGER", "VARCHAR(256)", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP WITH TIME ZONE", "BIGINT"
  };

  private sealed interface Write permits Upsert, Delete {
    CompletableFuture<Done> done();
  }

  private record Upsert(IndexRow row, boolean force, CompletableFuture<Done> done)
      implements Write {}

  private record Delete(TaskId id, CompletableFuture<Done> done) implements Write {}

  private final HikariDataSource dataSource;
  private final JournalSettings.Dialect dialect;
  private final String guardedUpsert;
  private final String forcedUpsert;
  private final ExecutorService readers;
  private final Batcher<Write> writes;

  private JdbcTaskIndex(JournalSettings journal, int poolSize) {
    this.dataSource = journal.dataSource("tasker-index", poolSize);
    this.dialect = journal.dialect();
    this.guardedUpsert = upsertSql(false);
    this.forcedUpsert = upsertSql(true);
    this.readers =
        Executors.newFixedThreadPool(
            Math.max(1, poolSize - 1),
            runnable -> {
              Thread thread = new Thread(runnable, "tasker-index-reader");
              thread.setDaemon(true);
              return thread;
            });
    this.writes = new Batcher<>("tasker-index-writer", 1, MAX_BATCH, this::writeAll);
  }

  /** Opens the index on the journal's database (the table is created with the journal's). */
  public static JdbcTaskIndex open(JournalSettings journal, int poolSize) {
    return new JdbcTaskIndex(journal, poolSize);
  }

  // Writes

  @Override
  public CompletionStage<Done> upsert(IndexRow row, boolean force) {
    return enqueue(new Upsert(row, force, new CompletableFuture<>()));
  }

  @Override
  public CompletionStage<Done> delete(TaskId id) {
    return enqueue(new Delete(id, new CompletableFuture<>()));
  }

  private CompletionStage<Done> enqueue(Write write) {
    if (!writes.offer(write)) {
      return CompletableFuture.failedFuture(new IllegalStateException("task index is closed"));
    }
    return write.done();
  }

  /**
   * Stores new entities in one transaction: their first journal events and their index rows
   * (off the batched writer, whose rows may follow their events; these must not).
   */
  public CompletionStage<Done> insertNew(List<JournalRow> events, List<IndexRow> rows) {
    return read(connection -> {
      Jdbc.inTransaction(connection, () -> {
        JournalTable.insertAll(connection, events);
        try (PreparedStatement upsert = connection.prepareStatement(guardedUpsert)) {
          for (IndexRow row : rows) {
            bindRow(upsert, row);
            upsert.addBatch();
          }
          upsert.executeBatch();
        }
      });
      return Done.getInstance();
    });
  }

  private void writeAll(List<Write> batch) {
    try {
      writeBatch(batch);
      batch.forEach(w -> w.done().complete(Done.getInstance()));
    } catch (SQLException | RuntimeException e) {
      log.warn("task index write of {} rows failed: {}", batch.size(), e.toString());
      batch.forEach(w -> w.done().completeExceptionally(e));
    }
  }

  private void writeBatch(List<Write> batch) throws SQLException {
    try (Connection connection = dataSource.getConnection()) {
      Jdbc.inTransaction(connection, () -> writeBatch(connection, latestPerTask(batch)));
    }
  }

  private void writeBatch(Connection connection, List<Write> writes) throws SQLException {
    try (PreparedStatement guarded = connection.prepareStatement(guardedUpsert);
        PreparedStatement forced = connection.prepareStatement(forcedUpsert);
        PreparedStatement delete =
            connection.prepareStatement("DELETE FROM tasker_task_index WHERE task_id = ?")) {
      int guardedCount = 0;
      int forcedCount = 0;
      int deleteCount = 0;
      for (Write write : writes) {
        if (write instanceof Upsert upsert) {
          PreparedStatement statement = upsert.force() ? forced : guarded;
          bindRow(statement, upsert.row());
          statement.addBatch();
          if (upsert.force()) {
            forcedCount++;
          } else {
            guardedCount++;
          }
        } else if (write instanceof Delete d) {
          delete.setString(1, d.id().value());
          delete.addBatch();
          deleteCount++;
        }
      }
      if (guardedCount > 0) {
        guarded.executeBatch();
      }
      if (forcedCount > 0) {
        forced.executeBatch();
      }
      if (deleteCount > 0) {
        delete.executeBatch();
      }
    }
  }

  /**
   * One write per task and statement: a batch may hold several rows of one task (its write
   * ahead and the writes after), and PostgreSQL refuses a multi-row upsert that touches a row
   * twice. The row of the latest event wins; a forced write stays forced.
   */
  private static List<Write> latestPerTask(List<Write> batch) {
    Map<TaskId, Upsert> upserts = new java.util.LinkedHashMap<>();
    List<Write> deletes = new ArrayList<>();
    for (Write write : batch) {
      if (write instanceof Upsert upsert) {
        upserts.merge(upsert.row().task().id(), upsert, (earlier, later) -> {
          Upsert newest = later.row().seqNr() >= earlier.row().seqNr() ? later : earlier;
          return new Upsert(newest.row(), earlier.force() || later.force(), newest.done());
        });
      } else {
        deletes.add(write);
      }
    }
    List<Write> writes = new ArrayList<>(upserts.values());
    writes.addAll(deletes);
    return writes;
  }

  private String upsertSql(boolean force) {
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
          + (force ? "" : " WHERE tasker_task_index.seq_nr <= EXCLUDED.seq_nr");
    }
    StringBuilder values = new StringBuilder();
    StringBuilder inserted = new StringBuilder();
    for (int i = 0; i < columns.length; i++) {
      values.append(i > 0 ? ", " : "").append("CAST(? AS ").append(TYPES[i]).append(')');
      inserted.append(i > 0 ? ", " : "").append("s.").append(columns[i]);
    }
    return "MERGE INTO tasker_task_index t USING (VALUES (" + values + ")) AS s(" + COLUMNS
        + ") ON t.task_id = s.task_id WHEN MATCHED" + (force ? "" : " AND t.seq_nr <= s.seq_nr")
        + " THEN UPDATE SET " + updates + " WHEN NOT MATCHED THEN INSERT (" + COLUMNS
        + ") VALUES (" + inserted + ")";
  }

  private static void bindRow(PreparedStatement statement, IndexRow row) throws SQLException {
    TaskSummary task = row.task();
    statement.setString(1, task.id().value());
    statement.setShort(2, (short) row.bucket());
    statement.setString(3, task.type());
    statement.setString(4, task.queue());
    statement.setString(5, task.status().name());
    statement.setInt(6, task.priority());
    setTime(statement, 7, task.runAt());
    setTime(statement, 8, row.wakeAt());
    setTime(statement, 9, row.leaseUntil());
    statement.setInt(10, task.attempts());
    statement.setInt(11, task.maxAttempts());
    statement.setString(12, task.concurrencyKey());
    setTime(statement, 13, task.createdAt());
    setTime(statement, 14, task.updatedAt());
    statement.setLong(15, row.seqNr());
  }

  private static void setTime(PreparedStatement statement, int index, Instant time)
      throws SQLException {
    if (time == null) {
      statement.setNull(index, Types.TIMESTAMP_WITH_TIMEZONE);
    } else {
      statement.setObject(index, OffsetDateTime.ofInstant(time, ZoneOffset.UTC));
    }
  }

  private static Instant getTime(ResultSet rs, String column) throws SQLException {
    OffsetDateTime time = rs.getObject(column, OffsetDateTime.class);
    return time == null ? null : time.toInstant();
  }

  // Reads

  /**
   * @param after the last row of the previous page, or null for the first
   * @return tasks in buckets [{@code fromBucket}, {@code toBucket}) to wake by {@code until},
   *     after {@code after} in (wake time, id) order
   */
  public CompletionStage<List<WakeTarget.Due>> due(
      int fromBucket, int toBucket, WakeTarget.Due after, Instant until, int limit) {
    return dueRows("tasker_task_index", "task_id", fromBucket, toBucket, after, until, limit);
  }

  private CompletionStage<List<WakeTarget.Due>> dueRows(String table, String idColumn,
      int fromBucket, int toBucket, WakeTarget.Due after, Instant until, int limit) {
    String sql = "SELECT " + idColumn + ", wake_at FROM " + table
        + " WHERE wake_at <= ? AND bucket >= ? AND bucket < ?"
        + (after == null ? "" : " AND (wake_at > ? OR (wake_at = ? AND " + idColumn + " > ?))")
        + " ORDER BY wake_at, " + idColumn + " LIMIT ?";
    return read(connection -> {
      try (PreparedStatement statement = connection.prepareStatement(sql)) {
        int p = 1;
        setTime(statement, p++, until);
        statement.setInt(p++, fromBucket);
        statement.setInt(p++, toBucket);
        if (after != null) {
          setTime(statement, p++, after.wakeAt());
          setTime(statement, p++, after.wakeAt());
          statement.setString(p++, after.id());
        }
        statement.setInt(p, limit);
        List<WakeTarget.Due> due = new ArrayList<>();
        try (ResultSet rs = statement.executeQuery()) {
          while (rs.next()) {
            due.add(new WakeTarget.Due(rs.getString(1), getTime(rs, "wake_at")));
          }
        }
        return due;
      }
    });
  }

  // Schedules

  @Override
  public CompletionStage<Done> upsertSchedule(String id, Instant wakeAt, long seqNr) {
    return read(connection -> {
      try (PreparedStatement update = connection.prepareStatement(
          "UPDATE tasker_schedule_index SET wake_at = ?, seq_nr = ? WHERE schedule_id = ?"
              + " AND seq_nr <= ?")) {
        setTime(update, 1, wakeAt);
        update.setLong(2, seqNr);
        update.setString(3, id);
        update.setLong(4, seqNr);
        if (update.executeUpdate() > 0) {
          return Done.getInstance();
        }
      }
      try (PreparedStatement insert = connection.prepareStatement(
          "INSERT INTO tasker_schedule_index (schedule_id, bucket, wake_at, seq_nr)"
              + " VALUES (?, ?, ?, ?)")) {
        insert.setString(1, id);
        insert.setShort(2, (short) WakeTarget.bucketOf(id));
        setTime(insert, 3, wakeAt);
        insert.setLong(4, seqNr);
        insert.executeUpdate();
      } catch (SQLException e) {
        if (!"23505".equals(e.getSQLState())) {
          throw e;
        }
        // the row exists with a later event's sequence number: it is newer than this write
      }
      return Done.getInstance();
    });
  }

  @Override
  public CompletionStage<Done> deleteSchedule(String id) {
    return read(connection -> {
      try (PreparedStatement delete = connection.prepareStatement(
          "DELETE FROM tasker_schedule_index WHERE schedule_id = ?")) {
        delete.setString(1, id);
        delete.executeUpdate();
        return Done.getInstance();
      }
    });
  }

  /** @return schedules to wake, as {@link #due} for tasks */
  public CompletionStage<List<WakeTarget.Due>> dueSchedules(
      int fromBucket, int toBucket, WakeTarget.Due after, Instant until, int limit) {
    return dueRows("tasker_schedule_index", "schedule_id", fromBucket, toBucket, after, until,
        limit);
  }

  /** @return the ids of all schedules, sorted */
  public CompletionStage<List<String>> scheduleIds() {
    return read(connection -> {
      try (PreparedStatement statement = connection.prepareStatement(
          "SELECT schedule_id FROM tasker_schedule_index ORDER BY schedule_id")) {
        List<String> ids = new ArrayList<>();
        try (ResultSet rs = statement.executeQuery()) {
          while (rs.next()) {
            ids.add(rs.getString(1));
          }
        }
        return ids;
      }
    });
  }

  /** @return one page of tasks matching {@code query} */
  public CompletionStage<TaskPage> list(TaskQuery query) {
    Cursor after = query.cursor() == null ? null : Cursor.decode(query.cursor());
    return read(connection -> {
      StringBuilder sql = new StringBuilder("SELECT * FROM tasker_task_index WHERE 1 = 1");
      List<Object> params = new ArrayList<>();
      if (query.queue() != null) {
        sql.append(" AND queue = ?");
        params.add(query.queue());
      }
      if (query.status() != null) {
        sql.append(" AND status = ?");
        params.add(query.status().name());
      }
      if (query.type() != null) {
        sql.append(" AND type = ?");
        params.add(query.type());
      }
      boolean newest = query.order() == TaskQuery.Order.NEWEST;
      String key = newest ? "created_at" : "run_at";
      String beyond = newest ? "<" : ">";
      if (after != null) {
        sql.append(" AND (").append(key).append(' ').append(beyond).append(" ? OR (").append(key)
            .append(" = ? AND task_id ").append(beyond).append(" ?))");
        OffsetDateTime at = OffsetDateTime.ofInstant(after.at(), ZoneOffset.UTC);
        params.add(at);
        params.add(at);
        params.add(after.id());
      }
      String direction = newest ? " DESC" : " ASC";
      sql.append(" ORDER BY ").append(key).append(direction).append(", task_id").append(direction)
          .append(" LIMIT ?");
      params.add(query.limit() + 1);
      try (PreparedStatement statement = connection.prepareStatement(sql.toString())) {
        for (int i = 0; i < params.size(); i++) {
          statement.setObject(i + 1, params.get(i));
        }
        List<TaskSummary> tasks = new ArrayList<>();
        try (ResultSet rs = statement.executeQuery()) {
          while (rs.next()) {
            tasks.add(summary(rs));
          }
        }
        if (tasks.size() <= query.limit()) {
          return new TaskPage(tasks, null);
        }
        List<TaskSummary> page = tasks.subList(0, query.limit());
        TaskSummary last = page.get(page.size() - 1);
        return new TaskPage(page,
            new Cursor(newest ? last.createdAt() : last.runAt(), last.id().value()).encode());
      }
    });
  }

  /** @return the number of tasks per status in each queue that has any */
  public CompletionStage<List<QueueCounts>> counts() {
    return read(connection -> {
      try (PreparedStatement statement = connection.prepareStatement(
          "SELECT queue, status, COUNT(*) AS n FROM tasker_task_index GROUP BY queue, status"
              + " ORDER BY queue")) {
        Map<String, Map<TaskStatus, Long>> byQueue = new java.util.TreeMap<>();
        try (ResultSet rs = statement.executeQuery()) {
          while (rs.next()) {
            byQueue.computeIfAbsent(rs.getString("queue"), q -> new EnumMap<>(TaskStatus.class))
                .put(TaskStatus.valueOf(rs.getString("status")), rs.getLong("n"));
          }
        }
        List<QueueCounts> counts = new ArrayList<>();
        byQueue.forEach((queue, statuses) -> counts.add(new QueueCounts(queue, statuses)));
        return counts;
      }
    });
  }

  /** @return completes normally when the database answers */
  public CompletionStage<Done> ping() {
    return read(connection -> {
      try (PreparedStatement statement = connection.prepareStatement("SELECT 1")) {
        statement.executeQuery().close();
        return Done.getInstance();
      }
    });
  }

  /** @return the row of one task, or null: for tests and diagnostics */
  public CompletionStage<IndexRow> row(TaskId id) {
    return read(connection -> {
      try (PreparedStatement statement =
          connection.prepareStatement("SELECT * FROM tasker_task_index WHERE task_id = ?")) {
        statement.setString(1, id.value());
        try (ResultSet rs = statement.executeQuery()) {
          if (!rs.next()) {
            return null;
          }
          return new IndexRow(summary(rs), rs.getInt("bucket"), getTime(rs, "wake_at"),
              getTime(rs, "lease_until"), rs.getLong("seq_nr"));
        }
      }
    });
  }

  /**
   * Deletes finished tasks older than their retention: journal events, snapshots and rows.
   *
   * @param finishedBefore per terminal status, the update time before which a task is removed
   * @return the number of tasks removed
   */
  public CompletionStage<Integer> purgeFinished(
      int fromBucket, int toBucket, Map<TaskStatus, Instant> finishedBefore, int limit) {
    return read(connection -> {
      StringBuilder sql = new StringBuilder(
          "SELECT task_id FROM tasker_task_index WHERE bucket >= ? AND bucket < ? AND (");
      List<Object> params = new ArrayList<>(List.of(fromBucket, toBucket));
      int n = 0;
      for (Map.Entry<TaskStatus, Instant> entry : finishedBefore.entrySet()) {
        sql.append(n++ > 0 ? " OR " : "").append("(status = ? AND updated_at < ?)");
        params.add(entry.getKey().name());
        params.add(OffsetDateTime.ofInstant(entry.getValue(), ZoneOffset.UTC));
      }
      sql.append(") LIMIT ?");
      params.add(limit);
      List<String> ids = new ArrayList<>();
      try (PreparedStatement select = connection.prepareStatement(sql.toString())) {
        for (int i = 0; i < params.size(); i++) {
          select.setObject(i + 1, params.get(i));
        }
        try (ResultSet rs = select.executeQuery()) {
          while (rs.next()) {
            ids.add(rs.getString(1));
          }
        }
      }
      if (ids.isEmpty()) {
        return 0;
      }
      Jdbc.inTransaction(connection, () -> {
        try (PreparedStatement events = connection.prepareStatement(
                "DELETE FROM \"event_journal\" WHERE \"persistence_id\" = ?");
            PreparedStatement snapshots = connection.prepareStatement(
                "DELETE FROM \"snapshot\" WHERE \"persistence_id\" = ?");
            PreparedStatement rows = connection.prepareStatement(
                "DELETE FROM tasker_task_index WHERE task_id = ? AND status IN"
                    + " ('SUCCEEDED', 'DEAD', 'CANCELLED')")) {
          for (String id : ids) {
            String persistenceId = TaskEntity.persistenceId(TaskId.of(id));
            events.setString(1, persistenceId);
            events.addBatch();
            snapshots.setString(1, persistenceId);
            snapshots.addBatch();
            rows.setString(1, id);
            rows.addBatch();
          }
          events.executeBatch();
          snapshots.executeBatch();
          rows.executeBatch();
        }
      });
      return ids.size();
    });
  }

  private static TaskSummary summary(ResultSet rs) throws SQLException {
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

  private interface Query<T> {
    T run(Connection connection) throws SQLException;
  }

  private <T> CompletionStage<T> read(Query<T> query) {
    return CompletableFuture.supplyAsync(() -> {
      try (Connection connection = dataSource.getConnection()) {
        return query.run(connection);
      } catch (SQLException e) {
        throw new IllegalStateException("task index query failed: " + e.getMessage(), e);
      }
    }, readers);
  }

  @Override
  public void close() {
    writes.close();
    readers.shutdown();
    dataSource.close();
  }

  /** A position in a listing: the sort key and id of the last task of a page. */
  private record Cursor(Instant at, String id) {
    String encode() {
      return Base64.getUrlEncoder().withoutPadding()
          .encodeToString((at + "|" + id).getBytes(StandardCharsets.UTF_8));
    }

    static Cursor decode(String cursor) {
      try {
        String[] parts = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8)
            .split("\\|", 2);
        return new Cursor(Instant.parse(parts[0]), TaskId.of(parts[1]).value());
      } catch (RuntimeException e) {
        throw new ValidationException("cursor", "is not a cursor this server handed out");
      }
    }
  }

}
