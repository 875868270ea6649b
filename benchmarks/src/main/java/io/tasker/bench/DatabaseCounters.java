package io.tasker.bench;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one database of a PostgreSQL server did: statements executed and rows they touched (from
 * {@code pg_stat_statements}, which the server must preload: {@link #PRELOAD}), commits and
 * rows inserted, updated and deleted (from {@code pg_stat_database}). Take a {@link #snapshot}
 * before and after a workload; {@link Snapshot#perTask} gives the difference per task. The
 * statistics are gathered asynchronously by PostgreSQL: {@code pg_stat_database} lags by up to
 * its flush interval, so snapshot after the workload's last commit and a short settle.
 */
public final class DatabaseCounters {
  /** The server setting that makes {@code pg_stat_statements} available. */
  public static final Map<String, String> PRELOAD =
      Map.of("shared_preload_libraries", "pg_stat_statements",
          "pg_stat_statements.track", "all", "pg_stat_statements.track_planning", "on");

  private DatabaseCounters() {}

  /** Counters of one database at one moment. */
  public record Snapshot(long statements, long statementRows, long commits, long inserted,
      long updated, long deleted) {

    /** @return the difference to {@code before}, per task, keyed by a short name */
    public Map<String, Double> perTask(Snapshot before, long tasks) {
      Map<String, Double> per = new LinkedHashMap<>();
      per.put("sql_statements_per_task", (statements - before.statements) / (double) tasks);
      per.put("sql_rows_per_task", (statementRows - before.statementRows) / (double) tasks);
      per.put("sql_commits_per_task", (commits - before.commits) / (double) tasks);
      per.put("rows_written_per_task",
          (inserted + updated + deleted - before.inserted - before.updated - before.deleted)
              / (double) tasks);
      return per;
    }
  }

  /**
   * Installs the extension in the database {@code connection} points at (once per database;
   * a no-op when installed).
   */
  public static void install(Connection connection) throws SQLException {
    try (Statement statement = connection.createStatement()) {
      statement.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
    }
  }

  /**
   * @param connection a connection to any database with the extension installed
   * @param database the database whose counters to read
   */
  public static Snapshot snapshot(Connection connection, String database) throws SQLException {
    try (Statement flush = connection.createStatement()) {
      // PostgreSQL 15+: statistics flush at most every second; make them current for this read
      flush.execute("SELECT pg_stat_clear_snapshot()");
    }
    long statements;
    long statementRows;
    try (PreparedStatement query = connection.prepareStatement(
        "SELECT coalesce(sum(calls), 0), coalesce(sum(rows), 0) FROM pg_stat_statements s"
            + " JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = ?"
            + " AND s.query NOT LIKE '%pg_stat%'")) {
      query.setString(1, database);
      try (ResultSet row = query.executeQuery()) {
        row.next();
        statements = row.getLong(1);
        statementRows = row.getLong(2);
      }
    }
    try (PreparedStatement query = connection.prepareStatement(
        "SELECT xact_commit, tup_inserted, tup_updated, tup_deleted FROM pg_stat_database"
            + " WHERE datname = ?")) {
      query.setString(1, database);
      try (ResultSet row = query.executeQuery()) {
        if (!row.next()) {
          throw new SQLException("no database " + database);
        }
        return new Snapshot(statements, statementRows, row.getLong(1), row.getLong(2),
            row.getLong(3), row.getLong(4));
      }
    }
  }

  /**
   * @return the statements of {@code database} that took the most time (execution and planning),
   *     longest first, each as "µs per task (calls per task, rows per call): text", at most
   *     {@code limit}; the text cut to 90 characters
   */
  public static List<String> heaviest(Connection connection, String database, long tasks,
      int limit) throws SQLException {
    List<String> lines = new ArrayList<>();
    try (PreparedStatement query = connection.prepareStatement(
        "SELECT total_exec_time + total_plan_time, calls, rows, query FROM pg_stat_statements s"
            + " JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = ?"
            + " AND s.query NOT LIKE '%pg_stat%'"
            + " ORDER BY total_exec_time + total_plan_time DESC LIMIT ?")) {
      query.setString(1, database);
      query.setInt(2, limit);
      try (ResultSet row = query.executeQuery()) {
        while (row.next()) {
          long calls = row.getLong(2);
          String text = row.getString(4).replaceAll("\\s+", " ");
          lines.add(String.format("%.1f µs (%.3f calls, %.0f rows per call): %s",
              row.getDouble(1) * 1e3 / tasks, calls / (double) tasks,
              calls == 0 ? 0.0 : row.getLong(3) / (double) calls,
              text.length() > 90 ? text.substring(0, 90) + "…" : text));
        }
      }
    }
    return lines;
  }
}
