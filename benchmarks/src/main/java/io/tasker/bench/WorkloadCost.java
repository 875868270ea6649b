package io.tasker.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;

/**
 * What one workload cost, per task: CPU of the system's JVM (this process), CPU of PostgreSQL
 * (the postmaster and its children, from /proc), SQL statements, rows and commits in the
 * workload's database ({@link DatabaseCounters}), and actor messages ({@link CountingMailbox},
 * Tasker only). {@link #begin} before the first enqueue; {@link #settled} once every outcome is
 * stored; {@link #end} after the system is closed (its connections gone, so PostgreSQL has
 * flushed their statistics).
 */
final class WorkloadCost {
  /** USER_HZ: the unit of CPU times in /proc/[pid]/stat on Linux. */
  private static final double TICK_NANOS = 1e9 / 100;

  private final String adminUrl;
  private final String database;
  private final long postmaster;
  private final long cpuStart;
  private final ThreadCpu threadsStart;
  private final double pgCpuStart;
  private final long messagesStart;
  private final DatabaseCounters.Snapshot dbStart;
  private final long[] indexUpdatesStart;
  private final long checkpointBuffersStart;
  private long cpuSettled = -1;
  private ThreadCpu threadsSettled;
  private long messagesSettled;

  private WorkloadCost(String adminUrl, String database) throws Exception {
    this.adminUrl = adminUrl;
    this.database = database;
    try (Connection c = admin(); Statement s = c.createStatement();
        ResultSet r = s.executeQuery("SELECT pg_backend_pid()")) {
      r.next();
      postmaster = parentPid(r.getLong(1));
      dbStart = countersOrNull(c, database);
    }
    indexUpdatesStart = indexUpdates();
    checkpointBuffersStart = checkpointBuffersWritten();
    pgCpuStart = postgresCpuNanos();
    messagesStart = CountingMailbox.ENQUEUED.sum();
    cpuStart = processCpuNanos();
    threadsStart = ThreadCpu.snapshot();
  }

  static WorkloadCost begin(String adminUrl, String database) throws Exception {
    return new WorkloadCost(adminUrl, database);
  }

  /** The workload's last outcome is stored: this JVM's CPU and the messages stop counting. */
  void settled() {
    cpuSettled = processCpuNanos();
    threadsSettled = ThreadCpu.snapshot();
    messagesSettled = CountingMailbox.ENQUEUED.sum();
  }

  /** Puts {@code <workload>.<cost>_per_task} into results; call after the system is closed. */
  void end(String workload, long tasks, Map<String, Object> results, boolean countsMessages)
      throws Exception {
    if (cpuSettled < 0) {
      return; // the workload did not finish: no honest figure
    }
    results.put(workload + ".cpu_us_per_task", (cpuSettled - cpuStart) / 1e3 / tasks);
    results.put(workload + ".jit_us_per_task",
        threadsSettled.jitPerTaskSince(threadsStart, tasks));
    results.put(workload + ".threads_cpu_us_per_task",
        threadsSettled.perTaskSince(threadsStart, tasks));
    results.put(workload + ".pg_cpu_us_per_task", (postgresCpuNanos() - pgCpuStart) / 1e3 / tasks);
    results.put(workload + ".checkpoint_buffers_written",
        checkpointBuffersWritten() - checkpointBuffersStart);
    if (dbStart == null) {
      return; // pg_stat_statements not loaded (a server without DatabaseCounters.PRELOAD)
    }
    try (Connection c = admin()) {
      // commits of closed connections reach pg_stat_database when the backend exits: wait until
      // two reads agree (at most ~5 s)
      DatabaseCounters.Snapshot last = DatabaseCounters.snapshot(c, database);
      for (int i = 0; i < 25; i++) {
        Thread.sleep(200);
        DatabaseCounters.Snapshot now = DatabaseCounters.snapshot(c, database);
        if (now.equals(last)) {
          break;
        }
        last = now;
      }
      last.perTask(dbStart, tasks).forEach((k, v) -> results.put(workload + "." + k, v));
      results.put(workload + ".heaviest_statements",
          DatabaseCounters.heaviest(c, database, tasks, 6));
    }
    long[] updates = indexUpdates();
    long all = updates[0] - indexUpdatesStart[0];
    results.put(workload + ".task_index_updates_per_task", all / (double) tasks);
    results.put(workload + ".task_index_hot_ratio",
        all == 0 ? 0.0 : (updates[1] - indexUpdatesStart[1]) / (double) all);
    if (countsMessages) {
      results.put(workload + ".actor_messages_per_task",
          (messagesSettled - messagesStart) / (double) tasks);
    }
  }

