package io.tasker.node.journal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

/** Creates the journal's tables if they are missing; safe to run at every start. */
public final class SchemaInitializer {
  private SchemaInitializer() {}

  private static final String TASK_INDEX_SCHEMA = "task-index-schema.sql";
  /** An arbitrary advisory-lock key of Tasker's schema creation ("TASK" in ASCII). */
  private static final long SCHEMA_LOCK = 0x5441534BL;

  public static void ensureSchema(JournalSettings settings) {
    String script = readScript(settings.dialect().schemaResource) + ";\n"
        + readScript(TASK_INDEX_SCHEMA);
    try (Connection connection =
            DriverManager.getConnection(settings.url(), settings.user(), settings.password());
        Statement statement = connection.createStatement()) {
      Jdbc.inTransaction(connection, () -> {
        if (settings.dialect() == JournalSettings.Dialect.POSTGRES) {
          // nodes starting together would race: concurrent CREATE ... IF NOT EXISTS of one table
          // can fail in PostgreSQL's catalog (pg_type_typname_nsp_index); one at a time instead
          statement.execute("SELECT pg_advisory_xact_lock(" + SCHEMA_LOCK + ")");
        }
        for (String sql : script.replaceAll("(?m)^--.*$", "").split(";")) {
          if (!sql.isBlank()) {
            statement.execute(sql);
          }
        }
      });
    } catch (SQLException e) {
      throw new IllegalStateException(
          "cannot create the journal schema at " + settings.url() + ": " + e.getMessage(), e);
    }
  }

  private static String readScript(String name) {
    try (InputStream in = SchemaInitializer.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("schema script " + name + " is missing from the jar");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
