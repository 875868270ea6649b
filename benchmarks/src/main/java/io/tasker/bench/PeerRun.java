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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * One system's side of {@link PeersBenchmark}, in a JVM of its own: runs the workloads against
 * one {@link SystemUnderTest} (or the PostgreSQL reference, {@link PostgresLimit}), each on a
 * fresh database, checks that every task ran as planned, and writes its figures as JSON.
 *
 * <pre>
 * PeerRun --system tasker|db-scheduler|jobrunr|postgres --admin-url JDBC --out FILE
 *         [--tasks 100000] [--lateness-tasks 20000] [--lateness-window 20] [--steady-tasks N]
 *         [--fail-every 10] [--workloads drain,lateness,steady] [--pool 10] [--batch 1000]
 *         [--enqueue-threads 2]
 * </pre>
 */
public final class PeerRun {
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
            "drain,lateness,steady").split(","));
        if (workloads.contains("drain")) {
          drain(tasks);
        }
        if (workloads.contains("lateness")) {
          lateness(intOption("lateness-tasks", 20_000), intOption("lateness-window", 20));
        }
        if (workloads.contains("steady")) {
          steady(intOption("steady-tasks", tasks), intOption("fail-every", 10));
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

  // Workload 1: enqueue n immediate tasks with the workers stopped, then drain them.
  private void drain(int n) throws Exception {
    log("drain: %,d immediate tasks, workers stopped while enqueueing", n);
    Sink sink = new Sink(n, 0);
    try (SystemUnderTest sut = SystemUnderTest.named(system)) {
      sut.open(database("drain"), sink);
      results.put("settings", sut.settings());
      long now = System.currentTimeMillis();
      List<BenchTask> tasks = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        tasks.add(new BenchTask(i, now, true));
      }
      long cpuBefore = processCpuNanos();
      long enqueueNanos = enqueue(sut, tasks, t -> {});
      put("drain.enqueue_per_s", n / seconds(enqueueNanos));
      put("drain.enqueue_cpu_us_per_task", (processCpuNanos() - cpuBefore) / 1e3 / n);
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
      long settled = settle(sut, "drain");
      if (settled > 0) {
        // this JVM's CPU (PostgreSQL runs apart) from the first enqueue to the last outcome stored
        put("drain.cpu_us_per_task", (processCpuNanos() - cpuBefore) / 1e3 / n);
        put("drain.durable_per_s", n / seconds(settled - first));
        log("  all outcomes durable %.1f s after the first execution: %,.0f tasks/s",
            seconds(settled - first), n / seconds(settled - first));
      }
      checkExactlyOnce(sink, "drain");
    }
    if (system.equals("tasker") && TaskerSystem.DroppingExporter.EXPORTED.get() > 0) {
      put("drain.spans", TaskerSystem.DroppingExporter.EXPORTED.get()); // flushed on close
    }
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean)
        java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  // Workload 2: n tasks due over the next `window` seconds (after a lead that lets enqueue
  // finish first); lateness = start of the first attempt - its run time.
  private void lateness(int n, int windowSeconds) throws Exception {
    Sink sink = new Sink(n, 0);
    try (SystemUnderTest sut = SystemUnderTest.named(system)) {
      sut.open(database("lateness"), sink);
      results.putIfAbsent("settings", sut.settings());
      sut.startWorkers();
      // Lead: long enough for the enqueue to end before the first run time, at the enqueue rate
      // measured by the drain workload (or a guess of 1,000/s).
      double rate = results.containsKey("drain.enqueue_per_s")
          ? (Double) results.get("drain.enqueue_per_s") : 1000;
      long leadMs = Math.max(5_000, (long) (n / rate * 1500) + 2_000);
      long windowMs = windowSeconds * 1000L;
      long base = System.currentTimeMillis() + leadMs;
      List<BenchTask> tasks = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        tasks.add(new BenchTask(i, base + (n == 1 ? 0 : windowMs * i / (n - 1)), false));
      }
      log("lateness: %,d tasks due over %d s (%,.0f/s), first due in %.1f s", n, windowSeconds,
          n / (double) windowSeconds, leadMs / 1e3);
      AtomicLong ackedLate = new AtomicLong();
      long enqueueNanos = enqueue(sut, tasks, done -> {
        long now = System.currentTimeMillis();
        ackedLate.addAndGet(done.stream().filter(t -> t.runAtMillis() < now).count());
      });
      log("  enqueued in %.1f s", seconds(enqueueNanos));
      put("lateness.acked_after_run_time", ackedLate.get());
      if (ackedLate.get() > 0) {
        failures.add("lateness: " + ackedLate.get() + " tasks were acknowledged after their run"
            + " time; raise the lead");
      }
      long waitMs = base + windowMs - System.currentTimeMillis() + 120_000;
      if (!sink.await(waitMs, TimeUnit.MILLISECONDS)) {
        failures.add("lateness: only " + (n - sink.remaining()) + " of " + n + " tasks ran");
        return;
      }
      double[] late = new double[n];
      for (int i = 0; i < n; i++) {
        late[i] = (sink.firstStartMicros(i) - tasks.get(i).runAtMillis() * 1000) / 1000.0;
      }
      Arrays.sort(late);
      put("lateness.offered_per_s", n / (double) windowSeconds);
      put("lateness.p50_ms", percentile(late, 50));
      put("lateness.p95_ms", percentile(late, 95));
      put("lateness.p99_ms", percentile(late, 99));
      put("lateness.max_ms", late[n - 1]);
      put("lateness.min_ms", late[0]);
      put("lateness.early", (double) Arrays.stream(late).filter(l -> l < 0).count());
      log("  lateness ms: min %.3f, p50 %.1f, p95 %.1f, p99 %.1f, max %.1f; started early: %.0f",
          late[0], percentile(late, 50), percentile(late, 95), percentile(late, 99), late[n - 1],
          (double) Arrays.stream(late).filter(l -> l < 0).count());
      settle(sut, "lateness");
      checkExactlyOnce(sink, "lateness");
    }
  }

  // Workload 3: n immediate tasks enqueued while the workers run; every failEvery-th fails its
  // first attempt and must be retried (once). Completion rate = n / (last success - first enqueue).
  private void steady(int n, int failEvery) throws Exception {
    log("steady: %,d tasks enqueued while workers run, every %d-th fails once", n, failEvery);
    Sink sink = new Sink(n, failEvery);
    try (SystemUnderTest sut = SystemUnderTest.named(system)) {
      sut.open(database("steady"), sink);
      results.putIfAbsent("settings", sut.settings());
      sut.startWorkers();
      long now = System.currentTimeMillis();
      List<BenchTask> tasks = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        tasks.add(new BenchTask(i, now, true));
      }
      long start = System.nanoTime();
      long enqueueNanos = enqueue(sut, tasks, t -> {});
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
      settle(sut, "steady");
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
  }

  /** Enqueues in batches from {@code enqueueThreads} threads, in order; @return elapsed nanos. */
  private long enqueue(SystemUnderTest sut, List<BenchTask> tasks, Consumer<List<BenchTask>> acked)
      throws Exception {
    int batches = (tasks.size() + batch - 1) / batch;
    AtomicInteger next = new AtomicInteger();
    ExecutorService threads = Executors.newFixedThreadPool(enqueueThreads);
    long start = System.nanoTime();
    try {
      List<Future<?>> running = new ArrayList<>();
      for (int t = 0; t < enqueueThreads; t++) {
        running.add(threads.submit(() -> {
          for (int b = next.getAndIncrement(); b < batches; b = next.getAndIncrement()) {
            List<BenchTask> slice =
                tasks.subList(b * batch, Math.min(tasks.size(), (b + 1) * batch));
            sut.enqueue(slice);
            acked.accept(slice);
          }
          return null;
        }));
      }
      for (Future<?> f : running) {
        f.get();
      }
      return System.nanoTime() - start;
    } finally {
      threads.shutdownNow();
    }
  }

  /** Waits until the system's store holds no unfinished task; @return that time, or -1. */
  private long settle(SystemUnderTest sut, String workload) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    long unfinished = -1;
    while (System.nanoTime() < deadline) {
      unfinished = sut.unfinished();
      if (unfinished == 0) {
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

  /** @return a fresh database for this system and workload */
  private BenchDb database(String workload) throws Exception {
    String name = ("bench_" + system + "_" + workload).replace('-', '_');
    try (Connection c = DriverManager.getConnection(adminUrl, "postgres", "");
        Statement s = c.createStatement()) {
      s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
      s.execute("CREATE DATABASE " + name);
    }
    String url = adminUrl.replaceFirst("/postgres(\\?|$)", "/" + name + "$1");
    url += (url.contains("?") ? "&" : "?") + "reWriteBatchedInserts=true";
    return new BenchDb(url, "postgres", pool);
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
