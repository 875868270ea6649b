package io.tasker.bench;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Where {@link PagedLifecycleBound}'s costs went between two moments: PostgreSQL's time per
 * statement text, from {@code pg_stat_statements} (see {@link DatabaseCounters}; execution time
 * is wall time in the server, which with fsync off is mostly its CPU), and this JVM's CPU per
 * Java thread (the rest of the process's CPU is the VM's own threads: GC, JIT).
 */
final class PagedCosts {
  /** Calls and milliseconds of one statement text. */
  record Times(String query, long calls, double millis) {}

  private final Map<String, Times> start;
  private final Map<Long, Long> threadStart = threadCpu();
  private final long[] vmStart = vm();

  private PagedCosts(Map<String, Times> start) {
    this.start = start;
  }

  static PagedCosts begin(Connection admin, String database) throws SQLException {
    return new PagedCosts(read(admin, database));
  }

  /** @return CPU nanoseconds of each live Java thread by name (numbered if names repeat) */
  Map<String, Long> threadsSince() {
    java.lang.management.ThreadMXBean bean = java.lang.management.ManagementFactory.getThreadMXBean();
    Map<String, Long> spent = new HashMap<>();
    threadCpu().forEach((id, nanos) -> {
      java.lang.management.ThreadInfo info = bean.getThreadInfo(id);
      String name = info == null ? "gone-" + id : info.getThreadName().replaceAll("-?\\d+$", "-*");
      spent.merge(name, nanos - threadStart.getOrDefault(id, 0L), Long::sum);
    });
    return spent;
  }

  private static Map<Long, Long> threadCpu() {
    java.lang.management.ThreadMXBean bean = java.lang.management.ManagementFactory.getThreadMXBean();
    Map<Long, Long> cpu = new HashMap<>();
    for (long id : bean.getAllThreadIds()) {
      long nanos = bean.getThreadCpuTime(id);
      if (nanos >= 0) {
        cpu.put(id, nanos);
      }
    }
    return cpu;
  }

  /** @return the statements that ran since {@link #begin}, the most time first */
  List<Times> since(Connection admin, String database) throws SQLException {
    List<Times> spent = new ArrayList<>();
    for (Times now : read(admin, database).values()) {
      Times before = start.getOrDefault(now.query(), new Times(now.query(), 0, 0));
      if (now.calls() > before.calls()) {
        spent.add(new Times(now.query(), now.calls() - before.calls(),
            now.millis() - before.millis()));
      }
    }
    spent.sort((a, b) -> Double.compare(b.millis(), a.millis()));
    return spent;
  }

  private static Map<String, Times> read(Connection admin, String database) throws SQLException {
    Map<String, Times> times = new HashMap<>();
    try (PreparedStatement query = admin.prepareStatement(
        "SELECT s.query, sum(s.calls), sum(s.total_exec_time + s.total_plan_time)"
            + " FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid"
            + " WHERE d.datname = ? AND s.query NOT LIKE '%pg_stat%' GROUP BY s.query")) {
      query.setString(1, database);
      try (ResultSet rs = query.executeQuery()) {
        while (rs.next()) {
          times.put(rs.getString(1), new Times(rs.getString(1), rs.getLong(2), rs.getDouble(3)));
        }
      }
    }
    return times;
  }