  /**
   * @return updates and HOT updates of the task index table so far (zeros before it exists or
   *     for another system), from the workload's own database: pg_stat_user_tables is per database
   */
  private long[] indexUpdates() {
    String url = adminUrl.substring(0, adminUrl.lastIndexOf('/') + 1) + database;
    try (Connection c = DriverManager.getConnection(url, "postgres", "");
        Statement s = c.createStatement()) {
      s.execute("SELECT pg_stat_clear_snapshot()");
      try (ResultSet r = s.executeQuery("SELECT coalesce(sum(n_tup_upd), 0),"
          + " coalesce(sum(n_tup_hot_upd), 0) FROM pg_stat_user_tables"
          + " WHERE relname = 'tasker_task_index'")) {
        r.next();
        return new long[] {r.getLong(1), r.getLong(2)};
      }
    } catch (java.sql.SQLException e) {
      return new long[] {0, 0};
    }
  }

  /**
   * @return the buffers PostgreSQL's checkpoints wrote so far, server-wide: none during a
   *     workload means no checkpoint's writes fell into it (see PeerRun's checkpoint before each)
   */
  private long checkpointBuffersWritten() {
    try (Connection c = admin(); Statement s = c.createStatement()) {
      s.execute("SELECT pg_stat_clear_snapshot()");
      try (ResultSet r = s.executeQuery("SELECT buffers_written FROM pg_stat_checkpointer")) {
        r.next();
        return r.getLong(1);
      }
    } catch (Exception e) {
      return -1; // before PostgreSQL 17 (pg_stat_checkpointer)
    }
  }

  private static DatabaseCounters.Snapshot countersOrNull(Connection c, String database) {
    try {
      return DatabaseCounters.snapshot(c, database);
    } catch (java.sql.SQLException e) {
      return null;
    }
  }

  static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean)
        ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  private Connection admin() throws Exception {
    return DriverManager.getConnection(adminUrl, "postgres", "");
  }

  /**
   * CPU of the postmaster, its live children and (through cutime/cstime) the children it has
   * reaped: all of PostgreSQL's CPU since it started, 0 where there is no /proc.
   */
  private double postgresCpuNanos() throws IOException {
    if (postmaster <= 0) {
      return 0;
    }
    long ticks = 0;
    try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
      for (Path proc : procs) {
        long[] stat = stat(proc);
        if (stat != null && (stat[0] == postmaster || stat[1] == postmaster)) {
          ticks += stat[2];
        }
      }
    }
    return ticks * TICK_NANOS;
  }

  private static long parentPid(long pid) {
    long[] stat = stat(Path.of("/proc", Long.toString(pid)));
    return stat == null ? -1 : stat[1];
  }

  /** @return pid, ppid and utime+stime+cutime+cstime in ticks, or null if it is gone */
  private static long[] stat(Path proc) {
    try {
      String line = Files.readString(proc.resolve("stat"));
      // after the command in parentheses: state ppid ... field 14-17 utime stime cutime cstime
      String[] f = line.substring(line.lastIndexOf(')') + 2).split(" ");
      return new long[] {Long.parseLong(proc.getFileName().toString()), Long.parseLong(f[1]),
          Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13])
              + Long.parseLong(f[14])};
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }
}
