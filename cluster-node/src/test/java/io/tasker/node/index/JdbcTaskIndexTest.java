package io.tasker.node.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tasker.node.journal.JournalSettings;
import io.tasker.node.journal.SchemaInitializer;
import io.tasker.protocol.TaskId;
import io.tasker.protocol.TaskStatus;
import io.tasker.protocol.TaskSummary;
import java.nio.file.Files;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The index's write rules on both databases. */
class JdbcTaskIndexTest {
  private static final Instant T = Instant.parse("2026-04-01T10:00:00Z");

  static Stream<JournalSettings> journals() throws Exception {
    String h2 = JournalSettings.h2Url(Files.createTempDirectory("tasker-index-"));
    String pg = io.tasker.node.TestJournalsAccess.postgresUrl("index_test");
    return Stream.of(
        new JournalSettings(h2, "", "", 3, true),
        new JournalSettings(pg, "postgres", "", 3, true));
  }

  private static IndexRow row(TaskId id, TaskStatus status, long seqNr) {
    Instant runAt = T.plusSeconds(seqNr);
    return new IndexRow(new TaskSummary(id, "t", "q", status, 0, runAt, (int) seqNr, 3, null, T,
        T.plusSeconds(seqNr)), IndexRow.bucketOf(id), status.isTerminal() ? null : runAt, null, seqNr);
  }

  private static IndexRow read(JdbcTaskIndex index, TaskId id) {
    return index.row(id).toCompletableFuture().join();
  }

  @ParameterizedTest
  @MethodSource("journals")
  void laterEventsWinAndForceOverridesTheGuard(JournalSettings journal) {
    SchemaInitializer.ensureSchema(journal);
    try (JdbcTaskIndex index = JdbcTaskIndex.open(journal, 3)) {
      TaskId id = TaskId.random("echo");
      index.upsert(row(id, TaskStatus.RUNNING, 5), false).toCompletableFuture().join();
      index.upsert(row(id, TaskStatus.SCHEDULED, 4), false).toCompletableFuture().join();
      assertEquals(5, read(index, id).seqNr(), "an older event must not overwrite a newer row");
      index.upsert(row(id, TaskStatus.SCHEDULED, 4), true).toCompletableFuture().join();
      assertEquals(4, read(index, id).seqNr(), "a forced write corrects a row ahead of its journal");
      index.delete(id).toCompletableFuture().join();
      assertNull(read(index, id));
    }
  }

  @ParameterizedTest
  @MethodSource("journals")
  void manyWritesOfOneTaskInOneBatchKeepTheLatest(JournalSettings journal) {
    SchemaInitializer.ensureSchema(journal);
    try (JdbcTaskIndex index = JdbcTaskIndex.open(journal, 3)) {
      List<TaskId> ids = new ArrayList<>();
      List<CompletableFuture<?>> writes = new ArrayList<>();
      for (int task = 0; task < 50; task++) {
        TaskId id = TaskId.random("echo");
        ids.add(id);
        for (long seq = 1; seq <= 3; seq++) {
          TaskStatus status = seq == 3 ? TaskStatus.SUCCEEDED : TaskStatus.SCHEDULED;
          writes.add(index.upsert(row(id, status, seq), false).toCompletableFuture());
        }
      }
      writes.forEach(CompletableFuture::join);
      for (TaskId id : ids) {
        IndexRow stored = read(index, id);
        assertEquals(3, stored.seqNr());
        assertEquals(TaskStatus.SUCCEEDED, stored.task().status());
        assertNull(stored.wakeAt());
        assertEquals(T.plusSeconds(3).truncatedTo(ChronoUnit.MICROS), stored.task().runAt());
      }
    }
  }

  @ParameterizedTest
  @MethodSource("journals")
  void dueRowsComeInPagesOrderedByWakeTimeThenId(JournalSettings journal) {
    SchemaInitializer.ensureSchema(journal);
    try (JdbcTaskIndex index = JdbcTaskIndex.open(journal, 3)) {
      List<String> expected = new ArrayList<>();
      List<CompletableFuture<?>> writes = new ArrayList<>();
      for (int i = 0; i < 23; i++) {
        TaskId id = TaskId.random("paging");
        // three distinct wake times, so pages end in the middle of ties
        IndexRow row = row(id, TaskStatus.SCHEDULED, 1 + i % 3);
        writes.add(index.upsert(row, false).toCompletableFuture());
      }
      writes.forEach(CompletableFuture::join);
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
}