  /** Prints where the JVM's CPU (by thread) and PostgreSQL's statement time went, per task. */
  void print(Connection admin, String database, Map<String, Long> byThread, double jvmUs, int n,
      long pages) throws SQLException {
    long javaThreads = byThread.values().stream().mapToLong(Long::longValue).sum();
    StringBuilder line = new StringBuilder("  JVM CPU µs/task by thread:");
    byThread.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue(), a.getValue()))
        .limit(6).forEach(e -> line.append(String.format(" %s %.0f;", e.getKey(),
            e.getValue() / 1e3 / n)));
    long[] vm = vm();
    line.append(String.format(" VM threads (GC, JIT) %.0f [%d GCs, %d ms paused/collecting;"
            + " JIT %d ms]", jvmUs - javaThreads / 1e3 / n, vm[0] - vmStart[0],
        vm[1] - vmStart[1], vm[2] - vmStart[2]));
    System.out.println(line);
    System.out.println("  PostgreSQL time µs/task by statement (calls per page):");
    List<Times> spent = since(admin, database);
    for (Times t : spent.subList(0, Math.min(6, spent.size()))) {
      String sql = t.query().replaceAll("\\s+", " ");
      System.out.printf("    %5.0f  (%.2f)  %s%n", t.millis() * 1e3 / n,
          t.calls() / (double) Math.max(1, pages), sql.substring(0, Math.min(110, sql.length())));
    }
  }

  /** @return the plan of the claim statement, on one line */
  static String explain(Connection connection, String claimSql, String queue, int page)
      throws SQLException {
    try (PreparedStatement explain = connection.prepareStatement("EXPLAIN " + claimSql)) {
      explain.setString(1, queue);
      explain.setObject(2, java.time.OffsetDateTime.now(java.time.ZoneOffset.UTC));
      explain.setInt(3, page);
      StringBuilder plan = new StringBuilder();
      try (ResultSet rs = explain.executeQuery()) {
        while (rs.next()) {
          plan.append(plan.length() > 0 ? " | " : "").append(rs.getString(1).trim());
        }
      }
      return plan.toString();
    }
  }

  /** Prints one Markdown row per run of {@link PagedLifecycleBound}. */
  static void table(List<Map<String, Object>> rows, int inFlight) {
    System.out.println("| P | in flight | tasks/s | JVM CPU µs/task (page SQL / codec+fold"
        + " / handler pool / rest) | PostgreSQL CPU µs/task | SQL statements/task"
        + " | rows written/task | commits/task | verified |");
    System.out.println("|---|---|---|---|---|---|---|---|---|");
    for (Map<String, Object> r : rows) {
      double jvm = (double) r.get("run.cpu_us_per_task");
      double sql = (double) r.get("sql_cpu_us");
      double codec = (double) r.get("codec_cpu_us");
      double handlers = (double) r.get("handler_cpu_us");
      System.out.printf("| %s | %d | %,.0f | %.0f (%.0f / %.0f / %.0f / %.0f) | %.0f | %.3f"
              + " | %.2f | %.4f | %s |%n", r.get("page"), inFlight, r.get("per_s"), jvm, sql,
          codec, handlers, jvm - sql - codec - handlers, r.get("run.pg_cpu_us_per_task"),
          r.get("run.sql_statements_per_task"), r.get("run.rows_written_per_task"),
          r.get("run.sql_commits_per_task"), r.get("verified"));
    }
  }

  static String show(java.sql.Statement s, String setting) throws SQLException {
    try (ResultSet rs = s.executeQuery("SHOW " + setting)) {
      rs.next();
      return rs.getString(1);
    }
  }

  static double loadAverage() {
    return java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
  }

  /** @return collections, milliseconds collecting, milliseconds compiling (JIT) so far */
  private static long[] vm() {
    long count = 0;
    long millis = 0;
    for (var gc : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
      count += Math.max(0, gc.getCollectionCount());
      millis += Math.max(0, gc.getCollectionTime());
    }
    var jit = java.lang.management.ManagementFactory.getCompilationMXBean();
    return new long[] {count, millis, jit == null ? 0 : jit.getTotalCompilationTime()};
  }

  /**
   * Waits (at most 30 s) until the JIT compiles less than 20 ms a second: compiling what the
   * setup's node ran would otherwise count against the timed part. @return milliseconds waited
   */
  static long awaitQuietJit() throws InterruptedException {
    var jit = java.lang.management.ManagementFactory.getCompilationMXBean();
    long start = System.currentTimeMillis();
    long last = vm()[2];
    while (jit != null && System.currentTimeMillis() - start < 30_000) {
      Thread.sleep(1000);
      long now = vm()[2];
      if (now - last < 20) {
        break;
      }
      last = now;
    }
    return System.currentTimeMillis() - start;
  }
}
