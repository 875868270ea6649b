package io.tasker.bench.faults;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The fault suite: each {@link Scenario} against real node processes, one row each (two for
 * the single-node kill: H2 and PostgreSQL), printed as a table and written to {@code
 * benchmarks/results/faults-<time>.{csv,json}}. Exits 1 if a row failed: an acknowledged task
 * lost or never run, a task run twice without a {@code LOST} attempt on record, or a failure of
 * the scenario's own (a 5xx to a hostile request, a stored task changed, an answer other than
 * 503 while the database was down).
 *
 * <pre>
 * FaultSuite --root DIR [--scale small|full] [--only NAME[,NAME]]
 * </pre>
 *
 * Node JVM options come from {@code FAULTS_JAVA_OPTS} (run-faults.sh sets the default).
 */
public final class FaultSuite {
  /** The H2 journal as Tasker configures it, stated as what it is (checked in H2 2.2.224). */
  static final String H2_LABEL = "H2 2.2.224 file, WRITE_DELAY=0: each commit is written to"
      + " the file before the answer (survives kill -9); H2's MVStore does not fsync per commit,"
      + " so not an OS crash or power loss";

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final List<Scenario> SCENARIOS = List.of(new SingleNodeKill(),
      new NodeKillUnderLoad(), new DatabaseOutage(), new ClusterKill(), new HostileRequests());

  private FaultSuite() {}

  public static void main(String[] args) throws Exception {
    Path root = Path.of(".");
    Scale scale = Scale.of("small");
    List<String> only = SCENARIOS.stream().map(Scenario::name).toList();
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--root" -> root = Path.of(args[i + 1]);
        case "--scale" -> scale = Scale.of(args[i + 1]);
        case "--only" -> only = Arrays.asList(args[i + 1].split(","));
        default -> usage();
      }
    }
    if (args.length % 2 != 0) {
      usage();
    }
    for (String name : only) {
      if (SCENARIOS.stream().noneMatch(s -> s.name().equals(name))) {
        usage();
      }
    }
    System.exit(run(root.toAbsolutePath().normalize(), scale, only) ? 0 : 1);
  }

  private static void usage() {
    System.err.println("usage: run-faults.sh [--scale small|full] [--only "
        + SCENARIOS.stream().map(Scenario::name).collect(Collectors.joining("|")) + "[,...]]");
    System.exit(2);
  }

  private static boolean run(Path root, Scale scale, List<String> only) throws Exception {
    String stamp = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC)
        .format(Instant.now());
    Path work = root.resolve("benchmarks/target/faults-" + stamp);
    List<String> nodeJvm = Arrays.stream(System.getenv().getOrDefault("FAULTS_JAVA_OPTS", "")
        .trim().split("\\s+")).filter(s -> !s.isEmpty()).toList();
    ObjectNode report = JSON.createObjectNode();
    ObjectNode settings = report.putObject("settings");
    settings.put("date", Instant.now().toString());
    settings.put("scale", scale.name());
    settings.put("scaleParameters", scale.toString());
    settings.put("cpus", Runtime.getRuntime().availableProcessors());
    settings.put("loadAverageAtStart", Files.readString(Path.of("/proc/loadavg")).trim());
    settings.put("java", System.getProperty("java.vm.name") + " "
        + System.getProperty("java.version"));
    settings.put("nodeJvmOptions", String.join(" ", nodeJvm));
    settings.put("logs", work.toString());
    settings.put("h2", H2_LABEL);

    List<FaultRow> rows = new ArrayList<>();
    try (Postgres postgres = Postgres.start(work.resolve("postgres-data"))) {
      String postgresLabel = postgres.describe();
      settings.put("postgres", postgresLabel);
      System.out.println("settings: " + settings);
      Scenario.Setting setting = new Scenario.Setting(scale, work, nodeJvm, postgres,
          postgresLabel);
      for (Scenario scenario : SCENARIOS) {
        if (!only.contains(scenario.name())) {
          continue;
        }
        long began = System.nanoTime();
        try {
          rows.addAll(scenario.run(setting));
        } catch (Exception e) {
          e.printStackTrace();
          rows.add(FaultRow.broken(scenario.name(), "", e));
        }
        System.out.printf("(%s took %.0f s)%n", scenario.name(),
            (System.nanoTime() - began) / 1e9);
      }
    }
    print(rows);
    write(root.resolve("benchmarks/results"), "faults-" + stamp, report, rows);
    return rows.stream().allMatch(FaultRow::passed);
  }

  // Results

  private static void print(List<FaultRow> rows) {
    System.out.printf("%n| scenario | journal | accepted | succeeded | lost | ran twice"
        + " (unexplained) | 5xx | verdict | figures |%n|---|---|--:|--:|--:|--:|--:|---|---|%n");
    for (FaultRow r : rows) {
      System.out.printf(Locale.ROOT, "| %s | %s | %,d | %,d | %,d | %,d (%,d) | %,d | %s | %s |%n",
          r.scenario(), r.journal().substring(0, Math.max(0, r.journal().indexOf(':'))),
          r.counts().accepted(), r.counts().succeeded(), r.counts().lost(),
          r.counts().ranTwice(), r.counts().unexplained(), r.fiveXx(),
          r.passed() ? (r.goalsMissed().isEmpty() ? "pass" : "pass, goal missed") : "FAIL",
          figures(r.figures()));
    }
    for (FaultRow r : rows) {
      r.failures().forEach(f -> System.out.println(r.scenario() + " FAILED: " + f));
      r.goalsMissed().forEach(g -> System.out.println(r.scenario() + " goal missed: " + g));
      r.evidence().forEach(e -> System.out.println(r.scenario() + " evidence: " + e));
    }
  }

  private static String figures(Map<String, Object> figures) {
    return figures.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
        .collect(Collectors.joining(" "));
  }

  private static void write(Path dir, String name, ObjectNode report, List<FaultRow> rows)
      throws IOException {
    Files.createDirectories(dir);
    ArrayNode json = report.putArray("rows");
    StringBuilder csv = new StringBuilder("scenario,journal,accepted,succeeded,lost,ran_twice,"
        + "ran_twice_unexplained,unfinished,5xx,passed,figures\n");
    for (FaultRow r : rows) {
      json.add(((ObjectNode) JSON.valueToTree(r)).put("passed", r.passed()));
      csv.append(String.join(",", r.scenario(), quote(r.journal()),
          Long.toString(r.counts().accepted()), Long.toString(r.counts().succeeded()),
          Long.toString(r.counts().lost()), Long.toString(r.counts().ranTwice()),
          Long.toString(r.counts().unexplained()), Long.toString(r.counts().unfinished()),
          Long.toString(r.fiveXx()), Boolean.toString(r.passed()), quote(figures(r.figures()))))
          .append('\n');
    }
    Files.writeString(dir.resolve(name + ".json"), JSON.writeValueAsString(report));
    Files.writeString(dir.resolve(name + ".csv"), csv.toString());
    System.out.println("\nresults: benchmarks/results/" + name + ".{json,csv}");
  }

  private static String quote(String field) {
    return "\"" + field.replace("\"", "\"\"") + "\"";
  }
}
