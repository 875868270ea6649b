package io.tasker.bench;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.concurrent.CountDownLatch;

/**
 * A real PostgreSQL server for local clusters and benchmarks, with nothing to install: {@code
 * PostgresServer <port> <data-dir>} starts it (data kept across runs), creates database {@code
 * tasker}, prints its JDBC URL and runs until stopped.
 */
public final class PostgresServer {
  private PostgresServer() {}

  public static void main(String[] args) throws Exception {
    int port = args.length > 0 ? Integer.parseInt(args[0]) : 5432;
    Path dataDir = Path.of(args.length > 1 ? args[1] : "postgres-data").toAbsolutePath();
    EmbeddedPostgres postgres = EmbeddedPostgres.builder()
        .setPort(port)
        .setDataDirectory(dataDir)
        .setCleanDataDirectory(false)
        .start();
    try (Connection connection = postgres.getPostgresDatabase().getConnection();
        Statement statement = connection.createStatement()) {
      try (ResultSet exists = statement.executeQuery(
          "SELECT 1 FROM pg_database WHERE datname = 'tasker'")) {
        if (!exists.next()) {
          statement.execute("CREATE DATABASE tasker");
        }
      }
    }
    System.out.println("jdbc:postgresql://localhost:" + port + "/tasker?reWriteBatchedInserts=true"
        + " user=postgres (no password), data in " + dataDir);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        postgres.close();
      } catch (Exception ignored) {
        // exiting anyway
      }
      stopped.countDown();
    }));
    stopped.await();
  }
}
