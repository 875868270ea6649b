package io.tasker.node.index;

import com.zaxxer.hikari.HikariDataSource;
import io.tasker.node.journal.Batcher;
import io.tasker.node.journal.Jdbc;
import io.tasker.node.journal.JournalRow;
import io.tasker.node.journal.JournalTable;
import io.tasker.node.journal.JournalSettings;
import io.tasker.node.schedule.ScheduleIndex;
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
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.pekko.Done;

/**
 * The task index in the journal's database (table {@code tasker_task_index}): its rows are
 * written by the journal with their events ({@link TaskIndexTable}); this class reads them
 * (waker scans, listings, counts) on a small pool and removes them (retention, orphans).
 *
 * <p>It also reads the schedules' rows (table {@code tasker_schedule_index}), written with their
 * events by {@link WakeRowTable}, and the workflow executions' rows ({@code
 * tasker_workflow_index}).
 */
public final class JdbcTaskIndex implements TaskRows, ScheduleIndex, AutoCloseable {
  private final HikariDataSource dataSource;
  private final JournalSettings.Dialect dialect;
  private final ExecutorService readers;
  private final Batcher<RowUpdate> rowUpdates;

  /** An index-only update of a task's row, guarded by the event it was decided on. */
  private sealed interface RowUpdate {
    TaskId id();

    CompletableFuture<Done> done();
  }

  private record LeaseExtension(
      TaskId id, long seqNr, Instant leaseUntil, CompletableFuture<Done> done)
      implements RowUpdate {}

  private record Park(TaskId id, long seqNr, CompletableFuture<Done> done) implements RowUpdate {}

  private JdbcTaskIndex(JournalSettings journal, int poolSize) {
    this.dataSource = journal.dataSource("tasker-index", poolSize);
    this.dialect = journal.dialect();
    this.readers =
        Executors.newFixedThreadPool(
            Math.max(1, poolSize),
            runnable -> {
              Thread thread = new Thread(runnable, "tasker-index-reader");
              thread.setDaemon(true);
              return thread;
            });
    this.rowUpdates = new Batcher<>("tasker-row-updater", 1, 500, this::updateRows,
        (update, failure) -> update.done().completeExceptionally(failure));
  }

  /** Opens the index on the journal's database (the table is created with the journal's). */
  public static JdbcTaskIndex open(JournalSettings journal, int poolSize) {
    return new JdbcTaskIndex(journal, poolSize);
  }

  // Writes

  @Override
  public CompletionStage<Done> removeIfNoEvents(TaskId id) {
    return read(connection -> {
      Jdbc.inTransaction(connection, () -> {
        // the row lock orders this against a journal transaction writing the task's first
        // event with its row: whichever waits sees the other's commit
        try (PreparedStatement lock = connection.prepareStatement(
                "SELECT task_id FROM tasker_task_index WHERE task_id = ? FOR UPDATE");
            PreparedStatement events = connection.prepareStatement(
                "SELECT 1 FROM \"event_journal\" WHERE \"persistence_id\" = ?");
            PreparedStatement delete = connection.prepareStatement(
                "DELETE FROM tasker_task_index WHERE task_id = ?")) {
          lock.setString(1, id.value());
          try (ResultSet rs = lock.executeQuery()) {
            if (!rs.next()) {
              return;
            }
          }
          events.setString(1, IndexRow.persistenceId(id));
          try (ResultSet rs = events.executeQuery()) {
            if (rs.next()) {
              return;
            }
          }
          delete.setString(1, id.value());
          delete.executeUpdate();
        }
      });
      return Done.getInstance();
    });
  }

  @Override
  public CompletionStage<Done> extendLease(TaskId id, long seqNr, Instant leaseUntil) {
    return offer(new LeaseExtension(id, seqNr, leaseUntil, new CompletableFuture<>()));
  }

  @Override
  public CompletionStage<Done> park(TaskId id, long seqNr) {
    return offer(new Park(id, seqNr, new CompletableFuture<>()));
  }

