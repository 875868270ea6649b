package io.tasker.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.File;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One system's side of {@link PeersBenchmark}, in a JVM of its own: warms the system up (an
 * untimed drain on a database dropped afterwards), then runs the workloads against one {@link
 * SystemUnderTest} (or the PostgreSQL reference, {@link PostgresLimit}), each on a fresh
 * database, checks that every task ran as planned, measures each workload's cost per task
 * ({@link WorkloadCost}) and writes its figures as JSON.
 *
 * <pre>
 * PeerRun --system tasker|tasker-tuned|db-scheduler|jobrunr|postgres --admin-url JDBC --out FILE
 *         [--tasks 100000] [--warmup 10000] [--warmup-rounds 16]
 *         [--workloads drain,lateness,burst,steady]
 *         [--lateness-tasks 20000] [--lateness-lead 20] [--lateness-window 20]
 *         [--burst-tasks 20000] [--burst-lead 5] [--burst-window 20] [--steady-tasks N]
 *         [--fail-every 10] [--pool 10] [--batch 1000] [--enqueue-threads 2]
 * </pre>
 */
public final class PeerRun {
  /**
   * A freshly opened system leaves the JIT a backlog from its start-up (a Tasker node compiles
   * its actor system, cluster, sharding and migrations); a workload is timed once that backlog
   * is compiled, as a node that has been running for a while would be, or after this long.
   */
  private static final java.time.Duration QUIET_JIT_TIMEOUT = java.time.Duration.ofSeconds(30);
  private final Map<String, String> options;
  private final String system;
  private final String adminUrl;
  private final int pool;
  private final int batch;
  private final int enqueueThreads;
  private final Map<String, Object> results = new LinkedHashMap<>();
  private final List<String> failures = new ArrayList<>();

  private PeerRun(Map<String, String> options) {
    this.options = options;
    this.system = options.get("system");
    this.adminUrl = options.get("admin-url");
    this.pool = intOption("pool", 10);
    this.batch = intOption("batch", 1000);
    this.enqueueThreads = intOption("enqueue-threads", 2);
  }

