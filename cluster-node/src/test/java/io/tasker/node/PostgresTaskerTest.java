package io.tasker.node;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;

/** The node contract on a real PostgreSQL journal (embedded PostgreSQL 17, started here). */
class PostgresTaskerTest extends TaskerContractTest {
  private EmbeddedPostgres postgres;
  private final Set<String> databases = new HashSet<>();

  @Override
  synchronized TaskerBuilder withJournal(TaskerBuilder builder, String name) {
    try {
      if (postgres == null) {
        postgres = EmbeddedPostgres.start();
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
    return builder.journal(
        "jdbc:postgresql://localhost:" + postgres.getPort() + "/" + name
            + "?reWriteBatchedInserts=true",
        "postgres",
        "");
  }

  @AfterAll
  @Override
  void stopNode() {
    super.stopNode();
    if (postgres != null) {
      try {
        postgres.close();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
