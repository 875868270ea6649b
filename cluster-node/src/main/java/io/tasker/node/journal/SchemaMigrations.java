package io.tasker.node.journal;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.Optional;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationState;
import org.flywaydb.core.api.MigrationVersion;
import org.flywaydb.core.api.exception.FlywayValidateException;
import org.flywaydb.core.api.output.MigrateResult;
import org.flywaydb.core.api.output.ValidateResult;

/**
 * Brings the database to the schema this Tasker expects, with Flyway: the scripts under
 * {@code db/migration/tasker/<h2|postgresql>/} in this jar, recorded in {@code
 * tasker_schema_history}, in the connection's current schema.
 *
 * <p>A database created before migrations existed (Tasker 0.1.0 created its tables without a
 * history) is adopted as version 1, whose script is that schema: its later versions run, nothing
 * is recreated (a schema holding only other programs' tables gets a baseline at 0, then version 1).
 * A database migrated by a newer Tasker (a version this jar does not know) fails the start and is
 * left as it is.
 *
 * <p>Nodes starting together take turns: on PostgreSQL under an advisory lock held for the
 * whole run (Flyway's own lock covers each migration, not its decision to adopt a database), on
 * H2 (one process per file) under a lock of this JVM, since Flyway's lock on H2 is a row lock on
 * a history that may still be empty.
 */
public final class SchemaMigrations {
  private SchemaMigrations() {}

  /** Flyway's history of Tasker's schema. */
  public static final String HISTORY_TABLE = "tasker_schema_history";
  /** An arbitrary advisory-lock key of Tasker's migrations ("TASK" in ASCII). */
  private static final long MIGRATION_LOCK = 0x5441534BL;
  private static final Object IN_THIS_JVM = new Object();
  /** A table of version 1 that no other program has: its presence marks a Tasker database. */
  private static final String TASKER_TABLE = "tasker_task_index";

  /** The schema is not at the version this Tasker expects, and was not changed. */
  public static final class SchemaVersionException extends IllegalStateException {
    SchemaVersionException(String message) {
      super(message);
    }
  }

  /** Does what {@link JournalSettings#migrate()} says. */
  public static void apply(JournalSettings settings) {
    switch (settings.migrate()) {
      case ON -> migrate(settings);
      case VALIDATE -> validate(settings);
      case OFF -> { }
    }
  }

  /**
   * Applies the pending migrations, adopting a database created before migrations.
   *
   * @return what Flyway did
   * @throws SchemaVersionException if the database was migrated by a newer Tasker
   * @throws IllegalStateException if the database cannot be reached or a migration fails
   */
  public static MigrateResult migrate(JournalSettings settings) {
    if (settings.dialect() == JournalSettings.Dialect.H2) {
      synchronized (IN_THIS_JVM) {
        return migrateInTurn(settings);
      }
    }
    return migrateInTurn(settings);
  }

  private static MigrateResult migrateInTurn(JournalSettings settings) {
    try (Connection lock = connect(settings)) { // closing it releases the advisory lock
      if (settings.dialect() == JournalSettings.Dialect.POSTGRES) {
        execute(lock, "SELECT pg_advisory_lock(" + MIGRATION_LOCK + ")");
      }
      Flyway flyway = flyway(settings, hasTable(lock, TASKER_TABLE) ? "1" : "0");
      try {
        return flyway.migrate();
      } catch (FlywayValidateException e) {
        throw mismatch(flyway, settings, e.getMessage());
      } catch (FlywayException e) {
        throw new IllegalStateException(
            "cannot migrate the schema at " + settings.url() + ": " + e.getMessage(), e);
      }
    } catch (SQLException e) {
      throw new IllegalStateException(
          "cannot migrate the schema at " + settings.url() + ": " + e.getMessage(), e);
    }
  }

  /**
   * Checks that every migration of this Tasker, and no other, has been applied.
   *
   * @throws SchemaVersionException if not
   */
  public static void validate(JournalSettings settings) {
    Flyway flyway = flyway(settings, "1");
    ValidateResult result;
    try {
      result = flyway.validateWithResult();
    } catch (FlywayException e) {
      throw new IllegalStateException(
          "cannot validate the schema at " + settings.url() + ": " + e.getMessage(), e);
    }
    if (!result.validationSuccessful) {
      throw mismatch(flyway, settings, result.getAllErrorMessages());
    }
  }

  /** @return the class-path location of the migrations for {@code dialect} */
  public static String location(JournalSettings.Dialect dialect) {
    return "classpath:db/migration/tasker/" + dialect.migrations;
  }

  private static Flyway flyway(JournalSettings settings, String baselineVersion) {
    return Flyway.configure(SchemaMigrations.class.getClassLoader())
        .dataSource(settings.url(), settings.user(), settings.password())
        .locations(location(settings.dialect()))
        .table(HISTORY_TABLE)
        .baselineOnMigrate(true)
        .baselineVersion(baselineVersion)
        .baselineDescription("Tasker 0.1.0 schema, created before migrations")
        // Flyway ignores applied versions it does not know by default; a newer Tasker's must fail
        .ignoreMigrationPatterns(new String[0])
        .loggers("slf4j")
        .load();
  }

  private static SchemaVersionException mismatch(
      Flyway flyway, JournalSettings settings, String details) {
    MigrationInfo[] all = flyway.info().all();
    Optional<MigrationVersion> future = Arrays.stream(all)
        .filter(SchemaMigrations::isFuture).map(MigrationInfo::getVersion)
        .max(MigrationVersion::compareTo);
    if (future.isPresent()) {
      // without Flyway's details: they suggest a repair, which would corrupt the history
      String known = Arrays.stream(all).filter(m -> !isFuture(m) && m.getVersion() != null)
          .map(MigrationInfo::getVersion).max(MigrationVersion::compareTo)
          .map(MigrationVersion::toString).orElse("none");
      return new SchemaVersionException("the schema at " + settings.url() + " is at version "
          + future.get() + ", newer than this Tasker knows (" + known + "): a newer Tasker"
          + " migrated it. Run that version (or a newer one) on it; nothing was changed.");
    }
    return new SchemaVersionException("the schema at " + settings.url() + " is not the one this"
        + " Tasker expects (" + details.strip().replaceAll("\\.+$", "") + "). Let a node migrate"
        + " it (tasker.journal.migrate = on) or run the scripts in "
        + location(settings.dialect()) + " with Flyway (history table " + HISTORY_TABLE + ");"
        + " see the README, \"Schema and upgrades\".");
  }

  private static boolean isFuture(MigrationInfo migration) {
    return migration.getState() == MigrationState.FUTURE_SUCCESS
        || migration.getState() == MigrationState.FUTURE_FAILED;
  }

  private static Connection connect(JournalSettings settings) throws SQLException {
    return DriverManager.getConnection(settings.url(), settings.user(), settings.password());
  }

  private static void execute(Connection connection, String sql) throws SQLException {
    try (Statement statement = connection.createStatement()) {
      statement.execute(sql);
    }
  }

  /**
   * Whether {@code table} is visible to the connection (unquoted: upper case on H2). If in doubt,
   * no: then version 1 runs, and its statements leave existing tables alone.
   */
  private static boolean hasTable(Connection connection, String table) {
    try (Statement statement = connection.createStatement()) {
      statement.executeQuery("SELECT 1 FROM " + table + " WHERE 1 = 0").close();
      return true;
    } catch (SQLException missing) {
      return false;
    }
  }
}
