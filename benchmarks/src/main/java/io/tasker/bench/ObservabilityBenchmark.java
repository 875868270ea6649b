package io.tasker.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The cost of observability: Tasker's drain workload of {@link PeerRun} (n no-op tasks
 * enqueued with the workers stopped, then run) in three settings, each in a fresh JVM on a
 * fresh database: no meter registry and no tracing; a Micrometer Prometheus registry; the
 * registry plus OpenTelemetry SDK tracing (batch span processor, spans dropped). The order
 * alternates between rounds (odd rounds off → tracing, even rounds tracing → off), so warm-up
 * of PostgreSQL or the machine favours none. Prints tasks/s, CPU µs per task (the node's JVM,
 * enqueue to last outcome stored) and the ratios to "off", and writes
 * results/observability-&lt;timestamp&gt;.{json,md}.
 *
 * <pre>
 * ObservabilityBenchmark [--tasks 20000] [--rounds 2] [--pool 10] [--batch 1000]
 *                        [--enqueue-threads 2] [--results benchmarks/results]
 * </pre>
 */
public final class ObservabilityBenchmark {
  /** One setting: its name and the system properties of its JVM. */
  private record Setting(String name, List<String> properties) {}

  private static final List<Setting> SETTINGS = List.of(
      new Setting("off", List.of("-Dbench.tasker.metrics=none", "-Dbench.tasker.tracing=none")),
      new Setting("metrics", List.of("-Dbench.tasker.metrics=prometheus",
          "-Dbench.tasker.tracing=none")),
      new Setting("metrics+tracing", List.of("-Dbench.tasker.metrics=prometheus",
          "-Dbench.tasker.tracing=otel")));

  /** Figures of a run, each with its label. */
  private static final Map<String, String> FIGURES = new LinkedHashMap<>();

  static {
    FIGURES.put("drain.enqueue_per_s", "enqueue, tasks/s");
    FIGURES.put("drain.per_s", "drain, tasks/s");
    FIGURES.put("drain.durable_per_s", "drain until stored, tasks/s");
    FIGURES.put("drain.enqueue_cpu_us_per_task", "enqueue CPU, µs/task");
    FIGURES.put("drain.cpu_us_per_task", "CPU, µs/task");
  }

