package io.tasker.node.index;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariDataSource;
import io.tasker.node.journal.Jdbc;
import io.tasker.node.journal.JournalRow;
import io.tasker.node.journal.JournalSettings;
import io.tasker.node.journal.JournalTable;
import io.tasker.node.journal.SchemaMigrations;
import io.tasker.node.journal.TableRow;
import io.tasker.protocol.TaskId;
import io.tasker.protocol.TaskStatus;
import io.tasker.protocol.TaskSummary;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The index's write rules on both databases: rows written in their events' transactions (as the
 * journal writes them), orphan removal and retention against concurrent event writes.
 */
class JdbcTaskIndexTest {
  private static final Instant T = Instant.parse("2026-04-01T10:00:00Z");

  static Stream<JournalSettings> journals() throws Exception {
    String h2 = JournalSettings.h2Url(Files.createTempDirectory("tasker-index-"));
    String pg = io.tasker.node.TestJournalsAccess.postgresUrl("index_test");
    return Stream.of(
        new JournalSettings(h2, "", "", 3, JournalSettings.Migrate.ON),
        new JournalSettings(pg, "postgres", "", 3, JournalSettings.Migrate.ON));
  }

  private static IndexRow row(TaskId id, TaskStatus status, long seqNr) {
    Instant runAt = T.plusSeconds(seqNr);
    return new IndexRow(new TaskSummary(id, "t", "q", status, 0, runAt, (int) seqNr, 3, null, T,
        T.plusSeconds(seqNr)), IndexRow.bucketOf(id), status.isTerminal() ? null : runAt, null, seqNr);
  }

  private static JournalRow event(TaskId id, long seqNr) {
    return new JournalRow(IndexRow.persistenceId(id), seqNr, "test", 0, 1, "",
        new byte[] {(byte) seqNr}, false);
  }

  /** Writes events with their rows in one transaction, as the journal does. */
  private static void commit(Connection connection, JournalSettings journal, IndexRow... rows)
      throws SQLException {
    Jdbc.inTransaction(connection, () -> write(connection, journal, rows));
  }

  private static void write(Connection connection, JournalSettings journal, IndexRow... rows)
      throws SQLException {
    TaskIndexTable.WRITER.writeAll(connection, journal.dialect(), List.<TableRow>of(rows));
    List<JournalRow> events = new ArrayList<>();
    for (IndexRow row : rows) {
      events.add(event(row.task().id(), row.seqNr()));
    }
    JournalTable.insertAll(connection, journal.dialect(), events);
  }

  private static IndexRow read(JdbcTaskIndex index, TaskId id) {
    return index.row(id).toCompletableFuture().join();
  }