  private CompletionStage<Done> offer(RowUpdate update) {
    if (!rowUpdates.offer(update)) {
      update.done().completeExceptionally(new IllegalStateException("task index is closed"));
    }
    return update.done();
  }

  /** Lease extensions and parks, each kind in its own transaction. */
  private void updateRows(List<RowUpdate> batch) {
    List<LeaseExtension> leases = new ArrayList<>();
    List<Park> parks = new ArrayList<>();
    for (RowUpdate update : batch) {
      if (update instanceof LeaseExtension extension) {
        leases.add(extension);
      } else {
        parks.add((Park) update);
      }
    }
    update(leases, "UPDATE tasker_task_index SET wake_at = ?, lease_until = ?"
        + " WHERE task_id = ? AND seq_nr = ? AND status = 'RUNNING'", (statement, extension) -> {
          TaskIndexTable.setTime(statement, 1, extension.leaseUntil());
          TaskIndexTable.setTime(statement, 2, extension.leaseUntil());
          statement.setString(3, extension.id().value());
          statement.setLong(4, extension.seqNr());
        });
    update(parks, "UPDATE tasker_task_index SET wake_at = NULL"
        + " WHERE task_id = ? AND seq_nr = ? AND status = 'SCHEDULED'", (statement, park) -> {
          statement.setString(1, park.id().value());
          statement.setLong(2, park.seqNr());
        });
  }

  private interface Binder<T> {
    void bind(PreparedStatement statement, T update) throws SQLException;
  }