  public static void main(String[] args) throws Exception {
    Locale.setDefault(Locale.ROOT);
    Map<String, String> options = new LinkedHashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      options.put(args[i].replaceFirst("^--", ""), args[i + 1]);
    }
    System.exit(run(options));
  }

  private static int run(Map<String, String> options) throws Exception {
    int rounds = Integer.parseInt(options.getOrDefault("rounds", "2"));
    Path dir = Path.of(options.getOrDefault("results", "benchmarks/results"));
    Files.createDirectories(dir);
    String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("started", LocalDateTime.now().toString());
    report.put("options", options);
    report.put("machine", Runtime.getRuntime().availableProcessors() + " CPUs, load average at"
        + " start " + loadAverage());
    List<Map<String, Object>> runs = new ArrayList<>();
    List<String> failures = new ArrayList<>();
    try (EmbeddedPostgres postgres = EmbeddedPostgres.builder().start()) {
      String adminUrl = "jdbc:postgresql://localhost:" + postgres.getPort() + "/postgres";
      for (int round = 1; round <= rounds; round++) {
        List<Setting> order = new ArrayList<>(SETTINGS);
        if (round % 2 == 0) {
          java.util.Collections.reverse(order);
        }
        for (Setting setting : order) {
          Map<String, Object> result = runOne(setting, adminUrl, options);
          result.put("setting", setting.name());
          result.put("round", round);
          result.put("load_average_after", loadAverage());
          runs.add(result);
          if (!((List<?>) result.getOrDefault("failures", List.of("no result"))).isEmpty()) {
            failures.add(setting.name() + " round " + round + ": " + result.get("failures"));
          }
        }
      }
    }
    report.put("runs", runs);
    report.put("failures", failures);
    String table = table(runs);
    report.put("table_markdown", table);
    String text = "\n== Observability overhead: Tasker drain, " + options.getOrDefault("tasks",
        "20000") + " no-op tasks, " + rounds + " rounds (ratios to \"off\", means of rounds) ==\n"
        + "machine: " + report.get("machine") + ", load average at end " + loadAverage() + "\n\n"
        + table + (failures.isEmpty() ? "" : "\nFAILED: " + failures + "\n");
    System.out.print(text);
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
        .writeValue(dir.resolve("observability-" + stamp + ".json").toFile(), report);
    Files.writeString(dir.resolve("observability-" + stamp + ".md"), text);
    System.out.println("\nwritten: " + dir.resolve("observability-" + stamp) + ".{json,md}");
    return failures.isEmpty() ? 0 : 1;
  }

  private static Map<String, Object> runOne(
      Setting setting, String adminUrl, Map<String, String> options) throws Exception {
    Path out = Files.createTempFile("observability-", ".json");
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(PeersBenchmark.childJvmOptions());
    command.addAll(setting.properties()); // after: a repeated -D takes the last value
    command.addAll(List.of("-cp", System.getProperty("java.class.path"),
        PeerRun.class.getName(), "--system", "tasker-tuned", "--warmup", "0",
        "--workloads", "drain",
        "--admin-url", adminUrl, "--out", out.toString(),
        "--tasks", options.getOrDefault("tasks", "20000")));
    for (String passed : List.of("pool", "batch", "enqueue-threads")) {
      if (options.containsKey(passed)) {
        command.addAll(List.of("--" + passed, options.get(passed)));
      }
    }
    System.out.println("\n== " + setting.name() + " (own JVM) ==");
    new ProcessBuilder(command).inheritIO().start().waitFor();
    @SuppressWarnings("unchecked")
    Map<String, Object> result = Files.size(out) > 0
        ? new ObjectMapper().readValue(out.toFile(), Map.class) : new LinkedHashMap<>();
    Files.deleteIfExists(out);
    return result;
  }

  /** One row per run, then per setting the means over the rounds and their ratio to "off". */
  private static String table(List<Map<String, Object>> runs) {
    List<String> header = new ArrayList<>(List.of("setting", "round"));
    header.addAll(FIGURES.values());
    header.add("spans");
    List<List<String>> rows = new ArrayList<>();
    for (Map<String, Object> run : runs) {
      List<String> row = new ArrayList<>(List.of(
          String.valueOf(run.get("setting")), String.valueOf(run.get("round"))));
      FIGURES.keySet().forEach(key -> row.add(format(PeersBenchmark.value(run, key))));
      row.add(format(PeersBenchmark.value(run, "drain.spans")));
      rows.add(row);
    }
    Map<String, Double> off = means(runs, "off");
    for (Setting setting : SETTINGS) {
      Map<String, Double> mean = means(runs, setting.name());
      List<String> row = new ArrayList<>(List.of(setting.name(), "mean"));
      List<String> ratio = new ArrayList<>(List.of(setting.name(), "ratio to off"));
      for (String key : FIGURES.keySet()) {
        Double value = mean.get(key);
        Double base = off.get(key);
        row.add(format(value));
        ratio.add(value == null || base == null || base == 0 ? ""
            : String.format("%.3f", value / base));
      }
      row.add("");
      ratio.add("");
      rows.add(row);
      rows.add(ratio);
    }
    return PeersBenchmark.markdown(header, rows);
  }

  private static Map<String, Double> means(List<Map<String, Object>> runs, String setting) {
    Map<String, Double> means = new LinkedHashMap<>();
    for (String key : FIGURES.keySet()) {
      double[] values = runs.stream().filter(r -> setting.equals(r.get("setting")))
          .map(r -> PeersBenchmark.value(r, key)).filter(java.util.Objects::nonNull)
          .mapToDouble(Double::doubleValue).toArray();
      if (values.length > 0) {
        means.put(key, java.util.Arrays.stream(values).average().orElseThrow());
      }
    }
    return means;
  }

  private static String format(Double v) {
    return v == null ? "" : Math.abs(v) >= 100 ? String.format("%,.0f", v)
        : String.format("%.1f", v);
  }

  private static String loadAverage() {
    return String.format("%.2f",
        ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
  }
}