  private static int events(Connection connection, TaskId id) throws SQLException {
    try (PreparedStatement count = connection.prepareStatement(
        "SELECT COUNT(*) FROM \"event_journal\" WHERE \"persistence_id\" = ?")) {
      count.setString(1, IndexRow.persistenceId(id));
      try (ResultSet rs = count.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }

  /** Waits until some session of the database waits for a lock another one holds. */
  private static void awaitBlockedSession(Connection observer, JournalSettings journal) {
    String sql = journal.dialect() == JournalSettings.Dialect.POSTGRES
        ? "SELECT COUNT(*) FROM pg_locks WHERE NOT granted"
        : "SELECT COUNT(*) FROM INFORMATION_SCHEMA.SESSIONS WHERE BLOCKER_ID IS NOT NULL";
    await().atMost(Duration.ofSeconds(10)).until(() -> {
      try (PreparedStatement blocked = observer.prepareStatement(sql);
          ResultSet rs = blocked.executeQuery()) {
        rs.next();
        return rs.getInt(1) > 0;
      }
    });
  }

  @ParameterizedTest
  @MethodSource("journals")
  void laterEventsWinAndAnOlderRowNeverOverwritesANewer(JournalSettings journal)
      throws SQLException {
    SchemaMigrations.migrate(journal);
    try (JdbcTaskIndex index = JdbcTaskIndex.open(journal, 3);
        HikariDataSource pool = journal.dataSource("test", 2);
        Connection connection = pool.getConnection()) {
      TaskId id = TaskId.random("echo");
      commit(connection, journal, row(id, TaskStatus.SCHEDULED, 1));
      commit(connection, journal, row(id, TaskStatus.RUNNING, 2));
      assertEquals(TaskStatus.RUNNING, read(index, id).task().status());
      Jdbc.inTransaction(connection, () -> TaskIndexTable.WRITER.writeAll(
          connection, journal.dialect(), List.of(row(id, TaskStatus.SCHEDULED, 1))));
      assertEquals(2, read(index, id).seqNr(), "an older event must not overwrite a newer row");
    }
  }

  @ParameterizedTest
  @MethodSource("journals")
  void leaseExtensionsMoveOnlyTheRowOfTheRunningAttempt(JournalSettings journal)
      throws SQLException {
    SchemaMigrations.migrate(journal);
    try (JdbcTaskIndex index = JdbcTaskIndex.open(journal, 3);
        HikariDataSource pool = journal.dataSource("test", 2);
        Connection connection = pool.getConnection()) {
      TaskId id = TaskId.random("echo");
      commit(connection, journal, row(id, TaskStatus.SCHEDULED, 1));
      commit(connection, journal, row(id, TaskStatus.RUNNING, 2));
      Instant later = T.plusSeconds(600);
      index.extendLease(id, 2, later).toCompletableFuture().join();
      assertEquals(later, read(index, id).wakeAt());
      assertEquals(later, read(index, id).leaseUntil());

      commit(connection, journal, row(id, TaskStatus.SUCCEEDED, 3));
      index.extendLease(id, 2, later.plusSeconds(600)).toCompletableFuture().join();
      IndexRow finished = read(index, id);
      assertEquals(TaskStatus.SUCCEEDED, finished.task().status());
      assertNull(finished.wakeAt(), "a late heartbeat never revives a finished task's row");
    }
  }

  @ParameterizedTest
  @MethodSource("journals")
  void manyTasksInOneTransactionKeepTheirLatestRow(JournalSettings journal) throws SQLException {
    SchemaMigrations.migrate(journal);
    try (JdbcTaskIndex index = JdbcTaskIndex.open(journal, 3);
        HikariDataSource pool = journal.dataSource("test", 2);
        Connection connection = pool.getConnection()) {
      List<TaskId> ids = new ArrayList<>();
      List<IndexRow> first = new ArrayList<>();
      List<IndexRow> rest = new ArrayList<>();
      for (int task = 0; task < 50; task++) {
        TaskId id = TaskId.random("echo");
        ids.add(id);
        first.add(row(id, TaskStatus.SCHEDULED, 1));
        rest.add(row(id, TaskStatus.SCHEDULED, 2));
        rest.add(row(id, TaskStatus.SUCCEEDED, 3));
      }
      commit(connection, journal, first.toArray(IndexRow[]::new));
      Jdbc.inTransaction(connection, () -> TaskIndexTable.WRITER.writeAll(
          connection, journal.dialect(), List.copyOf(rest)));
      for (TaskId id : ids) {
        IndexRow stored = read(index, id);
        assertEquals(3, stored.seqNr());
        assertEquals(TaskStatus.SUCCEEDED, stored.task().status());
        assertNull(stored.wakeAt());
        assertEquals(T.plusSeconds(3).truncatedTo(ChronoUnit.MICROS), stored.task().runAt());
      }
    }
  }

  /**
   * Rows keep every column, times to the microsecond: written a few at a time (one statement
   * per row) and many at a time (one statement for all, on PostgreSQL).
   */
  @ParameterizedTest
  @MethodSource("journals")
  void everyColumnOfRowsWrittenTogetherReadsBackAsWritten(JournalSettings journal)
      throws SQLException {
    SchemaMigrations.migrate(journal);
    try (JdbcTaskIndex index = JdbcTaskIndex.open(journal, 3);
        HikariDataSource pool = journal.dataSource("test", 2);
        Connection connection = pool.getConnection()) {
      for (int tasks : new int[] {3, 12}) {
        List<IndexRow> stored = new ArrayList<>();
        List<IndexRow> started = new ArrayList<>();
        for (int task = 0; task < tasks; task++) {
          TaskId id = TaskId.random("echo");
          Instant runAt = T.plusNanos(123_456_000L * (task + 1));
          String key = task == 0 ? null : "key-" + task;
          stored.add(new IndexRow(new TaskSummary(id, "t", "q" + task, TaskStatus.SCHEDULED,
              task - 1, runAt, 0, 3 + task, key, T.minusNanos(1_000), T), IndexRow.bucketOf(id),
              runAt.minusMillis(5), null, 1));
          started.add(new IndexRow(new TaskSummary(id, "t", "q" + task, TaskStatus.RUNNING,
              task + 7, runAt.plusSeconds(1), 1, 3 + task, key, T.minusNanos(1_000),
              runAt.plusNanos(7_000)), IndexRow.bucketOf(id), null, runAt.plusSeconds(30), 2));
        }
        commit(connection, journal, stored.toArray(IndexRow[]::new));
        for (IndexRow row : stored) {
          assertEquals(row, read(index, row.task().id()));
        }
        commit(connection, journal, started.toArray(IndexRow[]::new));
        for (IndexRow row : started) {
          assertEquals(row, read(index, row.task().id()));
        }
      }
    }
  }

  /**
   * New tasks stored together: a task already stored (a repeated idempotency key) fails the
   * whole transaction, and is then found in the journal.
   */
  @ParameterizedTest
  @MethodSource("journals")
  void newTasksWithAStoredOneAmongThemStoreNothingAndTheStoredOneIsFound(JournalSettings journal)
      throws SQLException {
    SchemaMigrations.migrate(journal);
    try (JdbcTaskIndex index = JdbcTaskIndex.open(journal, 3);
        HikariDataSource pool = journal.dataSource("test", 2);
        Connection connection = pool.getConnection()) {
      TaskId stored = TaskId.random("echo");
      TaskId fresh = TaskId.random("echo");
      commit(connection, journal, row(stored, TaskStatus.SCHEDULED, 1));
      commit(connection, journal, row(stored, TaskStatus.RUNNING, 2));
      assertThrows(java.util.concurrent.CompletionException.class, () -> index.insertNew(
              List.of(event(fresh, 1), event(stored, 1)),
              List.of(row(fresh, TaskStatus.SCHEDULED, 1), row(stored, TaskStatus.SCHEDULED, 1)))
          .toCompletableFuture().join());
      assertEquals(0, events(connection, fresh));
      assertNull(read(index, fresh), "nothing of the failed transaction stays");
      assertEquals(2, read(index, stored).seqNr());
      assertEquals(java.util.Set.of(IndexRow.persistenceId(stored)), index.storedInJournal(
              List.of(IndexRow.persistenceId(fresh), IndexRow.persistenceId(stored)))
          .toCompletableFuture().join());
      index.insertNew(List.of(event(fresh, 1)), List.of(row(fresh, TaskStatus.SCHEDULED, 1)))
          .toCompletableFuture().join();
      assertEquals(1, events(connection, fresh));
    }
  }

  @ParameterizedTest
  @MethodSource("journals")
  void aRowLostEarlierIsRestoredWhileItsJournalHoldsThePreviousEvent(JournalSettings journal)
      throws SQLException {
    SchemaMigrations.migrate(journal);
    try (JdbcTaskIndex index = JdbcTaskIndex.open(journal, 3);
        HikariDataSource pool = journal.dataSource("test", 2);
        Connection connection = pool.getConnection()) {
      TaskId id = TaskId.random("echo");
      Jdbc.inTransaction(connection,
          () -> JournalTable.insertAll(connection, journal.dialect(), List.of(event(id, 1))));
      commit(connection, journal, row(id, TaskStatus.RUNNING, 2));
      assertEquals(2, read(index, id).seqNr());
    }
  }

  /**
   * A lone later event with its row, in one statement on PostgreSQL: both are written, or
   * neither when the row is not there as expected (the journal's transaction then settles it).
   * H2 always takes the transaction.
   */
  @ParameterizedTest
  @MethodSource("journals")
  void aLoneEventAndItsRowAreWrittenTogetherOrNotAtAll(JournalSettings journal)
      throws SQLException {
    SchemaMigrations.migrate(journal);
    boolean postgres = journal.dialect() == JournalSettings.Dialect.POSTGRES;
    try (JdbcTaskIndex index = JdbcTaskIndex.open(journal, 3);
        HikariDataSource pool = journal.dataSource("test", 2);
        Connection connection = pool.getConnection()) {
      TaskId id = TaskId.random("echo");
      IndexRow enqueued = row(id, TaskStatus.SCHEDULED, 1);
      assertEquals(postgres,
          TaskIndexTable.WRITER.writeAlone(connection, journal.dialect(), enqueued, event(id, 1)));
      if (!postgres) {
        commit(connection, journal, enqueued);
      }
      assertEquals(enqueued, read(index, id));
      assertEquals(1, events(connection, id));
      if (postgres) { // the same first event again: refused whole, the stored row stays
        IndexRow again = row(id, TaskStatus.SCHEDULED, 1).parked();
        assertThrows(SQLException.class, () -> TaskIndexTable.WRITER.writeAlone(
            connection, journal.dialect(), again, event(id, 1)));
        assertEquals(enqueued, read(index, id));
      }
      IndexRow started = row(id, TaskStatus.RUNNING, 2);
      assertEquals(postgres,
          TaskIndexTable.WRITER.writeAlone(connection, journal.dialect(), started, event(id, 2)));
      assertEquals(postgres ? 2 : 1, events(connection, id));
      assertEquals(postgres ? started : row(id, TaskStatus.SCHEDULED, 1), read(index, id));

      // a newer row stored already: this one is older
      TaskId newer = TaskId.random("echo");
      commit(connection, journal, row(newer, TaskStatus.SCHEDULED, 1));
      commit(connection, journal, row(newer, TaskStatus.SUCCEEDED, 3));
      assertFalse(TaskIndexTable.WRITER.writeAlone(
          connection, journal.dialect(), row(newer, TaskStatus.RUNNING, 2), event(newer, 2)));
      assertEquals(2, events(connection, newer));
      assertEquals(3, read(index, newer).seqNr());

      // no row at all (a task removed by retention): no event without its predecessors
      TaskId gone = TaskId.random("echo");
      assertFalse(TaskIndexTable.WRITER.writeAlone(
          connection, journal.dialect(), row(gone, TaskStatus.RUNNING, 2), event(gone, 2)));
      assertEquals(0, events(connection, gone));
      assertNull(index.row(gone).toCompletableFuture().join());
    }
  }

  /**
   * The delete/upsert interleaving: an entity woken without events removes its row while a
   * redelivered enqueue commits the task's first event with its row. Whichever order the two
   * take, the row of the stored task stays.
   */
  @ParameterizedTest
  @MethodSource("journals")
  void orphanRemovalNeverRemovesTheRowOfAnEventCommittingMeanwhile(JournalSettings journal)
      throws SQLException {
    SchemaMigrations.migrate(journal);
    try (JdbcTaskIndex index = JdbcTaskIndex.open(journal, 3);
        HikariDataSource pool = journal.dataSource("test", 3);
        Connection enqueue = pool.getConnection();
        Connection observer = pool.getConnection()) {
      TaskId id = TaskId.random("echo");
      // a row written ahead of an enqueue that never landed (as earlier versions did)
      Jdbc.inTransaction(enqueue, () -> TaskIndexTable.upsertAll(
          enqueue, journal.dialect(), List.of(row(id, TaskStatus.SCHEDULED, 1))));

      enqueue.setAutoCommit(false);
      write(enqueue, journal, row(id, TaskStatus.SCHEDULED, 1));
      CompletableFuture<?> removal = index.removeIfNoEvents(id).toCompletableFuture();
      awaitBlockedSession(observer, journal);
      assertFalse(removal.isDone(), "the removal waits for the enqueue's transaction");
      enqueue.commit();
      enqueue.setAutoCommit(true);
      removal.join();
      assertNotNull(read(index, id), "the stored task keeps its row");
      assertEquals(1, events(observer, id));

      TaskId orphan = TaskId.random("echo");
      Jdbc.inTransaction(enqueue, () -> TaskIndexTable.upsertAll(
          enqueue, journal.dialect(), List.of(row(orphan, TaskStatus.SCHEDULED, 1))));
      index.removeIfNoEvents(orphan).toCompletableFuture().join();
      assertNull(read(index, orphan), "a row without events goes");
    }
  }

  /**
   * The requeue/retention interleaving: retention removes a finished task while its entity
   * persists a re-run. Either the re-run commits first and the task is no longer finished, so
   * retention keeps it; or retention commits first and the re-run fails instead of storing an
   * event without its predecessors.
   */
  @ParameterizedTest
  @MethodSource("journals")
  void retentionAndARequeueNeverLeaveHalfATask(JournalSettings journal) throws SQLException {
    SchemaMigrations.migrate(journal);
    Map<TaskStatus, Instant> old = Map.of(TaskStatus.DEAD, T.plusSeconds(3600));
    try (JdbcTaskIndex index = JdbcTaskIndex.open(journal, 3);
        HikariDataSource pool = journal.dataSource("test", 3);
        Connection requeue = pool.getConnection();
        Connection observer = pool.getConnection()) {
      TaskId kept = TaskId.random("retained");
      commit(requeue, journal, row(kept, TaskStatus.SCHEDULED, 1));
      commit(requeue, journal, row(kept, TaskStatus.DEAD, 2));
      requeue.setAutoCommit(false);
      write(requeue, journal, row(kept, TaskStatus.SCHEDULED, 3));
      CompletableFuture<Integer> purge = index.purgeFinished(IndexRow.bucketOf(kept),
          IndexRow.bucketOf(kept) + 1, old, 100).toCompletableFuture();
      awaitBlockedSession(observer, journal);
      requeue.commit();
      requeue.setAutoCommit(true);
      assertEquals(0, purge.join(), "re-queued meanwhile: no longer finished");
      assertEquals(TaskStatus.SCHEDULED, read(index, kept).task().status());
      assertEquals(3, events(observer, kept));

      TaskId purged = TaskId.random("retained");
      commit(requeue, journal, row(purged, TaskStatus.SCHEDULED, 1));
      commit(requeue, journal, row(purged, TaskStatus.DEAD, 2));
      int bucket = IndexRow.bucketOf(purged);
      assertTrue(index.purgeFinished(bucket, bucket + 1, old, 100).toCompletableFuture().join() >= 1);
      assertThrows(TaskIndexTable.TaskRemovedException.class,
          () -> commit(requeue, journal, row(purged, TaskStatus.SCHEDULED, 3)));
      assertNull(read(index, purged));
      assertEquals(0, events(observer, purged), "nothing of the late re-run is stored");
    }
  }

  @ParameterizedTest
  @MethodSource("journals")
  void dueRowsComeInPagesOrderedByWakeTimeThenId(JournalSettings journal) throws SQLException {
    SchemaMigrations.migrate(journal);
    try (JdbcTaskIndex index = JdbcTaskIndex.open(journal, 3);
        HikariDataSource pool = journal.dataSource("test", 2);
        Connection connection = pool.getConnection()) {
      List<String> expected = new ArrayList<>();
      List<IndexRow> rows = new ArrayList<>();
      for (int i = 0; i < 23; i++) {
        TaskId id = TaskId.random("paging");
        // three distinct wake times, so pages end in the middle of ties
        IndexRow row = row(id, TaskStatus.SCHEDULED, 1);
        rows.add(new IndexRow(row.task(), row.bucket(), T.plusSeconds(1 + i % 3), null, 1));
      }
      commit(connection, journal, rows.toArray(IndexRow[]::new));
      Instant until = T.plusSeconds(10);
      for (WakeTarget.Due due : index.due(0, IndexRow.BUCKETS, null, until, 1000)
          .toCompletableFuture().join()) {
        if (due.id().startsWith("paging:")) {
          expected.add(due.id());
        }
      }
      assertEquals(23, expected.size());

      List<String> paged = new ArrayList<>();
      WakeTarget.Due after = null;
      while (true) {
        List<WakeTarget.Due> page =
            index.due(0, IndexRow.BUCKETS, after, until, 4).toCompletableFuture().join();
        page.stream().map(WakeTarget.Due::id).filter(id -> id.startsWith("paging:"))
            .forEach(paged::add);
        if (page.size() < 4) {
          break;
        }
        after = page.get(page.size() - 1);
      }
      assertEquals(expected, paged, "each due row once, in (wake time, id) order");
      for (int i = 1; i < paged.size(); i++) {
        Instant previous = read(index, TaskId.of(paged.get(i - 1))).wakeAt();
        assertTrue(!read(index, TaskId.of(paged.get(i))).wakeAt().isBefore(previous));
      }
    }
  }

  /** A row of queue {@code queue} with the given priority and run time, as of event 1. */
  private static IndexRow scheduled(TaskId id, String queue, int priority, Instant runAt) {
    return new IndexRow(new TaskSummary(id, "t", queue, TaskStatus.SCHEDULED, priority, runAt, 0,
        3, null, T, T), IndexRow.bucketOf(id), runAt, null, 1);
  }

  @ParameterizedTest
  @MethodSource("journals")
  void parkingClearsTheWakeTimeOnlyOfAScheduledRowAsOfTheGivenEvent(JournalSettings journal)
      throws SQLException {
    SchemaMigrations.migrate(journal);
    try (JdbcTaskIndex index = JdbcTaskIndex.open(journal, 3);
        HikariDataSource pool = journal.dataSource("test", 2);
        Connection connection = pool.getConnection()) {
      TaskId parked = TaskId.random("park");
      commit(connection, journal, row(parked, TaskStatus.SCHEDULED, 1));
      index.park(parked, 1).toCompletableFuture().join();
      IndexRow row = read(index, parked);
      assertNull(row.wakeAt());
      assertEquals(TaskStatus.SCHEDULED, row.task().status());
      assertEquals(1, row.seqNr());

      TaskId moved = TaskId.random("park");
      commit(connection, journal, row(moved, TaskStatus.SCHEDULED, 1));
      commit(connection, journal, row(moved, TaskStatus.SCHEDULED, 2));
      index.park(moved, 1).toCompletableFuture().join();
      assertEquals(T.plusSeconds(2), read(index, moved).wakeAt(),
          "a later event was written: its row stands");

      TaskId running = TaskId.random("park");
      commit(connection, journal, row(running, TaskStatus.RUNNING, 1));
      index.park(running, 1).toCompletableFuture().join();
      assertEquals(T.plusSeconds(1), read(index, running).wakeAt(), "only SCHEDULED rows park");

      // the task's next event rewrites its row: due again
      commit(connection, journal, row(parked, TaskStatus.SCHEDULED, 2));
      assertEquals(T.plusSeconds(2), read(index, parked).wakeAt());
    }
  }

  @ParameterizedTest
  @MethodSource("journals")
  void parkedTasksComeByPriorityThenRunTimeAndTheWakerNeverSeesThem(JournalSettings journal)
      throws SQLException {
    SchemaMigrations.migrate(journal);
    try (JdbcTaskIndex index = JdbcTaskIndex.open(journal, 3);
        HikariDataSource pool = journal.dataSource("test", 2);
        Connection connection = pool.getConnection()) {
      String queue = "parking-" + TaskId.random("q").value().substring(2, 10);
      TaskId lowEarly = TaskId.random("park");
      TaskId highLate = TaskId.random("park");
      TaskId highEarly = TaskId.random("park");
      TaskId notParked = TaskId.random("park");
      TaskId otherQueue = TaskId.random("park");
      commit(connection, journal,
          scheduled(lowEarly, queue, 0, T.minusSeconds(60)),
          scheduled(highLate, queue, 5, T.minusSeconds(10)),
          scheduled(highEarly, queue, 5, T.minusSeconds(30)),
          scheduled(notParked, queue, 9, T.minusSeconds(90)),
          scheduled(otherQueue, queue + "-other", 9, T.minusSeconds(90)));
      for (TaskId id : List.of(lowEarly, highLate, highEarly, otherQueue)) {
        index.park(id, 1).toCompletableFuture().join();
      }
      assertEquals(List.of(highEarly.value(), highLate.value(), lowEarly.value()),
          index.parked(queue, 10).toCompletableFuture().join());
      assertEquals(List.of(highEarly.value(), highLate.value()),
          index.parked(queue, 2).toCompletableFuture().join());

      List<String> due = index.due(0, IndexRow.BUCKETS, null, T.plusSeconds(3600), 100_000)
          .toCompletableFuture().join().stream().map(WakeTarget.Due::id).toList();
      assertTrue(due.contains(notParked.value()), "a due row that is not parked is woken");
      for (TaskId id : List.of(lowEarly, highLate, highEarly, otherQueue)) {
        assertFalse(due.contains(id.value()), "the waker never wakes a parked row");
      }
    }
  }
}
