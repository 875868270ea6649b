package io.tasker.node.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariDataSource;
import io.tasker.node.journal.Jdbc;
import io.tasker.node.journal.JournalRow;
import io.tasker.node.journal.JournalSettings;
import io.tasker.node.journal.JournalTable;
import io.tasker.node.journal.SchemaMigrations;
import io.tasker.node.journal.TableRow;
import io.tasker.protocol.QueueCounts;
import io.tasker.protocol.TaskId;
import io.tasker.protocol.TaskQuery;
import io.tasker.protocol.TaskStatus;
import io.tasker.protocol.TaskSummary;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A database holding tasks at schema version 4 (before the task index's partial indexes) is
 * migrated in place, and every read of its rows still finds them: the waker's scan, the parked
 * lookup, listings, counts, the error rate and retention; a task's start and finish are then
 * written as before.
 */
class TaskIndexUpgradeTest {
  private static final Instant T = Instant.parse("2026-04-01T10:00:00Z");
  private static final Duration OLD = Duration.ofDays(10);

  static Stream<JournalSettings> journals() throws Exception {
    String h2 = JournalSettings.h2Url(Files.createTempDirectory("tasker-index-upgrade-"));
    String pg = io.tasker.node.TestJournalsAccess.postgresUrl(
        "index_upgrade_" + UUID.randomUUID().toString().substring(0, 8));
    return Stream.of(
        new JournalSettings(h2, "", "", 3, JournalSettings.Migrate.ON),
        new JournalSettings(pg, "postgres", "", 3, JournalSettings.Migrate.ON));
  }

  private static IndexRow row(TaskId id, TaskStatus status, int priority, Instant runAt,
      Instant wakeAt, Instant updatedAt, long seqNr) {
    return new IndexRow(new TaskSummary(id, "t", "upgraded", status, priority, runAt,
        status == TaskStatus.SCHEDULED ? 0 : 1, 3, null, runAt.minusSeconds(5), updatedAt),
        IndexRow.bucketOf(id), wakeAt, status == TaskStatus.RUNNING ? wakeAt : null, seqNr);
  }

  private static void commit(Connection connection, JournalSettings journal, IndexRow... rows)
      throws SQLException {
    Jdbc.inTransaction(connection, () -> {
      TaskIndexTable.WRITER.writeAll(connection, journal.dialect(), List.<TableRow>of(rows));
      List<JournalRow> events = new ArrayList<>();
      for (IndexRow row : rows) {
        events.add(new JournalRow(IndexRow.persistenceId(row.task().id()), row.seqNr(), "test",
            0, 1, "", new byte[] {(byte) row.seqNr()}, false));
      }
      JournalTable.insertAll(connection, journal.dialect(), events);
    });
  }

  private static <T> T join(java.util.concurrent.CompletionStage<T> stage) {
    return stage.toCompletableFuture().join();
  }

  private static List<String> ids(List<TaskSummary> tasks) {
    return tasks.stream().map(task -> task.id().value()).toList();
  }

  @ParameterizedTest
  @MethodSource("journals")
  void rowsWrittenAtVersion4AreFoundByEveryReadAfterTheMigration(JournalSettings journal)
      throws SQLException {
    Flyway.configure()
        .dataSource(journal.url(), journal.user(), journal.password())
        .locations(SchemaMigrations.location(journal.dialect()))
        .table(SchemaMigrations.HISTORY_TABLE)
        .target("4")
        .load()
        .migrate(); // what the previous Tasker left
    TaskId due = TaskId.random("up");
    TaskId parkedHigh = TaskId.random("up");
    TaskId parkedLow = TaskId.random("up");
    TaskId running = TaskId.random("up");
    TaskId succeededOld = TaskId.random("up");
    TaskId succeeded = TaskId.random("up");
    TaskId dead = TaskId.random("up");
    TaskId cancelled = TaskId.random("up");
    try (HikariDataSource pool = journal.dataSource("test", 2);
        Connection connection = pool.getConnection()) {
      commit(connection, journal,
          row(due, TaskStatus.SCHEDULED, 0, T.plusSeconds(10), T.plusSeconds(10), T, 1),
          row(parkedHigh, TaskStatus.SCHEDULED, 5, T.plusSeconds(1), null, T, 1),
          row(parkedLow, TaskStatus.SCHEDULED, 0, T.plusSeconds(2), null, T, 1),
          row(running, TaskStatus.RUNNING, 0, T.minusSeconds(3), T.plusSeconds(60), T, 1),
          row(succeededOld, TaskStatus.SUCCEEDED, 0, T.minusSeconds(9), null, T.minus(OLD), 1),
          row(succeeded, TaskStatus.SUCCEEDED, 0, T.minusSeconds(8), null, T, 1),
          row(dead, TaskStatus.DEAD, 0, T.minusSeconds(7), null, T.minus(OLD), 1),
          row(cancelled, TaskStatus.CANCELLED, 0, T.minusSeconds(6), null, T.minus(OLD), 1));

      SchemaMigrations.migrate(journal);
      if (journal.dialect() == JournalSettings.Dialect.POSTGRES) {
        assertEquals(3, partialIndexes(connection), "wake, parked and finished rows' indexes");
      }

      try (JdbcTaskIndex index = JdbcTaskIndex.open(journal, 3)) {
        assertEquals(List.of(due.value(), running.value()),
            join(index.due(0, IndexRow.BUCKETS, null, T.plusSeconds(3600), 100)).stream()
                .map(WakeTarget.Due::id).toList(), "finished and parked rows are not woken");
        assertEquals(List.of(parkedHigh.value(), parkedLow.value()),
            join(index.parked("upgraded", 10)));
        assertEquals(List.of(succeeded.value(), succeededOld.value()), ids(join(index.list(
            TaskQuery.all().inQueue("upgraded").withStatus(TaskStatus.SUCCEEDED))).tasks()));
        assertEquals(List.of(succeededOld.value(), succeeded.value(), dead.value(),
                cancelled.value(), running.value(), parkedHigh.value(), parkedLow.value(),
                due.value()),
            ids(join(index.list(TaskQuery.all().inQueue("upgraded")
                .orderBy(TaskQuery.Order.RUN_AT))).tasks()));
        QueueCounts counts = join(index.counts(T)).stream()
            .filter(c -> c.queue().equals("upgraded")).findFirst().orElseThrow();
        assertEquals(Map.of(TaskStatus.SCHEDULED, 3L, TaskStatus.RUNNING, 1L,
            TaskStatus.SUCCEEDED, 2L, TaskStatus.DEAD, 1L, TaskStatus.CANCELLED, 1L),
            counts.byStatus());
        List<JdbcTaskIndex.FinishedAttempts> recent = join(index.finishedAttempts(T.minusSeconds(1)));
        assertEquals(List.of(new JdbcTaskIndex.FinishedAttempts("upgraded", 1, 0)), recent);

        Instant cutoff = T.minus(Duration.ofDays(1));
        assertEquals(3, join(index.purgeFinished(0, IndexRow.BUCKETS, Map.of(
            TaskStatus.SUCCEEDED, cutoff, TaskStatus.DEAD, cutoff, TaskStatus.CANCELLED, cutoff),
            100)));
        for (TaskId gone : List.of(succeededOld, dead, cancelled)) {
          assertNull(join(index.row(gone)), "removed by retention: " + gone);
        }
        assertEquals(TaskStatus.SUCCEEDED, join(index.row(succeeded)).task().status());

        // the due task starts and finishes, as the journal writes it
        commit(connection, journal,
            row(due, TaskStatus.RUNNING, 0, T.plusSeconds(10), T.plusSeconds(70), T, 2));
        commit(connection, journal,
            row(due, TaskStatus.SUCCEEDED, 0, T.plusSeconds(10), null, T.plusSeconds(20), 3));
        assertEquals(List.of(running.value()),
            join(index.due(0, IndexRow.BUCKETS, null, T.plusSeconds(3600), 100)).stream()
                .map(WakeTarget.Due::id).toList());
        assertEquals(List.of(due.value(), succeeded.value()), ids(join(index.list(
            TaskQuery.all().inQueue("upgraded").withStatus(TaskStatus.SUCCEEDED))).tasks()));
      }
    }
  }

  private static int partialIndexes(Connection connection) throws SQLException {
    try (Statement statement = connection.createStatement();
        ResultSet rs = statement.executeQuery("SELECT COUNT(*) FROM pg_indexes"
            + " WHERE tablename = 'tasker_task_index' AND indexdef LIKE '% WHERE %'")) {
      rs.next();
      return rs.getInt(1);
    }
  }
}
