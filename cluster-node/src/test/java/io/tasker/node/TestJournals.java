package io.tasker.node;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.Set;

/**
 * Journals for tests, by name: the same name gives the same journal (for restart tests), a new
 * name a fresh one. PostgreSQL is a real server, started once per test JVM.
 */
final class TestJournals {
  private static Path h2Root;
  private static EmbeddedPostgres postgres;
  private static final Set<String> databases = new HashSet<>();

  private TestJournals() {}

  static synchronized TaskerBuilder h2(TaskerBuilder builder, String name) {
    return builder.dataDir(h2Dir(name));
  }

  /** @return the JDBC URL of the H2 journal {@link #h2} gives a node */
  static synchronized String h2Url(String name) {
    return io.tasker.node.journal.JournalSettings.h2Url(h2Dir(name));
  }

  private static Path h2Dir(String name) {
    try {
      if (h2Root == null) {
        h2Root = Files.createTempDirectory("tasker-h2-");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return h2Root.resolve(name);
  }

  static synchronized TaskerBuilder postgres(TaskerBuilder builder, String name) {
    return builder.journal(postgresUrl(name), "postgres", "");
  }

  /** @return the JDBC URL of a PostgreSQL database named {@code name}, created if new */
  static synchronized String postgresUrl(String name) {
    try {
      if (postgres == null) {
        postgres = EmbeddedPostgres.start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
          try {
            postgres.close();
          } catch (IOException ignored) {
            // the JVM is going away
          }
        }));
      }
      if (databases.add(name)) {
        try (Connection connection = postgres.getPostgresDatabase().getConnection();
            Statement statement = connection.createStatement()) {
          statement.execute("CREATE DATABASE \"" + name + "\"");
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    return "jdbc:postgresql://localhost:" + postgres.getPort() + "/" + name
        + "?reWriteBatchedInserts=true";
  }
}
