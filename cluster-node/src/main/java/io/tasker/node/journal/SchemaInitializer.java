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

  public static void ensureSchema(JournalSettings settings) {
    String script = readScript(settings.dialect().schemaResource) + ";\n"
        + readScript(TASK_INDEX_SCHEMA);
    try (Connection connection =
            DriverManager.getConnection(settings.url(), settings.user(), settings.password());
        Statement statement = connection.createStatement()) {
      for (String sql : script.replaceAll("(?m)^--.*$", "").split(";")) {
        if (!sql.isBlank()) {
          statement.execute(sql);
        }
      }
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
