package io.tasker.node.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tasker.node.TestJournalsAccess;
import io.tasker.node.journal.ReleasedSchema.Applied;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Tasker's schema migrations on real databases: nodes starting together on one PostgreSQL,
 * adoption of a database created before migrations, refusal of a schema migrated by a newer
 * Tasker, and the {@code validate} and {@code off} modes. The node-level upgrade (data kept,
 * tasks run) is {@code SchemaUpgradeTest}'s.
 */
class SchemaMigrationsTest {
  private static final Applied V1 = new Applied("1", "SQL", true);
  private static final Applied V2 = new Applied("2", "SQL", true);
  private static final Applied V3 = new Applied("3", "SQL", true);
  private static final Applied V4 = new Applied("4", "SQL", true);
  private static final Applied V5 = new Applied("5", "SQL", true);
  private static final Applied BASELINE_V1 = new Applied("1", "BASELINE", true);
  private static int databases;

  private static synchronized JournalSettings postgres(JournalSettings.Migrate migrate) {
    String url = TestJournalsAccess.postgresUrl("migrations_" + databases++);
    return new JournalSettings(url, "postgres", "", 2, migrate);
  }

  private static JournalSettings h2(JournalSettings.Migrate migrate) throws Exception {
    return new JournalSettings(
        JournalSettings.h2Url(Files.createTempDirectory("tasker-migrations-")), "", "", 2, migrate);
  }

  static Stream<JournalSettings> journals() throws Exception {
    return Stream.of(h2(JournalSettings.Migrate.ON), postgres(JournalSettings.Migrate.ON));
  }

