package io.tasker.node.journal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Databases as released Tasker versions left them. Tasker 0.1.0 created its tables at each start
 * from the scripts kept under {@code schema-0.1.0/} (copies, so that upgrade tests keep testing
 * that release whatever becomes of the migrations), with no schema history.
 */
public final class ReleasedSchema {
  private ReleasedSchema() {}

  /** A row of Flyway's history. */
  public record Applied(String version, String type, boolean success) {}

  /** Creates the tables as Tasker 0.1.0 did at its first start. */
  public static void create010(JournalSettings settings) {
    String journal = settings.dialect() == JournalSettings.Dialect.H2
        ? "h2-schema.sql" : "postgres-schema.sql";
    String script = read(journal) + ";\n" + read("task-index-schema.sql");
    try (Connection connection = connect(settings);
        Statement statement = connection.createStatement()) {
      for (String sql : script.replaceAll("(?m)^--.*$", "").split(";")) {
        if (!sql.isBlank()) {
          statement.execute(sql);
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * @return Flyway's history of Tasker's schema, oldest first, or none if it has none; without
   *     the row on H2 that only records the creation of the history table
   */
  public static List<Applied> history(JournalSettings settings) {
    List<Applied> rows = new ArrayList<>();
    try (Connection connection = connect(settings);
        PreparedStatement select = connection.prepareStatement(
            "SELECT \"version\", \"type\", \"success\" FROM \"" + SchemaMigrations.HISTORY_TABLE
                + "\" ORDER BY \"installed_rank\"")) {
      try (ResultSet rs = select.executeQuery()) {
        while (rs.next()) {
          if ("TABLE".equals(rs.getString(2))) {
            continue;
          }
          rows.add(new Applied(rs.getString(1), rs.getString(2), rs.getBoolean(3)));
        }
      }
    } catch (SQLException noHistory) {
      return List.of();
    }
    return rows;
  }

  /** @return whether {@code table} (unquoted) exists */
  public static boolean hasTable(JournalSettings settings, String table) {
    try (Connection connection = connect(settings);
        Statement statement = connection.createStatement()) {
      statement.executeQuery("SELECT 1 FROM " + table + " WHERE 1 = 0").close();
      return true;
    } catch (SQLException missing) {
      return false;
    }
  }

  private static Connection connect(JournalSettings settings) throws SQLException {
    return DriverManager.getConnection(settings.url(), settings.user(), settings.password());
  }

  private static String read(String name) {
    try (InputStream in = ReleasedSchema.class.getResourceAsStream("/schema-0.1.0/" + name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