  private <T extends RowUpdate> void update(List<T> updates, String sql, Binder<T> binder) {
    if (updates.isEmpty()) {
      return;
    }
    // rows in id order, as the journal locks them: two writers never wait on each other in a ring
    List<T> byId = new ArrayList<>(updates);
    byId.sort(java.util.Comparator.comparing(update -> update.id().value()));
    try (Connection connection = dataSource.getConnection()) {
      Jdbc.inTransaction(connection, () -> {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
          for (T update : byId) {
            binder.bind(statement, update);
            statement.addBatch();
          }
          statement.executeBatch();
        }
      });
      updates.forEach(update -> update.done().complete(Done.getInstance()));
    } catch (SQLException | RuntimeException e) {
      updates.forEach(update -> update.done().completeExceptionally(e));
    }
  }

  /**
   * Stores new entities in one transaction: their first journal events and their index rows
   * (off the batched writer, whose rows may follow their events; these must not).
   */
  public CompletionStage<Done> insertNew(List<JournalRow> events, List<IndexRow> rows) {
    return read(connection -> {
      if (rows.size() == 1 && events.size() == 1 && TaskIndexTable.WRITER.writeAlone(
          connection, dialect, rows.get(0), events.get(0))) {
        return Done.getInstance();
      }
      Jdbc.inTransaction(connection, () -> {
        TaskIndexTable.upsertAll(connection, dialect, rows);
        JournalTable.insertAll(connection, dialect, events);
      });
      return Done.getInstance();
    });
  }

  /** @return those of {@code persistenceIds} whose events are in the journal */
  public CompletionStage<java.util.Set<String>> storedInJournal(
      java.util.Collection<String> persistenceIds) {
    return read(connection -> JournalTable.stored(connection, persistenceIds));
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
        TaskIndexTable.setTime(statement, p++, until);
        statement.setInt(p++, fromBucket);
        statement.setInt(p++, toBucket);
        if (after != null) {
          TaskIndexTable.setTime(statement, p++, after.wakeAt());
          TaskIndexTable.setTime(statement, p++, after.wakeAt());
          statement.setString(p++, after.id());
        }
        statement.setInt(p, limit);
        List<WakeTarget.Due> due = new ArrayList<>();
        try (ResultSet rs = statement.executeQuery()) {
          while (rs.next()) {
            due.add(new WakeTarget.Due(rs.getString(1), TaskIndexTable.getTime(rs, "wake_at")));
          }
        }
        return due;
      }
    });
  }

  /**
   * @return the ids of at most {@code limit} parked tasks of {@code queue} (rows {@code
   *     SCHEDULED} without a wake time), by priority (highest first), then run time, then id
   */
  public CompletionStage<List<String>> parked(String queue, int limit) {
    return read(connection -> {
      try (PreparedStatement statement = connection.prepareStatement(
          "SELECT task_id FROM tasker_task_index"
              + " WHERE queue = ? AND status = 'SCHEDULED' AND wake_at IS NULL"
              + " ORDER BY priority DESC, run_at, task_id LIMIT ?")) {
        statement.setString(1, queue);
        statement.setInt(2, limit);
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

  // Schedules

  @Override
  public CompletionStage<Done> removeStaleRow(String id, long seqNr) {
    return read(connection -> {
      WakeRowTable.SCHEDULES.removeUpTo(connection, id, seqNr);
      return Done.getInstance();
    });
  }

  /** @return schedules to wake, as {@link #due} for tasks */
  public CompletionStage<List<WakeTarget.Due>> dueSchedules(
      int fromBucket, int toBucket, WakeTarget.Due after, Instant until, int limit) {
    return dueRows("tasker_schedule_index", "schedule_id", fromBucket, toBucket, after, until,
        limit);
  }

  /** @return workflow executions to wake, as {@link #due} for tasks */
  public CompletionStage<List<WakeTarget.Due>> dueWorkflows(
      int fromBucket, int toBucket, WakeTarget.Due after, Instant until, int limit) {
    return dueRows("tasker_workflow_index", "execution_id", fromBucket, toBucket, after, until,
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
      if (query.createdFrom() != null) {
        sql.append(" AND created_at >= ?");
        params.add(OffsetDateTime.ofInstant(query.createdFrom(), ZoneOffset.UTC));
      }
      if (query.createdBefore() != null) {
        sql.append(" AND created_at < ?");
        params.add(OffsetDateTime.ofInstant(query.createdBefore(), ZoneOffset.UTC));
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
            tasks.add(TaskIndexTable.summary(rs));
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

  /**
   * @param now the time against which scheduled tasks count as due
   * @return the number of tasks per status in each queue that has any, and of its scheduled
   *     ones those due by {@code now} (counted in the same scan, no second query)
   */
  public CompletionStage<List<QueueCounts>> counts(Instant now) {
    return read(connection -> {
      try (PreparedStatement statement = connection.prepareStatement(
          "SELECT queue, status, COUNT(*) AS n,"
              + " SUM(CASE WHEN run_at <= ? THEN 1 ELSE 0 END) AS due"
              + " FROM tasker_task_index GROUP BY queue, status ORDER BY queue")) {
        TaskIndexTable.setTime(statement, 1, now);
        Map<String, Map<TaskStatus, Long>> byQueue = new java.util.TreeMap<>();
        Map<String, Long> due = new java.util.HashMap<>();
        try (ResultSet rs = statement.executeQuery()) {
          while (rs.next()) {
            String queue = rs.getString("queue");
            TaskStatus status = TaskStatus.valueOf(rs.getString("status"));
            byQueue.computeIfAbsent(queue, q -> new EnumMap<>(TaskStatus.class))
                .put(status, rs.getLong("n"));
            if (status == TaskStatus.SCHEDULED) {
              due.put(queue, rs.getLong("due"));
            }
          }
        }
        List<QueueCounts> counts = new ArrayList<>();
        byQueue.forEach((queue, statuses) ->
            counts.add(new QueueCounts(queue, statuses, due.getOrDefault(queue, 0L))));
        return counts;
      }
    });
  }

  /** Attempts of the tasks of one queue that finished (succeeded or dead) in a window. */
  public record FinishedAttempts(String queue, long attempts, long failed) {
    /** @return the share of attempts that failed, 0 when none ran */
    public double errorRate() {
      return attempts == 0 ? 0 : (double) failed / attempts;
    }
  }

  /**
   * Per queue, the attempts of tasks that finished since {@code since}: a dead task's attempts
   * all failed, a succeeded task's all but its last. Reads the finished-tasks index.
   *
   * @param since the window's start
   * @return one entry per queue with tasks finished in the window
   */
  public CompletionStage<List<FinishedAttempts>> finishedAttempts(Instant since) {
    return read(connection -> {
      try (PreparedStatement statement = connection.prepareStatement(
          "SELECT queue, SUM(attempts) AS attempts,"
              + " SUM(CASE WHEN status = 'DEAD' THEN attempts ELSE attempts - 1 END) AS failed"
              + " FROM tasker_task_index WHERE status IN ('SUCCEEDED', 'DEAD')"
              + " AND updated_at >= ? GROUP BY queue")) {
        TaskIndexTable.setTime(statement, 1, since);
        List<FinishedAttempts> found = new ArrayList<>();
        try (ResultSet rs = statement.executeQuery()) {
          while (rs.next()) {
            found.add(new FinishedAttempts(
                rs.getString("queue"), rs.getLong("attempts"), rs.getLong("failed")));
          }
        }
        return found;
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
          return new IndexRow(TaskIndexTable.summary(rs), rs.getInt("bucket"), TaskIndexTable.getTime(rs, "wake_at"),
              TaskIndexTable.getTime(rs, "lease_until"), rs.getLong("seq_nr"));
        }
      }
    });
  }

  /**
   * Deletes finished tasks older than their retention: journal events, snapshots and rows, in
   * one transaction. The rows are locked as they are selected, so a task re-queued meanwhile
   * (its event commits with its row) is either seen as no longer finished, or its write waits
   * for this one and then fails as written after its task was removed (see {@link
   * TaskIndexTable}).
   *
   * @param finishedBefore per terminal status, the update time before which a task is removed
   * @return the number of tasks removed
   */
  public CompletionStage<Integer> purgeFinished(
      int fromBucket, int toBucket, Map<TaskStatus, Instant> finishedBefore, int limit) {
    StringBuilder sql = new StringBuilder(
        "SELECT task_id FROM tasker_task_index WHERE bucket >= ? AND bucket < ? AND (");
    List<Object> params = new ArrayList<>(List.of(fromBucket, toBucket));
    int n = 0;
    for (Map.Entry<TaskStatus, Instant> entry : finishedBefore.entrySet()) {
      // the status as a literal: PostgreSQL uses the partial index of finished rows only for a
      // query that names their statuses, not for a parameter
      sql.append(n++ > 0 ? " OR " : "").append("(status = '").append(entry.getKey().name())
          .append("' AND updated_at < ?)");
      params.add(OffsetDateTime.ofInstant(entry.getValue(), ZoneOffset.UTC));
    }
    sql.append(") ORDER BY task_id LIMIT ? FOR UPDATE");
    params.add(limit);
    return read(connection -> {
      List<String> ids = new ArrayList<>();
      Jdbc.inTransaction(connection, () -> {
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
        if (!ids.isEmpty()) {
          deleteTasks(connection, ids);
        }
      });
      return ids.size();
    });
  }

  private static void deleteTasks(Connection connection, List<String> ids) throws SQLException {
    try (PreparedStatement rows = connection.prepareStatement(
            "DELETE FROM tasker_task_index WHERE task_id = ?");
        PreparedStatement events = connection.prepareStatement(
            "DELETE FROM \"event_journal\" WHERE \"persistence_id\" = ?");
        PreparedStatement snapshots = connection.prepareStatement(
            "DELETE FROM \"snapshot\" WHERE \"persistence_id\" = ?")) {
      for (String id : ids) {
        String persistenceId = IndexRow.persistenceId(TaskId.of(id));
        rows.setString(1, id);
        rows.addBatch();
        events.setString(1, persistenceId);
        events.addBatch();
        snapshots.setString(1, persistenceId);
        snapshots.addBatch();
      }
      rows.executeBatch();
      events.executeBatch();
      snapshots.executeBatch();
    }
  }

  /** A read or write of the journal's database, run on the index's pool. */
  public interface Query<T> {
    T run(Connection connection) throws SQLException;
  }

  /** Runs {@code query} on a connection of the index's pool (for tables of other kinds). */
  public <T> CompletionStage<T> query(Query<T> query) {
    return read(query);
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
    rowUpdates.close();
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