  /** Runs {@code migrations} migrations of {@code journal} at once, each on its own connections. */
  private static void migrateConcurrently(JournalSettings journal, int migrations)
      throws Exception {
    ExecutorService threads = Executors.newFixedThreadPool(migrations);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<?>> runs = new ArrayList<>();
      for (int i = 0; i < migrations; i++) {
        runs.add(threads.submit(() -> {
          go.await();
          return SchemaMigrations.migrate(journal);
        }));
      }
      go.countDown();
      for (Future<?> run : runs) {
        run.get(60, TimeUnit.SECONDS); // throws if that migration failed
      }
    } finally {
      threads.shutdownNow();
    }
  }

  @Test
  void threeNodesStartingTogetherOnAFreshPostgresMigrateItOnce() throws Exception {
    JournalSettings journal = postgres(JournalSettings.Migrate.ON);
    migrateConcurrently(journal, 3);
    assertEquals(List.of(V1, V2, V3, V4, V5), ReleasedSchema.history(journal));
    assertTrue(ReleasedSchema.hasTable(journal, "tasker_schedule_index"));
    assertTrue(ReleasedSchema.hasTable(journal, "tasker_workflow_index"));
  }

  @Test
  void threeNodesStartingTogetherOnAPostgresOf010AdoptItOnce() throws Exception {
    JournalSettings journal = postgres(JournalSettings.Migrate.ON);
    ReleasedSchema.create010(journal);
    migrateConcurrently(journal, 3);
    assertEquals(List.of(BASELINE_V1, V2, V3, V4, V5), ReleasedSchema.history(journal));
  }

  @ParameterizedTest
  @MethodSource("journals")
  void aDatabaseOf010IsAdoptedAsVersion1ThenMigrated(JournalSettings journal)
      throws Exception {
    ReleasedSchema.create010(journal);
    assertEquals(journal.dialect() == JournalSettings.Dialect.H2 ? 2 : 1, orderingIndexes(journal));
    SchemaMigrations.migrate(journal);
    assertEquals(List.of(BASELINE_V1, V2, V3, V4, V5), ReleasedSchema.history(journal));
    assertEquals(1, orderingIndexes(journal), "V2 leaves one unique index on ordering");
    SchemaMigrations.migrate(journal); // the next start finds nothing to do
    assertEquals(List.of(BASELINE_V1, V2, V3, V4, V5), ReleasedSchema.history(journal));
    SchemaMigrations.validate(journal);
  }

  private static int orderingIndexes(JournalSettings journal) throws Exception {
    String sql = journal.dialect() == JournalSettings.Dialect.H2
        ? "SELECT COUNT(*) FROM INFORMATION_SCHEMA.INDEX_COLUMNS"
            + " WHERE TABLE_NAME = 'event_journal' AND COLUMN_NAME = 'ordering'"
        : "SELECT COUNT(*) FROM pg_indexes"
            + " WHERE tablename = 'event_journal' AND indexdef LIKE '%(ordering)'";
    try (var connection = java.sql.DriverManager.getConnection(
            journal.url(), journal.user(), journal.password());
        var statement = connection.createStatement();
        var rs = statement.executeQuery(sql)) {
      rs.next();
      return rs.getInt(1);
    }
  }

  @Test
  void aSchemaSharedWithOtherTablesButNoneOfTaskersGetsVersion1() throws Exception {
    JournalSettings journal = postgres(JournalSettings.Migrate.ON);
    try (var connection = java.sql.DriverManager.getConnection(journal.url(), "postgres", "");
        var statement = connection.createStatement()) {
      statement.execute("CREATE TABLE another_application (id INTEGER)");
    }
    SchemaMigrations.migrate(journal);
    assertEquals(List.of(new Applied("0", "BASELINE", true), V1, V2, V3, V4, V5),
        ReleasedSchema.history(journal));
    assertTrue(ReleasedSchema.hasTable(journal, "tasker_task_index"));
  }

  @Test
  void migratesTheSchemaTheUrlNames() throws Exception {
    JournalSettings inPublic = postgres(JournalSettings.Migrate.ON);
    try (var connection = java.sql.DriverManager.getConnection(inPublic.url(), "postgres", "");
        var statement = connection.createStatement()) {
      statement.execute("CREATE SCHEMA tasker");
      JournalSettings journal = new JournalSettings(inPublic.url() + "&currentSchema=tasker",
          "postgres", "", 2, JournalSettings.Migrate.ON);
      SchemaMigrations.migrate(journal);
      assertEquals(List.of(V1, V2, V3, V4, V5), ReleasedSchema.history(journal));
      try (var rs = statement.executeQuery("SELECT COUNT(*) FROM information_schema.tables"
          + " WHERE table_schema = 'tasker' AND table_name IN"
          + " ('tasker_schema_history', 'event_journal', 'tasker_task_index')")) {
        rs.next();
        assertEquals(3, rs.getInt(1));
      }
      assertFalse(ReleasedSchema.hasTable(inPublic, "tasker_task_index"), "nothing in public");
    }
  }

  @ParameterizedTest
  @MethodSource("journals")
  void refusesASchemaMigratedByANewerTaskerAndChangesNothing(JournalSettings journal) {
    SchemaMigrations.migrate(journal);
    Flyway.configure()
        .dataSource(journal.url(), journal.user(), journal.password())
        .locations(SchemaMigrations.location(journal.dialect()), "classpath:db/future-tasker")
        .table(SchemaMigrations.HISTORY_TABLE)
        .load()
        .migrate(); // what a newer Tasker would have done
    List<Applied> before = ReleasedSchema.history(journal);
    assertEquals(6, before.size());

    SchemaMigrations.SchemaVersionException refused = assertThrows(
        SchemaMigrations.SchemaVersionException.class, () -> SchemaMigrations.migrate(journal));
    assertTrue(refused.getMessage().contains("is at version 99, newer than this Tasker knows (5)"),
        refused.getMessage());
    assertEquals(before, ReleasedSchema.history(journal));
    assertTrue(ReleasedSchema.hasTable(journal, "tasker_from_a_newer_tasker"));
    assertThrows(SchemaMigrations.SchemaVersionException.class,
        () -> SchemaMigrations.validate(journal));
  }

  @Test
  void validateRefusesADatabaseNotYetMigratedAndOffLeavesItAlone() throws Exception {
    JournalSettings off = h2(JournalSettings.Migrate.OFF);
    ReleasedSchema.create010(off);
    SchemaMigrations.apply(off);
    assertEquals(List.of(), ReleasedSchema.history(off));

    JournalSettings validate = new JournalSettings(off.url(), off.user(), off.password(),
        off.poolSize(), JournalSettings.Migrate.VALIDATE);
    SchemaMigrations.SchemaVersionException refused = assertThrows(
        SchemaMigrations.SchemaVersionException.class, () -> SchemaMigrations.apply(validate));
    assertTrue(refused.getMessage().contains("tasker.journal.migrate"), refused.getMessage());
    assertFalse(refused.getMessage().contains("newer"), refused.getMessage());
    assertEquals(List.of(), ReleasedSchema.history(off));

    SchemaMigrations.migrate(off);
    SchemaMigrations.apply(validate);
  }
}
