package io.tasker.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.tasker.node.Tasker;
import io.tasker.node.index.IndexRow;
import io.tasker.node.index.TaskIndexTable;
import io.tasker.node.internal.PekkoSettings;
import io.tasker.node.journal.Jdbc;
import io.tasker.node.journal.JournalRow;
import io.tasker.node.journal.JournalSettings;
import io.tasker.node.journal.JournalTable;
import io.tasker.node.journal.TableRow;
import io.tasker.node.task.AttemptResult;
import io.tasker.node.task.TaskEntity;
import io.tasker.protocol.AttemptOutcome;
import io.tasker.protocol.QueueCounts;
import io.tasker.protocol.TaskId;
import io.tasker.protocol.TaskStatus;
import io.tasker.protocol.TaskView;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;

/**
 * The bound of a page-batched task life cycle (issue 18), on the real schema and without an
 * actor per task. Setup, untimed: N due tasks enqueued by a real node (its queue paused), which
 * is then closed. Timed: {@code --in-flight} loops, each on a connection of its own, repeat
 * <ol>
 *   <li>one transaction: claim a page of P due {@code SCHEDULED} rows of the queue from the task
 *       index ({@code FOR UPDATE SKIP LOCKED}), read their events in one query, fold each task's
 *       {@link TaskEntity.State}, and write {@code AttemptStarted} for the page (journal rows and
 *       index rows, as {@code JdbcJournal} writes an {@code Indexed} event) — the attempt is
 *       recorded before its handler runs;
 *   <li>the page's handlers (a no-op reading the payload), one job per task on a pool;
 *   <li>one transaction: {@code AttemptSucceeded} for the page (journal and index rows).
 * </ol>
 * Afterwards a node starts on the same database and reads every task through {@link Tasker#get}
 * (its entity recovers the journal written here): each must be SUCCEEDED after one attempt.
 *
 * <pre>
 * PagedLifecycleBound [--tasks 30000] [--pages 100,500,1000] [--in-flight 2] [--threads 20]
 *                     [--warmup 5000] [--verify all|N] [--pg-durable off|on]
 *                     [--claim index|run_at] [--drop-index NAME,...]
 * </pre>
 */
public final class PagedLifecycleBound {
  private static final String QUEUE = "bench";
  private static final String NODE = "paged-bound";
  private static final Duration LEASE = Duration.ofSeconds(10); // tasker.task.lease
  private static final ObjectMapper MAPPER = new ObjectMapper();
  /**
   * The claim, in the order of the index of parked rows ({@code tasker_task_index_parked_idx}:
   * queue, status, wake_at, priority DESC, run_at, task_id), so that it reads P rows and stops;
   * parked rows (no wake_at) come last. Written here: the task index's own SQL is not public.
   * {@code --claim run_at} orders by run time and id instead, which no index serves. Schema
   * version 5 made the parked index partial (parked rows only, by priority): on it, this order
   * has no index either and the claim sorts the queue's scheduled rows; the paged design's claim
   * needs an index of its own (partial on SCHEDULED rows, so start and finish never touch it).
   */
  private static final String CLAIM = "SELECT task_id, seq_nr FROM tasker_task_index"
      + " WHERE queue = ? AND status = 'SCHEDULED' AND run_at <= ?"
      + " ORDER BY wake_at, priority DESC, run_at, task_id LIMIT ? FOR UPDATE SKIP LOCKED";
  private static final String CLAIM_BY_RUN_AT = CLAIM.replace(
      "wake_at, priority DESC, run_at, task_id", "run_at, task_id");

  private final Map<String, String> options;
  private final int tasks;
  private final int inFlight;
  private final int threads;
  private final String claimSql;
  private final ThreadMXBean threadBean = ManagementFactory.getThreadMXBean();
  private final String writer = UUID.randomUUID().toString();
  private Serialization serialization;
  private String adminUrl;

