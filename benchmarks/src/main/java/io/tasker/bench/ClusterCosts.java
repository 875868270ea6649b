package io.tasker.bench;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * What draining the same work costs a cluster of node processes on one PostgreSQL, for a
 * scale-out projection: CPU time of the node processes and, separately, of PostgreSQL (the
 * postmaster and its children, exited ones included through the postmaster's children's time),
 * from {@code /proc/<pid>/stat}; messages and bytes the nodes sent each other (counted by
 * {@link RemoteMessageCounter} in every node); statements, rows and commits of the database
 * ({@link DatabaseCounters}). Take a {@link #snapshot} before and after; {@link #perTask} gives
 * the differences per task.
 */
final class ClusterCosts {
  private static final long TICKS_PER_SECOND = 100; // getconf CLK_TCK on Linux x86-64

  private ClusterCosts() {}

  /** Counters at one moment. */
  record Snapshot(long nanos, long nodeTicks, long postgresTicks, Map<String, Long> remote,
      DatabaseCounters.Snapshot database) {}

  /**
   * @param nodePids the node processes
   * @param nodeDirs their data directories (where {@link RemoteMessageCounter} writes)
   * @param admin a connection to the server (any database with pg_stat_statements installed)
   * @param database the database the nodes use
   */
  static Snapshot snapshot(List<Long> nodePids, List<Path> nodeDirs, Connection admin,
      String database) throws IOException, SQLException {
    long nodeTicks = 0;
    for (long pid : nodePids) {
      nodeTicks += ticks(pid, false);
    }
    Map<String, Long> remote = new HashMap<>();
    for (Path dir : nodeDirs) {
      Properties counts = new Properties();
      try {
        counts.load(new StringReader(Files.readString(dir.resolve(RemoteMessageCounter.FILE))));
      } catch (NoSuchFileException e) {
        continue; // a single node sends nothing remote (and may not have written yet)
      }
      counts.forEach((k, v) -> remote.merge((String) k, Long.parseLong((String) v), Long::sum));
    }
    return new Snapshot(System.nanoTime(), nodeTicks, postgresTicks(admin), remote,
        DatabaseCounters.snapshot(admin, database));
  }

  /**
   * @param pollStatements statements the benchmark itself ran on {@code database} between the
   *     snapshots (its progress polls), left out of the per-task figures
   */
  static ObjectNode perTask(Snapshot before, Snapshot after, long tasks, long pollStatements) {
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    double seconds = (after.nanos - before.nanos) / 1e9;
    o.put("seconds", round(seconds));
    double nodeMicros = (after.nodeTicks - before.nodeTicks) * 1e6 / TICKS_PER_SECOND;
    double pgMicros = (after.postgresTicks - before.postgresTicks) * 1e6 / TICKS_PER_SECOND;
    o.put("nodes_cpu_us_per_task", round(nodeMicros / tasks));
    o.put("postgres_cpu_us_per_task", round(pgMicros / tasks));
    o.put("nodes_cpu_cores_busy", round(nodeMicros / 1e6 / seconds));
    o.put("postgres_cpu_cores_busy", round(pgMicros / 1e6 / seconds));
    for (String key : List.of("sent", "sent_bytes", "received")) {
      long diff = after.remote.getOrDefault(key, 0L) - before.remote.getOrDefault(key, 0L);
      o.put("remote_" + key + "_per_task", round(diff / (double) tasks));
    }
    ObjectNode byClass = o.putObject("remote_sent_by_class_per_task");
    after.remote.entrySet().stream().filter(e -> e.getKey().startsWith("class."))
        .map(e -> Map.entry(e.getKey().substring("class.".length()),
            e.getValue() - before.remote.getOrDefault(e.getKey(), 0L)))
        .filter(e -> e.getValue() > 0)
        .sorted((a, b) -> Long.compare(b.getValue(), a.getValue())).limit(12)
        .forEach(e -> byClass.put(e.getKey(), round(e.getValue() / (double) tasks)));
    DatabaseCounters.Snapshot polls = new DatabaseCounters.Snapshot(
        before.database.statements() + pollStatements,
        before.database.statementRows() + pollStatements, before.database.commits() + pollStatements,
        before.database.inserted(), before.database.updated(), before.database.deleted());
    after.database.perTask(polls, tasks).forEach((k, v) -> o.put(k, round(v)));
    return o;
  }

  /** @return the CPU time PostgreSQL has used so far, in µs (see {@link #postgresTicks}) */
  static long postgresCpuMicros(Connection admin) {
    try {
      return postgresTicks(admin) * 1_000_000 / TICKS_PER_SECOND;
    } catch (IOException | SQLException e) {
      throw new IllegalStateException("PostgreSQL's CPU time", e);
    }
  }

  /** CPU ticks of PostgreSQL: the postmaster (with its exited children) and its live children. */
  private static long postgresTicks(Connection admin) throws IOException, SQLException {
    long backend;
    try (Statement s = admin.createStatement();
        ResultSet r = s.executeQuery("SELECT pg_backend_pid()")) {
      r.next();
      backend = r.getLong(1);
    }
    long postmaster = Long.parseLong(statFields(backend)[1]);
    long[] total = {ticks(postmaster, true)};
    ProcessHandle.of(postmaster).ifPresent(p -> p.children().forEach(child -> {
      try {
        total[0] += ticks(child.pid(), false);
      } catch (IOException exited) {
        // gone between listing and reading: its time is in the postmaster's children's time
      }
    }));
    return total[0];
  }

  /** utime + stime (+ cutime + cstime: waited-for children) of a process, in clock ticks. */
  private static long ticks(long pid, boolean withChildren) throws IOException {
    String[] f = statFields(pid);
    long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
    return withChildren ? ticks + Long.parseLong(f[13]) + Long.parseLong(f[14]) : ticks;
  }

  /** The fields of /proc/pid/stat after the command name: [0] state, [1] ppid, [11] utime. */
  private static String[] statFields(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    return stat.substring(stat.lastIndexOf(')') + 2).split(" ");
  }

  private static double round(double value) {
    return Math.round(value * 100) / 100.0;
  }
}
