package io.tasker.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The table of {@link PeersBenchmark}: the cost per task first (the headline), then rates and
 * lateness; every cell holds each run's value ({@code run 1 / run 2}), every ratio Tasker/peer
 * is per run. Written as Markdown, CSV, JSON and an SVG chart ({@link RatioChart}).
 */
final class PeersReport {
  private static final String[] PEERS = {"db-scheduler", "jobrunr"};
  private static final String[] WORKLOADS = {"drain", "lateness", "burst", "steady"};

  /** A row of the table: key in the results, label, and whether higher is better. */
  record Metric(String key, String label, boolean higherIsBetter) {}

  private static final List<Metric> RATES = List.of(
      new Metric("drain.enqueue_per_s", "1 drain: enqueue, tasks/s (batches, durable)", true),
      new Metric("drain.per_s", "1 drain: drain, tasks/s (first to last execution)", true),
      new Metric("drain.durable_per_s", "1 drain: until all outcomes stored, tasks/s", true),
      new Metric("drain.start_to_first_ms", "1 drain: workers start to first execution, ms", false),
      new Metric("lateness.enqueue_s", "2 lateness: enqueue, s", false),
      new Metric("lateness.acked_after_run_time", "2 lateness: acknowledged after run time", false),
      new Metric("lateness.p50_ms", "2 lateness: p50, ms", false),
      new Metric("lateness.p95_ms", "2 lateness: p95, ms", false),
      new Metric("lateness.p99_ms", "2 lateness: p99, ms", false),
      new Metric("lateness.max_ms", "2 lateness: max, ms", false),
      new Metric("lateness.early", "2 lateness: started before their run time", false),
      new Metric("burst.enqueue_s", "3 burst: enqueue, s", false),
      new Metric("burst.acked_after_run_time", "3 burst: acknowledged after run time", false),
      new Metric("burst.p50_ms", "3 burst: lateness p50, ms", false),
      new Metric("burst.p95_ms", "3 burst: lateness p95, ms", false),
      new Metric("burst.p99_ms", "3 burst: lateness p99, ms", false),
      new Metric("burst.max_ms", "3 burst: lateness max, ms", false),
      new Metric("burst.early", "3 burst: started before their run time", false),
      new Metric("steady.enqueue_per_s", "4 steady: enqueue while running, tasks/s", true),
      new Metric("steady.per_s", "4 steady: completion with 10 % retried, tasks/s", true),
      new Metric("pg.batched_insert_per_s", "5 PostgreSQL batched INSERT, rows/s", true),
      new Metric("pg.single_row_per_s", "5 PostgreSQL single-row commits, rows/s", true),
      new Metric("pg.copy_per_s", "5 PostgreSQL COPY, rows/s", true));

  static final List<Metric> COSTS = costs();

  private final Map<String, Object> run;
  private final Map<String, List<Map<String, Object>>> bySystem;
  private final List<String> failures;
  private final int runs;

  PeersReport(Map<String, Object> run, Map<String, List<Map<String, Object>>> bySystem,
      List<String> failures) {
    this.run = run;
    this.bySystem = bySystem;
    this.failures = failures;
    this.runs = bySystem.values().stream().mapToInt(List::size).max().orElse(0);
  }

  private static List<Metric> costs() {
    List<Metric> costs = new ArrayList<>();
    costs.add(new Metric("drain.enqueue_cpu_us_per_task", "1 drain: enqueue only, CPU µs (JVM)",
        false));
    costs.add(new Metric("drain.enqueue_jit_us_per_task",
        "1 drain: enqueue only, of which JIT compiler threads, CPU µs", false));
    for (int i = 0; i < WORKLOADS.length; i++) {
      String w = WORKLOADS[i];
      String p = (i + 1) + " " + w + (w.equals("drain") ? " (enqueue + drain)" : "") + ": ";
      costs.add(new Metric(w + ".cpu_us_per_task", p + "CPU µs, system's JVM", false));
      costs.add(new Metric(w + ".jit_us_per_task", p + "of which JIT compiler threads, CPU µs", false));
      costs.add(new Metric(w + ".pg_cpu_us_per_task", p + "CPU µs, PostgreSQL", false));
      costs.add(new Metric(w + ".sql_statements_per_task", p + "SQL statements", false));
      costs.add(new Metric(w + ".sql_rows_per_task", p + "rows returned or touched", false));
      costs.add(new Metric(w + ".sql_commits_per_task", p + "commits", false));
      costs.add(new Metric(w + ".rows_written_per_task", p + "rows written", false));
      costs.add(new Metric(w + ".actor_messages_per_task", p + "actor messages", false));
    }
    return costs;
  }