  /** A claimed task: its state as of its last event, and that event's sequence number. */
  private record Claimed(String persistenceId, TaskEntity.State state, long seqNr) {}

  /** CPU of the page loops' threads by kind of work, and what went wrong. */
  private static final class Tally {
    final LongAdder sqlNanos = new LongAdder();
    final LongAdder codecNanos = new LongAdder();
    final LongAdder waitNanos = new LongAdder();
    final LongAdder done = new LongAdder();
    final LongAdder pages = new LongAdder();
    final LongAdder seqMismatches = new LongAdder();
    final LongAdder notScheduled = new LongAdder();
  }

  private PagedLifecycleBound(Map<String, String> options) {
    this.options = options;
    this.tasks = intOption("tasks", 30_000);
    this.inFlight = intOption("in-flight", 2);
    this.threads = intOption("threads", 20);
    this.claimSql = options.getOrDefault("claim", "index").equals("run_at") ? CLAIM_BY_RUN_AT : CLAIM;
  }

  public static void main(String[] args) throws Exception {
    Locale.setDefault(Locale.ROOT);
    Map<String, String> options = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        System.err.println("usage: PagedLifecycleBound [--tasks N] [--pages 100,500,1000]"
            + " [--in-flight K] [--threads T] [--warmup N] [--verify all|N] [--pg-durable on|off]"
            + " [--claim index|run_at] [--drop-index NAME,...]");
        System.exit(2);
      }
      options.put(args[i].substring(2), args[++i]);
    }
    System.exit(new PagedLifecycleBound(options).run());
  }

  private int run() throws Exception {
    boolean durable = options.getOrDefault("pg-durable", "off").equals("on");
    EmbeddedPostgres.Builder pg = EmbeddedPostgres.builder();
    DatabaseCounters.PRELOAD.forEach(pg::setServerConfig);
    if (durable) {
      pg.setServerConfig("fsync", "on").setServerConfig("synchronous_commit", "on");
    }
    // Pekko serialization as the node sets it up (jackson-cbor for TaskerSerializable), local only
    Config config = PekkoSettings.applyTo(ConfigFactory.parseString("pekko.actor.provider = local")
        .withFallback(ConfigFactory.load()).resolve());
    ActorSystem system = ActorSystem.create("paged-bound", config);
    int failures = 0;
    try (EmbeddedPostgres postgres = pg.start()) {
      try (Connection c = postgres.getPostgresDatabase().getConnection();
          Statement s = c.createStatement()) {
        DatabaseCounters.install(c);
        System.out.println("PostgreSQL " + PagedCosts.show(s, "server_version")
            + ", fsync=" + PagedCosts.show(s, "fsync")
            + ", synchronous_commit=" + PagedCosts.show(s, "synchronous_commit")
            + (durable ? " (--pg-durable on)" : " (embedded defaults; --pg-durable on for both on)"));
      }
      adminUrl = "jdbc:postgresql://localhost:" + postgres.getPort() + "/postgres";
      serialization = SerializationExtension.get(system);
      System.out.printf("%d CPUs, load average %.2f; %,d tasks per run, %d pages in flight,"
              + " %d handler threads, JVM %s%n", Runtime.getRuntime().availableProcessors(),
          PagedCosts.loadAverage(), tasks, inFlight, threads,
          ManagementFactory.getRuntimeMXBean().getInputArguments());
      int warmup = intOption("warmup", 5_000);
      if (warmup > 0) {
        System.out.printf("warm-up (untimed): %,d tasks, P=500%n", warmup);
        runOnce("warmup", warmup, 500, false);
      }
      List<Map<String, Object>> rows = new ArrayList<>();
      for (String p : options.getOrDefault("pages", "100,500,1000").split(",")) {
        int size = Integer.parseInt(p.trim());
        Map<String, Object> result = runOnce("p" + size, tasks, size, true);
        rows.add(result);
        failures += result.get("failures") instanceof List<?> list ? list.size() : 0;
      }
      System.out.printf("%nload average at the end %.2f%n", PagedCosts.loadAverage());
      PagedCosts.table(rows, inFlight);
    } finally {
      system.terminate();
    }
    return failures == 0 ? 0 : 1;
  }

  /** Enqueues n tasks on a fresh database, drains them page by page, verifies; @return figures */
  private Map<String, Object> runOnce(String name, int n, int page, boolean measure)
      throws Exception {
    BenchDb db = freshDatabase("paged_" + name);
    String dbName = "paged_" + name;
    List<String> failures = new ArrayList<>();
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("page", page);
    long setupStart = System.nanoTime();
    try (TaskerSystem node = new TaskerSystem(false)) {
      node.open(db, new Sink(n, 0));
      long now = System.currentTimeMillis();
      List<BenchTask> batch = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        batch.add(new BenchTask(i, now, true));
      }
      BatchEnqueue.run(node, batch, 1000, 2, done -> {});
    }
    System.out.printf("[%s] setup: %,d tasks enqueued by a node (queue paused), node closed,"
        + " %.1f s%n", name, n, (System.nanoTime() - setupStart) / 1e9);
    System.gc();
    System.out.printf("  waited %d ms for the JIT to go quiet%n", PagedCosts.awaitQuietJit());

    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), "");
        Statement s = c.createStatement()) {
      for (String index : options.getOrDefault("drop-index", "").split(",")) {
        if (!index.isBlank()) { // an ablation: what the index rows' maintenance costs
          s.execute("DROP INDEX " + index.trim());
        }
      }
      // as autovacuum would soon: fresh after a bulk insert, the planner sorts the whole queue
      s.execute("ANALYZE tasker_task_index");
      System.out.println("  claim plan: " + PagedCosts.explain(c, claimSql, QUEUE, page));
    }
    Sink sink = new Sink(n, 0);
    Tally tally = new Tally();
    PagedCosts costs;
    try (Connection admin = DriverManager.getConnection(adminUrl, "postgres", "")) {
      costs = PagedCosts.begin(admin, dbName);
    }
    WorkloadCost cost = WorkloadCost.begin(adminUrl, dbName);
    List<Thread> handlerThreads = new java.util.concurrent.CopyOnWriteArrayList<>();
    ExecutorService handlers = Executors.newFixedThreadPool(threads, r -> {
      Thread thread = new Thread(r, "handler-" + handlerThreads.size());
      handlerThreads.add(thread);
      return thread;
    });
    ExecutorService loops = Executors.newFixedThreadPool(inFlight);
    long start = System.nanoTime();
    Map<String, Long> byThread;
    try {
      List<Future<?>> running = new ArrayList<>();
      for (int i = 0; i < inFlight; i++) {
        running.add(loops.submit(() -> {
          pageLoop(db, page, handlers, sink, tally);
          return null;
        }));
      }
      for (Future<?> f : running) {
        f.get();
      }
      byThread = costs.threadsSince();
    } finally {
      loops.shutdownNow();
    }
    long elapsed = System.nanoTime() - start;
    cost.settled();
    long handlerNanos = 0;
    for (Thread thread : handlerThreads) {
      handlerNanos += Math.max(0, threadBean.getThreadCpuTime(thread.getId()));
    }
    handlers.shutdownNow();
    double perS = n / (elapsed / 1e9);
    cost.end("run", n, result, false);
    result.put("per_s", perS);
    result.put("sql_cpu_us", tally.sqlNanos.sum() / 1e3 / n);
    result.put("codec_cpu_us", tally.codecNanos.sum() / 1e3 / n);
    result.put("handler_cpu_us", handlerNanos / 1e3 / n);
    System.out.printf("[%s] P=%d: %,d tasks in %.2f s = %,.0f tasks/s, %d pages; JVM %.0f µs/task"
            + " (page loops: SQL %.0f, decode+fold+encode %.0f; handler pool %.0f; loops waited for"
            + " handlers %.1f s),"
            + " PostgreSQL %.0f µs/task; %.3f statements, %.2f rows written, %.4f commits per task%n",
        name, page, tally.done.sum(), elapsed / 1e9, perS, tally.pages.sum(),
        result.get("run.cpu_us_per_task"), result.get("sql_cpu_us"), result.get("codec_cpu_us"),
        result.get("handler_cpu_us"), tally.waitNanos.sum() / 1e9,
        result.get("run.pg_cpu_us_per_task"),
        result.get("run.sql_statements_per_task"), result.get("run.rows_written_per_task"),
        result.get("run.sql_commits_per_task"));
    if (measure) {
      try (Connection admin = DriverManager.getConnection(adminUrl, "postgres", "")) {
        costs.print(admin, dbName, byThread, (double) result.get("run.cpu_us_per_task"), n,
            tally.pages.sum());
      }
    }
    if (tally.done.sum() != n || sink.remaining() != 0 || sink.duplicates() > 0) {
      failures.add(name + ": recorded " + tally.done.sum() + " of " + n + ", handlers left "
          + sink.remaining() + ", duplicates " + sink.duplicates());
    }
    if (tally.seqMismatches.sum() + tally.notScheduled.sum() > 0) {
      failures.add(name + ": index seq_nr behind the journal " + tally.seqMismatches.sum()
          + ", claimed but not SCHEDULED in the journal " + tally.notScheduled.sum());
    }
    result.put("verified", verify(db, n, failures, name));
    failures.forEach(f -> System.out.println("FAILED CHECK: " + f));
    result.put("failures", failures);
    return result;
  }

  /** One loop: claim and start a page, run its handlers, record their outcomes; until none due. */
  private void pageLoop(BenchDb db, int page, ExecutorService handlers, Sink sink, Tally tally)
      throws Exception {
    try (Connection connection = DriverManager.getConnection(db.jdbcUrl(), db.user(), "");
        PreparedStatement claim = connection.prepareStatement(claimSql)) {
      while (true) {
        List<Claimed> started = new ArrayList<>(page);
        Jdbc.inTransaction(connection, () -> claimAndStart(connection, claim, page, started, tally));
        if (started.isEmpty()) {
          return;
        }
        long waitStart = System.nanoTime();
        List<CompletableFuture<Void>> runs = new ArrayList<>(started.size());
        for (Claimed task : started) {
          runs.add(CompletableFuture.runAsync(() -> handle(task.state(), sink), handlers));
        }
        CompletableFuture.allOf(runs.toArray(CompletableFuture[]::new)).join();
        tally.waitNanos.add(System.nanoTime() - waitStart);
        finish(connection, started, tally);
        tally.done.add(started.size());
        tally.pages.increment();
      }
    }
  }

  /** Inside one transaction: claim, read the events, record AttemptStarted with index rows. */
  private void claimAndStart(Connection connection, PreparedStatement claim, int page,
      List<Claimed> started, Tally tally) throws SQLException {
    long t0 = threadBean.getCurrentThreadCpuTime();
    Map<String, Long> indexed = new LinkedHashMap<>();
    Instant now = Instant.now();
    claim.setString(1, QUEUE);
    claim.setObject(2, java.time.OffsetDateTime.ofInstant(now, java.time.ZoneOffset.UTC));
    claim.setInt(3, page);
    try (ResultSet rs = claim.executeQuery()) {
      while (rs.next()) {
        indexed.put(IndexRow.persistenceId(TaskId.of(rs.getString(1))), rs.getLong(2));
      }
    }
    if (indexed.isEmpty()) {
      tally.sqlNanos.add(threadBean.getCurrentThreadCpuTime() - t0);
      return;
    }
    List<JournalRow> events = JournalTable.readFrom(connection, indexed.keySet(), 1);
    long t1 = threadBean.getCurrentThreadCpuTime();
    Map<String, Claimed> folded = fold(events);
    List<JournalRow> rows = new ArrayList<>(indexed.size());
    List<TableRow> indexRows = new ArrayList<>(indexed.size());
    long nowMillis = now.toEpochMilli();
    for (Map.Entry<String, Long> entry : indexed.entrySet()) {
      Claimed task = folded.get(entry.getKey());
      if (task == null || task.state().status() != TaskStatus.SCHEDULED) {
        tally.notScheduled.increment();
        continue;
      }
      if (task.seqNr() != entry.getValue()) {
        tally.seqMismatches.increment(); // the row is written with its event: never expected
      }
      TaskEntity.Event event = task.state().start(NODE, now, LEASE);
      Claimed next = record(task, event, nowMillis, rows, indexRows);
      started.add(next);
    }
    long t2 = threadBean.getCurrentThreadCpuTime();
    write(connection, rows, indexRows);
    tally.codecNanos.add(t2 - t1);
    tally.sqlNanos.add(t1 - t0 + threadBean.getCurrentThreadCpuTime() - t2);
  }

  /** One transaction: each task's outcome (AttemptSucceeded) with its index row. */
  private void finish(Connection connection, List<Claimed> running, Tally tally)
      throws SQLException {
    long t0 = threadBean.getCurrentThreadCpuTime();
    Instant now = Instant.now();
    AttemptResult success = new AttemptResult(AttemptOutcome.SUCCEEDED, null, null, null, false);
    List<JournalRow> rows = new ArrayList<>(running.size());
    List<TableRow> indexRows = new ArrayList<>(running.size());
    for (Claimed task : running) {
      TaskEntity.Event event =
          task.state().finish(success, now, () -> ThreadLocalRandom.current().nextDouble());
      record(task, event, now.toEpochMilli(), rows, indexRows);
    }
    long t1 = threadBean.getCurrentThreadCpuTime();
    Jdbc.inTransaction(connection, () -> write(connection, rows, indexRows));
    tally.codecNanos.add(t1 - t0);
    tally.sqlNanos.add(threadBean.getCurrentThreadCpuTime() - t1);
  }

  /** Adds the event's journal row and index row, as TaskEntity.persist and the journal do. */
  private Claimed record(Claimed task, TaskEntity.Event event, long nowMillis,
      List<JournalRow> rows, List<TableRow> indexRows) {
    long seqNr = task.seqNr() + 1;
    TaskEntity.State next = task.state().apply(event);
    rows.add(JournalRow.of(serialization, task.persistenceId(), seqNr, writer, nowMillis, event));
    indexRows.add(next.toIndexRow(seqNr));
    return new Claimed(task.persistenceId(), next, seqNr);
  }

  /** Index rows first, then events: the journal's order (see JdbcJournal#insert). */
  private static void write(Connection connection, List<JournalRow> rows, List<TableRow> indexRows)
      throws SQLException {
    TaskIndexTable.WRITER.writeAll(connection, JournalSettings.Dialect.POSTGRES, indexRows);
    JournalTable.insertAll(connection, JournalSettings.Dialect.POSTGRES, rows);
  }

  /** @return each task's state as of its last event (deleted rows keep only their number) */
  private Map<String, Claimed> fold(List<JournalRow> events) {
    Map<String, Claimed> folded = new LinkedHashMap<>();
    for (JournalRow row : events) {
      Claimed before = folded.get(row.persistenceId());
      TaskEntity.State state = before != null ? before.state()
          : TaskEntity.State.empty(TaskId.of(row.persistenceId().substring("Task|".length())));
      if (!row.deleted()) {
        state = state.apply((TaskEntity.Event) row.event(serialization));
      }
      folded.put(row.persistenceId(), new Claimed(row.persistenceId(), state, row.sequenceNumber()));
    }
    return folded;
  }

  /** The no-op handler: reads its payload as the node's handler would, and counts the run. */
  private static void handle(TaskEntity.State state, Sink sink) {
    try {
      sink.run(MAPPER.treeToValue(state.spec().payload(), TaskerSystem.Payload.class).seq());
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * A node on the same database: counts from the index, then every task (or a sample) through
   * {@link Tasker#get}, which recovers the task's entity from the journal written here.
   */
  private String verify(BenchDb db, int n, List<String> failures, String name) throws Exception {
    String sample = options.getOrDefault("verify", "all");
    if (sample.equals("none")) {
      return "not checked";
    }
    List<String> ids = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), "");
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT task_id FROM tasker_task_index ORDER BY task_id")) {
      while (rs.next()) {
        ids.add(rs.getString(1));
      }
    }
    int checked = sample.equals("all") ? ids.size() : Math.min(ids.size(), Integer.parseInt(sample));
    long begin = System.nanoTime();
    Sink reruns = new Sink(n, 0);
    AtomicLong wrong = new AtomicLong();
    try (TaskerSystem node = new TaskerSystem(false)) {
      node.open(db, reruns);
      Tasker tasker = node.tasker();
      long succeeded = 0;
      for (QueueCounts counts : tasker.counts().toCompletableFuture().get(60, TimeUnit.SECONDS)) {
        succeeded += counts.byStatus().getOrDefault(TaskStatus.SUCCEEDED, 0L);
      }
      if (succeeded != n || ids.size() != n) {
        failures.add(name + ": index counts " + succeeded + " SUCCEEDED of " + n);
      }
      Semaphore window = new Semaphore(256);
      int step = Math.max(1, ids.size() / Math.max(1, checked));
      List<CompletableFuture<?>> gets = new ArrayList<>();
      for (int i = 0; i < ids.size() && gets.size() < checked; i += step) {
        window.acquire();
        gets.add(tasker.get(TaskId.of(ids.get(i))).toCompletableFuture()
            .whenComplete((view, error) -> {
              window.release();
              if ((error != null || !recoveredAsRun(view)) && wrong.incrementAndGet() == 1) {
                System.out.println("  first wrong task: " + (error != null ? error : view));
              }
            }));
      }
      CompletableFuture.allOf(gets.toArray(CompletableFuture[]::new)).get(600, TimeUnit.SECONDS);
      checked = gets.size();
    }
    if (wrong.get() > 0 || reruns.remaining() != n) {
      failures.add(name + ": " + wrong.get() + " of " + checked + " tasks not recovered as"
          + " SUCCEEDED after one attempt; handler runs on the verifying node "
          + (n - reruns.remaining()));
    }
    String verdict = (wrong.get() == 0 ? "ok " : "WRONG ") + checked + "/" + n;
    System.out.printf("[%s] verified by a node: %s tasks read through Tasker.get (entity recovered"
        + " from the journal), %d wrong, %.1f s%n", name, verdict, wrong.get(),
        (System.nanoTime() - begin) / 1e9);
    return verdict;
  }

  private static boolean recoveredAsRun(TaskView view) {
    return view.status() == TaskStatus.SUCCEEDED && view.attempts() == 1
        && view.history().size() == 1 && NODE.equals(view.history().get(0).node())
        && view.history().get(0).outcome() == AttemptOutcome.SUCCEEDED;
  }

  private BenchDb freshDatabase(String name) throws SQLException {
    try (Connection c = DriverManager.getConnection(adminUrl, "postgres", "");
        Statement s = c.createStatement()) {
      s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
      s.execute("CREATE DATABASE " + name);
    }
    String url = adminUrl.replaceFirst("/postgres$", "/" + name) + "?reWriteBatchedInserts=true";
    return new BenchDb(url, "postgres", intOption("pool", 10));
  }

  private int intOption(String name, int fallback) {
    return options.containsKey(name) ? Integer.parseInt(options.get(name)) : fallback;
  }
}