  public static void main(String[] args) throws Exception {
    Locale.setDefault(Locale.ROOT);
    Map<String, String> options = new LinkedHashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      options.put(args[i].replaceFirst("^--", ""), args[i + 1]);
    }
    PeerRun run = new PeerRun(options);
    int status = run.run();
    System.exit(status);
  }

  private int run() throws Exception {
    results.put("system", system);
    results.put("jvm", System.getProperty("java.vm.name") + " " + System.getProperty("java.version")
        + ", " + java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments());
    int tasks = intOption("tasks", 100_000);
    try {
      if (system.equals("postgres")) {
        new PostgresLimit(database("limit"), tasks, batch, enqueueThreads, pool).run(results);
      } else {
        List<String> workloads = Arrays.asList(options.getOrDefault("workloads",
            "drain,lateness,burst,steady").split(","));
        attempt("warm-up", () -> warmUp(intOption("warmup", 10_000),
            intOption("warmup-rounds", 16)));
        if (workloads.contains("drain")) {
          attempt("drain", () -> drain(tasks));
        }
        if (workloads.contains("lateness")) {
          attempt("lateness", () -> scheduled("lateness", intOption("lateness-tasks", 20_000),
              intOption("lateness-lead", 20), intOption("lateness-window", 20)));
        }
        if (workloads.contains("burst")) {
          attempt("burst", () -> scheduled("burst", intOption("burst-tasks", 20_000),
              intOption("burst-lead", 5), intOption("burst-window", 20)));
        }
        if (workloads.contains("steady")) {
          attempt("steady", () -> steady(intOption("steady-tasks", tasks),
              intOption("fail-every", 10)));
        }
      }
    } catch (Exception e) {
      e.printStackTrace();
      failures.add(system + ": " + e);
    }
    results.put("failures", failures);
    ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    json.writeValue(new File(options.get("out")), results);
    for (String failure : failures) {
      System.out.println("FAILED CHECK: " + failure);
    }
    return failures.isEmpty() ? 0 : 1;
  }

  private interface Step {
    void run() throws Exception;
  }

  /** Runs a step; its exception is a failure of that step, and the next workload still runs. */
  private void attempt(String name, Step step) {
    try {
      step.run();
    } catch (Exception e) {
      e.printStackTrace();
      failures.add(name + ": " + e);
    }
  }

  /** A workload's body, given the open system (workers stopped) and its cost meter. */
  private interface Workload {
    void run(SystemUnderTest sut, WorkloadCost cost) throws Exception;
  }

  /** Runs a workload on a fresh database and records its cost per task once the system closed. */
  private void measured(String workload, int n, Sink sink, Workload body) throws Exception {
    BenchDb db = database(workload);
    WorkloadCost cost;
    try (SystemUnderTest sut = SystemUnderTest.named(system)) {
      sut.open(db, sink);
      results.putIfAbsent("settings", sut.settings());
      long waited = ThreadCpu.awaitQuietJit(QUIET_JIT_TIMEOUT);
      results.put(workload + ".quiet_jit_wait_ms", waited);
      log("%s: JIT compiler threads quiet %,d ms after the system opened", workload, waited);
      checkpoint();
      cost = WorkloadCost.begin(adminUrl, databaseName(workload));
      body.run(sut, cost);
    }
    cost.end(workload, n, results, system.startsWith("tasker") && TaskerSystem.COUNT_MESSAGES);
    if (results.get(workload + ".threads_cpu_us_per_task") instanceof Map<?, ?> threads) {
      StringBuilder top = new StringBuilder();
      threads.entrySet().stream().limit(8).forEach(e -> top.append(top.length() > 0 ? ", " : "")
          .append(e.getKey()).append(' ').append(Math.round((Double) e.getValue())));
      log("%s: CPU µs per task by thread: %s", workload, top);
    }
    if (results.get(workload + ".heaviest_statements") instanceof List<?> heaviest) {
      log("%s: PostgreSQL time per task by statement (execution + planning):%n  %s", workload,
          String.join("\n  ", heaviest.stream().map(String::valueOf).toList()));
    }
    log("%s: buffers written by PostgreSQL's checkpoints while it ran: %s", workload,
        results.get(workload + ".checkpoint_buffers_written"));
  }

  // Untimed: rounds of n tasks drained in this JVM (JIT, pools, caches), each on a
  // database dropped afterwards so that its tables and autovacuum stay out of the timed
  // workloads; until the JIT compiler threads took less than a tenth of the JVM's CPU in a round
  // (the timed workloads then measure the system, not its compilation), at most maxRounds.
  private void warmUp(int n, int maxRounds) throws Exception {
    if (n <= 0) {
      return;
    }
    int round = 0;
    double jitShare = 1;
    while (round < maxRounds && jitShare >= 0.1) {
      round++;
      // the first round in batches of at most 100: a cold JVM on a busy machine acknowledges
      // them in time; later ones as the workloads enqueue
      jitShare = warmUpRound(round, n, round == 1 ? Math.min(batch, 100) : batch);
    }
    results.put("warmup_tasks", n);
    results.put("warmup_rounds", round);
    results.put("warmup_last_jit_share", jitShare);
  }

  /** @return the JIT compiler threads' share of the JVM's CPU while the round's tasks ran */
  private double warmUpRound(int round, int n, int batchSize) throws Exception {
    // half of them due a few seconds ahead and every tenth failing once: the rounds also compile
    // the paths of scheduled and retried tasks, which the later workloads take too
    Sink sink = new Sink(n, 10);
    double cpuPerTask;
    double jitPerTask;
    try (SystemUnderTest sut = SystemUnderTest.named(system)) {
      sut.open(database("warmup"), sink);
      ThreadCpu.awaitQuietJit(QUIET_JIT_TIMEOUT);
      long cpuBefore = WorkloadCost.processCpuNanos();
      ThreadCpu threadsBefore = ThreadCpu.snapshot();
      long now = System.currentTimeMillis();
      List<BenchTask> tasks = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        boolean immediate = i % 2 == 0;
        tasks.add(new BenchTask(i, immediate ? now : now + 2_000 + i % 2_000, immediate));
      }
      BatchEnqueue.run(sut, tasks, batchSize, enqueueThreads, t -> {});
      sut.startWorkers();
      if (!sink.await(Math.max(300, n / 100), TimeUnit.SECONDS)) {
        failures.add("warm-up: only " + (n - sink.remaining()) + " of " + n + " tasks ran");
      }
      settle(sut, "warm-up", null);
      cpuPerTask = (WorkloadCost.processCpuNanos() - cpuBefore) / 1e3 / n;
      jitPerTask = ThreadCpu.snapshot().jitPerTaskSince(threadsBefore, n);
    }
    dropDatabase(databaseName("warmup"));
    double jitShare = cpuPerTask > 0 ? jitPerTask / cpuPerTask : 0;
    log("warm-up round %d (untimed, %,d tasks): %.0f CPU µs per task, %.0f %% of it JIT",
        round, n, cpuPerTask, 100 * jitShare);
    return jitShare;
  }

  // Workload 1: enqueue n immediate tasks with the workers stopped, then drain them.
  private void drain(int n) throws Exception {
    log("drain: %,d immediate tasks, workers stopped while enqueueing", n);
    Sink sink = new Sink(n, 0);
    measured("drain", n, sink, (sut, cost) -> {
      long now = System.currentTimeMillis();
      List<BenchTask> tasks = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        tasks.add(new BenchTask(i, now, true));
      }
      long cpuBefore = WorkloadCost.processCpuNanos();
      ThreadCpu threadsBefore = ThreadCpu.snapshot();
      long enqueueNanos = BatchEnqueue.run(sut, tasks, batch, enqueueThreads, t -> {});
      put("drain.enqueue_per_s", n / seconds(enqueueNanos));
      put("drain.enqueue_cpu_us_per_task", (WorkloadCost.processCpuNanos() - cpuBefore) / 1e3 / n);
      put("drain.enqueue_jit_us_per_task", ThreadCpu.snapshot().jitPerTaskSince(threadsBefore, n));
      log("  enqueued in %.1f s: %,.0f tasks/s", seconds(enqueueNanos), n / seconds(enqueueNanos));
      if (sink.remaining() != n) {
        failures.add("drain: " + (n - sink.remaining()) + " tasks ran while workers were stopped");
      }
      long start = System.nanoTime();
      sut.startWorkers();
      boolean all = sink.await(Math.max(300, n / 100), TimeUnit.SECONDS);
      if (!all) {
        failures.add("drain: only " + (n - sink.remaining()) + " of " + n + " tasks ran");
        return;
      }
      long first = sink.firstRunNanos();
      long last = sink.lastSuccessNanos();
      put("drain.per_s", n / seconds(last - first));
      put("drain.start_to_first_ms", (first - start) / 1e6);
      put("drain.from_start_per_s", n / seconds(last - start));
      log("  drained in %.1f s (first to last execution): %,.0f tasks/s; first execution %.0f ms"
          + " after the workers started", seconds(last - first), n / seconds(last - first),
          (first - start) / 1e6);
      long settled = settle(sut, "drain", cost);
      if (settled > 0) {
        put("drain.durable_per_s", n / seconds(settled - first));
        log("  all outcomes durable %.1f s after the first execution: %,.0f tasks/s",
            seconds(settled - first), n / seconds(settled - first));
      }
      checkExactlyOnce(sink, "drain");
    });
    if (system.startsWith("tasker") && TaskerSystem.DroppingExporter.EXPORTED.get() > 0) {
      put("drain.spans", TaskerSystem.DroppingExporter.EXPORTED.get()); // flushed on close
    }
  }

  // Workloads 2 (lateness) and 3 (burst): n tasks due over `window` seconds, the first `lead`
  // seconds after the enqueue starts — the same lead for every system, however fast it
  // enqueues; lateness = start of the first attempt - its run time.
  private void scheduled(String workload, int n, int leadSeconds, int windowSeconds)
      throws Exception {
    Sink sink = new Sink(n, 0);
    measured(workload, n, sink, (sut, cost) -> {
      sut.startWorkers();
      long windowMs = windowSeconds * 1000L;
      long base = System.currentTimeMillis() + leadSeconds * 1000L;
      List<BenchTask> tasks = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        tasks.add(new BenchTask(i, base + (n == 1 ? 0 : windowMs * i / (n - 1)), false));
      }
      log("%s: %,d tasks due over %d s (%,.0f/s), the first %d s after the enqueue starts",
          workload, n, windowSeconds, n / (double) windowSeconds, leadSeconds);
      AtomicLong ackedLate = new AtomicLong();
      long enqueueNanos = BatchEnqueue.run(sut, tasks, batch, enqueueThreads, done -> {
        long now = System.currentTimeMillis();
        ackedLate.addAndGet(done.stream().filter(t -> t.runAtMillis() < now).count());
      });
      put(workload + ".enqueue_s", seconds(enqueueNanos));
      put(workload + ".acked_after_run_time", ackedLate.get());
      log("  enqueued in %.1f s; %,d tasks acknowledged after their run time",
          seconds(enqueueNanos), ackedLate.get());
      long waitMs = base + windowMs - System.currentTimeMillis() + 120_000;
      if (!sink.await(waitMs, TimeUnit.MILLISECONDS)) {
        failures.add(workload + ": only " + (n - sink.remaining()) + " of " + n + " tasks ran");
        return;
      }
      double[] late = new double[n];
      for (int i = 0; i < n; i++) {
        late[i] = (sink.firstStartMicros(i) - tasks.get(i).runAtMillis() * 1000) / 1000.0;
      }
      Arrays.sort(late);
      double early = Arrays.stream(late).filter(l -> l < 0).count();
      put(workload + ".offered_per_s", n / (double) windowSeconds);
      put(workload + ".p50_ms", percentile(late, 50));
      put(workload + ".p95_ms", percentile(late, 95));
      put(workload + ".p99_ms", percentile(late, 99));
      put(workload + ".max_ms", late[n - 1]);
      put(workload + ".min_ms", late[0]);
      put(workload + ".early", early);
      log("  lateness ms: min %.3f, p50 %.1f, p95 %.1f, p99 %.1f, max %.1f; started early: %.0f",
          late[0], percentile(late, 50), percentile(late, 95), percentile(late, 99), late[n - 1],
          early);
      settle(sut, workload, cost);
      checkExactlyOnce(sink, workload);
    });
  }

  // Workload 4: n immediate tasks enqueued while the workers run; every failEvery-th fails its
  // first attempt and must be retried (once). Completion rate = n / (last success - first enqueue).
  private void steady(int n, int failEvery) throws Exception {
    log("steady: %,d tasks enqueued while workers run, every %d-th fails once", n, failEvery);
    Sink sink = new Sink(n, failEvery);
    measured("steady", n, sink, (sut, cost) -> {
      sut.startWorkers();
      long now = System.currentTimeMillis();
      List<BenchTask> tasks = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        tasks.add(new BenchTask(i, now, true));
      }
      long start = System.nanoTime();
      long enqueueNanos = BatchEnqueue.run(sut, tasks, batch, enqueueThreads, t -> {});
      if (!sink.await(Math.max(300, n / 100), TimeUnit.SECONDS)) {
        failures.add("steady: only " + (n - sink.remaining()) + " of " + n + " tasks succeeded");
        return;
      }
      long last = sink.lastSuccessNanos();
      put("steady.enqueue_per_s", n / seconds(enqueueNanos));
      put("steady.per_s", n / seconds(last - start));
      log("  enqueue under load %,.0f tasks/s; completion %,.0f tasks/s (%.1f s for all, incl."
          + " the ~1 s retry backoff)", n / seconds(enqueueNanos), n / seconds(last - start),
          seconds(last - start));
      settle(sut, "steady", cost);
      checkRetries(sink, n);
    });
  }

  private void checkRetries(Sink sink, int n) {
    long planned = 0;
    long wrong = 0;
    for (int i = 0; i < n; i++) {
      int expected = sink.plannedToFail(i) ? 2 : 1;
      planned += expected - 1;
      if (sink.attempts(i) != expected) {
        wrong++;
      }
    }
    put("steady.retried", (double) sink.failuresThrown());
    log("  planned failures %,d, thrown %,d, tasks with an unexpected number of attempts %,d",
        planned, sink.failuresThrown(), wrong);
    if (wrong > 0 || sink.failuresThrown() != planned) {
      failures.add("steady: " + wrong + " tasks ran an unexpected number of times (planned "
          + planned + " retries, " + sink.failuresThrown() + " failures thrown)");
    }
    if (sink.unknown() > 0) {
      failures.add("steady: " + sink.unknown() + " runs of unknown tasks");
    }
  }

  /**
   * Waits until the system's store holds no unfinished task, then marks the cost settled (if
   * any); @return that time, or -1.
   */
  private long settle(SystemUnderTest sut, String workload, WorkloadCost cost) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    long unfinished = -1;
    while (System.nanoTime() < deadline) {
      unfinished = sut.unfinished();
      if (unfinished == 0) {
        if (cost != null) {
          cost.settled();
        }
        return System.nanoTime();
      }
      Thread.sleep(100);
    }
    failures.add(workload + ": " + unfinished + " tasks still unfinished in the store 120 s after"
        + " the last handler ran");
    return -1;
  }

  private void checkExactlyOnce(Sink sink, String workload) {
    if (sink.duplicates() > 0 || sink.unknown() > 0 || sink.failuresThrown() > 0) {
      failures.add(workload + ": duplicates " + sink.duplicates() + ", unknown " + sink.unknown()
          + ", failures " + sink.failuresThrown());
    }
    put(workload + ".duplicates", (double) sink.duplicates());
  }

  /**
   * Writes out every dirty page before a workload is timed. Otherwise a checkpoint that the
   * earlier workloads' WAL made due (max_wal_size, checkpoint_timeout) falls into whichever
   * workload runs then: with fsync on it cost one system's completion workload two thirds of
   * its rate and tripled PostgreSQL's CPU per task.
   */
  private void checkpoint() throws Exception {
    try (Connection c = DriverManager.getConnection(adminUrl, "postgres", "");
        Statement s = c.createStatement()) {
      s.execute("CHECKPOINT");
    }
  }

  private String databaseName(String workload) {
    return ("bench_" + system + "_" + workload).replace('-', '_');
  }

  /** @return a fresh database for this system and workload */
  private BenchDb database(String workload) throws Exception {
    String name = databaseName(workload);
    dropDatabase(name);
    try (Connection c = DriverManager.getConnection(adminUrl, "postgres", "");
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    }
    String url = adminUrl.replaceFirst("/postgres(\\?|$)", "/" + name + "$1");
    url += (url.contains("?") ? "&" : "?") + "reWriteBatchedInserts=true";
    return new BenchDb(url, "postgres", pool);
  }

  private void dropDatabase(String name) throws Exception {
    try (Connection c = DriverManager.getConnection(adminUrl, "postgres", "");
        Statement s = c.createStatement()) {
      s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    }
  }

  private void put(String key, double value) {
    results.put(key, value);
  }

  private int intOption(String name, int fallback) {
    return options.containsKey(name) ? Integer.parseInt(options.get(name)) : fallback;
  }

  static double seconds(long nanos) {
    return nanos / 1e9;
  }

  static double percentile(double[] sorted, double p) {
    int rank = (int) Math.ceil(p / 100.0 * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  private void log(String format, Object... args) {
    System.out.printf("[%s] " + format + "%n", prepend(system, args));
  }

  private static Object[] prepend(Object first, Object[] rest) {
    Object[] all = new Object[rest.length + 1];
    all[0] = first;
    System.arraycopy(rest, 0, all, 1, rest.length);
    return all;
  }
}