  /** @return the results of run {@code r} (0-based) of every system that has one */
  Map<String, Map<String, Object>> runView(int r) {
    Map<String, Map<String, Object>> view = new LinkedHashMap<>();
    bySystem.forEach((system, results) -> {
      if (r < results.size()) {
        view.put(system, results.get(r));
      }
    });
    return view;
  }

  void write(Path dir, String stamp) throws Exception {
    List<String> columns = new ArrayList<>(bySystem.keySet());
    List<String> ratioPeers = new ArrayList<>();
    for (String peer : PEERS) {
      if (bySystem.containsKey("tasker") && bySystem.containsKey(peer)) {
        ratioPeers.add(peer);
      }
    }
    String perRun = runs > 1 ? "run 1 / run 2" + (runs > 2 ? " / …" : "") : "one run";
    List<String> header = new ArrayList<>(List.of("cost per task (" + perRun + ")"));
    header.addAll(columns);
    ratioPeers.forEach(p -> header.add("tasker/" + p));
    List<String> csvHeader = new ArrayList<>(List.of("metric"));
    for (String system : columns) {
      for (int r = 1; r <= runs; r++) {
        csvHeader.add(system + " run " + r);
      }
    }
    for (String peer : ratioPeers) {
      for (int r = 1; r <= runs; r++) {
        csvHeader.add("tasker/" + peer + " run " + r);
      }
    }
    List<List<String>> csv = new ArrayList<>(List.of(csvHeader));
    List<List<String>> costRows = rows(COSTS, columns, ratioPeers, csv);
    List<String> rateHeader = new ArrayList<>(header);
    rateHeader.set(0, "rates and lateness (" + perRun + ")");
    List<List<String>> rateRows = rows(RATES, columns, ratioPeers, csv);

    String tables = PeersBenchmark.markdown(header, costRows) + '\n'
        + PeersBenchmark.markdown(rateHeader, rateRows);
    StringBuilder text = new StringBuilder();
    text.append("\n== Side by side (ratios: Tasker/peer per run; >1 is better for Tasker on"
        + " rates, <1 on latencies and costs) ==\n");
    text.append("PostgreSQL: ").append(run.get("postgres")).append('\n');
    text.append("JVM flags (every system; tasker ignores bench.threads): ")
        .append(run.get("child_jvm_flags")).append('\n');
    text.append("logging: tasker with the server's logback.xml (as shipped: failed attempts at"
        + " INFO, routine task transitions at DEBUG, not shown), the others with"
        + " logback-bench.xml\n");
    text.append("machine: ").append(run.get("machine")).append('\n');
    text.append("options: ").append(run.get("options")).append('\n');
    for (String system : columns) {
      List<Map<String, Object>> results = bySystem.get(system);
      text.append(system).append(": ")
          .append(results.isEmpty() ? "" : results.get(0).get("settings")).append('\n');
    }
    text.append('\n').append(tables).append('\n');
    text.append(targets());
    if (!failures.isEmpty()) {
      text.append("\nFAILED CHECKS:\n");
      failures.forEach(f -> text.append("  ").append(f).append('\n'));
    }
    System.out.print(text);

    String base = "peers-" + stamp;
    StringBuilder csvText = new StringBuilder();
    csv.forEach(r -> csvText.append(String.join(",", r)).append('\n'));
    Files.writeString(dir.resolve(base + ".csv"), csvText);
    run.put("table_markdown", tables);
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
        .writeValue(dir.resolve(base + ".json").toFile(), run);
    List<Map<String, Map<String, Object>>> views = new ArrayList<>();
    for (int r = 0; r < runs; r++) {
      views.add(runView(r));
    }
    Files.writeString(dir.resolve(base + ".svg"), RatioChart.svg(views, ratioPeers, run));
    Files.writeString(dir.resolve(base + ".md"), text);
    for (String ext : List.of("csv", "json", "svg", "md")) {
      Files.copy(dir.resolve(base + "." + ext), dir.resolve("peers-latest." + ext),
          StandardCopyOption.REPLACE_EXISTING);
    }
    System.out.println("\nwritten: " + dir.resolve(base)
        + ".{csv,json,svg,md} (and peers-latest.*);"
        + " the systems' logs in " + run.get("logs"));
  }

  /** @return the Markdown rows of {@code metrics} that any system has; adds them to csv */
  private List<List<String>> rows(List<Metric> metrics, List<String> columns,
      List<String> ratioPeers, List<List<String>> csv) {
    List<List<String>> rows = new ArrayList<>();
    for (Metric m : metrics) {
      if (bySystem.values().stream().flatMap(List::stream)
          .noneMatch(r -> r.get(m.key()) instanceof Number)) {
        continue;
      }
      List<String> row = new ArrayList<>(List.of(m.label()));
      List<String> csvRow = new ArrayList<>(List.of(m.key()));
      for (String system : columns) {
        row.add(perRun(r -> value(runView(r).get(system), m.key()), PeersReport::format));
        for (int r = 0; r < runs; r++) {
          Double v = value(runView(r).get(system), m.key());
          csvRow.add(v == null ? "" : String.format("%.3f", v));
        }
      }
      for (String peer : ratioPeers) {
        row.add(perRun(r -> ratio(runView(r), m.key(), peer), v -> String.format("%.2f×", v)));
        for (int r = 0; r < runs; r++) {
          Double v = ratio(runView(r), m.key(), peer);
          csvRow.add(v == null ? "" : String.format("%.4f", v));
        }
      }
      rows.add(row);
      csv.add(csvRow);
    }
    return rows;
  }

  /** @return each run's value, " / " between; empty if no run has one */
  private String perRun(Function<Integer, Double> value, Function<Double, String> format) {
    List<String> cells = new ArrayList<>();
    boolean any = false;
    for (int r = 0; r < runs; r++) {
      Double v = value.apply(r);
      any |= v != null;
      cells.add(v == null ? "–" : format.apply(v));
    }
    return any ? String.join(" / ", cells) : "";
  }

  private String targets() {
    List<String> parts = new ArrayList<>();
    target(parts, "drain ≥ 2× db-scheduler", v -> v >= 2, "%.2f×",
        r -> ratio(runView(r), "drain.per_s", "db-scheduler"));
    target(parts, "drain ≥ 4× JobRunr", v -> v >= 4, "%.2f×",
        r -> ratio(runView(r), "drain.per_s", "jobrunr"));
    target(parts, "enqueue ≥ 50 % of batched INSERT", v -> v >= 50, "%.0f %%", r -> {
      Double enq = value(runView(r).get("tasker"), "drain.enqueue_per_s");
      Double limit = value(runView(r).get("postgres"), "pg.batched_insert_per_s");
      return enq == null || limit == null ? null : 100 * enq / limit;
    });
    target(parts, "lateness p99 ≤ 10 ms", v -> v <= 10, "%.1f ms",
        r -> value(runView(r).get("tasker"), "lateness.p99_ms"));
    return "Targets (issue; every run must meet them): " + String.join("; ", parts) + '\n';
  }

  private void target(List<String> parts, String name, java.util.function.DoublePredicate met,
      String format, Function<Integer, Double> value) {
    List<String> values = new ArrayList<>();
    boolean all = true;
    for (int r = 0; r < runs; r++) {
      Double v = value.apply(r);
      if (v != null) {
        values.add(String.format(format, v));
        all &= met.test(v);
      }
    }
    if (!values.isEmpty()) {
      parts.add(name + ": " + String.join(" / ", values) + (all ? " MET" : " not met"));
    }
  }

  static Double value(Map<String, Object> result, String key) {
    return PeersBenchmark.value(result, key);
  }

  static Double ratio(Map<String, Map<String, Object>> bySystem, String key, String peer) {
    Double t = value(bySystem.get("tasker"), key);
    Double p = value(bySystem.get(peer), key);
    return t == null || p == null || p == 0 ? null : t / p;
  }

  private static String format(double v) {
    return Math.abs(v) >= 100 || v == Math.rint(v) ? String.format("%,.0f", v)
        : Math.abs(v) >= 10 ? String.format("%.1f", v) : String.format("%.2f", v);
  }
}
