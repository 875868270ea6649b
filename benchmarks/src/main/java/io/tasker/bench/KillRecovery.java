package io.tasker.bench;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@link ClusterBenchmark}'s kill-recovery run: 3 nodes, a steady stream of short {@code sleep}
 * tasks sent to nodes 0 and 1, {@code kill -9} of node 2, and from every task's attempt history:
 * the time until the first task the killed node was running starts again elsewhere, and until
 * every task it held unfinished (running, or pending on its shards) has started again.
 */
final class KillRecovery {
  static final String VICTIM = "node-2";

  private final ClusterBenchmark bench;
  private final int rate;
  private final long sleepMillis;
  private final int warmupSeconds;
  private final int afterKillSeconds;

  KillRecovery(ClusterBenchmark bench, int rate, long sleepMillis, int warmupSeconds,
      int afterKillSeconds) {
    this.bench = bench;
    this.rate = rate;
    this.sleepMillis = sleepMillis;
    this.warmupSeconds = warmupSeconds;
    this.afterKillSeconds = afterKillSeconds;
  }

  private record Sent(long sentNanos, Instant sentAt, CompletableFuture<HttpResponse<String>> reply,
      AtomicReference<Long> repliedNanos) {}

  ObjectNode run() throws Exception {
    System.out.printf("%n== kill recovery: 3 nodes, %d sleep(%d ms) tasks/s, kill -9 %s after"
        + " %d s ==%n", rate, sleepMillis, VICTIM, warmupSeconds);
    String db = bench.freshDatabase("kill");
    bench.startCluster(3);
    try {
      List<Sent> sent = new ArrayList<>();
      String body = "{\"type\":\"sleep\",\"payload\":{\"millis\":" + sleepMillis + "}}";
      long start = System.nanoTime();
      long intervalNanos = TimeUnit.SECONDS.toNanos(1) / rate;
      long killAtNanos = start + TimeUnit.SECONDS.toNanos(warmupSeconds);
      long endNanos = killAtNanos + TimeUnit.SECONDS.toNanos(afterKillSeconds);
      Instant killedAt = null;
      long killScriptMillis = 0;
      AtomicReference<Instant> removedAt = new AtomicReference<>();
      for (long i = 0; ; i++) {
        long due = start + i * intervalNanos;
        if (due >= endNanos) {
          break;
        }
        if (killedAt == null && due >= killAtNanos) {
          killedAt = Instant.now();
          long before = System.nanoTime();
          bench.script("kill", "2");
          killScriptMillis = (System.nanoTime() - before) / 1_000_000;
          watchRemoval(killedAt, removedAt);
        }
        long wait = due - System.nanoTime();
        if (wait > 0) {
          TimeUnit.NANOSECONDS.sleep(wait);
        }
        AtomicReference<Long> replied = new AtomicReference<>();
        CompletableFuture<HttpResponse<String>> reply = bench.http.sendAsync(
            bench.request((int) (i % 2), "/v1/tasks").header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
            HttpResponse.BodyHandlers.ofString(UTF_8));
        reply.whenComplete((r, e) -> replied.set(System.nanoTime()));
        sent.add(new Sent(System.nanoTime(), Instant.now(), reply, replied));
      }
      // every request answered, then every task finished
      Set<String> accepted = new HashSet<>();
      int rejected = 0;
      for (Sent s : sent) {
        try {
          HttpResponse<String> r = s.reply().get(90, TimeUnit.SECONDS);
          if (r.statusCode() == 201) {
            accepted.add(ClusterBenchmark.JSON.readTree(r.body()).get("id").asText());
          } else {
            rejected++;
          }
        } catch (Exception e) {
          rejected++;
        }
      }
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
      while (unfinished(db) > 0 && System.nanoTime() < deadline) {
        Thread.sleep(500);
      }
      return analyseKill(db, killedAt, killScriptMillis, removedAt.get(), sent, accepted, rejected);
    } finally {
      bench.script("stop");
    }
  }

  /** Records when node 0 first sees a cluster without the killed node (it was downed, removed). */
  private void watchRemoval(Instant killedAt, AtomicReference<Instant> removedAt) {
    Thread watcher = new Thread(() -> {
      while (removedAt.get() == null
          && Duration.between(killedAt, Instant.now()).toSeconds() < 300) {
        try {
          JsonNode members = bench.get(0, "/v1/cluster").get("members");
          if (members.size() == 2) {
            removedAt.set(Instant.now());
          }
          Thread.sleep(250);
        } catch (Exception e) {
          // node 0 busy: ask again
        }
      }
    }, "removal-watcher");
    watcher.setDaemon(true);
    watcher.start();
  }

  private long unfinished(String db) throws Exception {
    try (Connection c = bench.connect(db); Statement s = c.createStatement();
        ResultSet r = s.executeQuery("SELECT count(*) FROM tasker_task_index WHERE status NOT IN"
            + " ('SUCCEEDED', 'DEAD', 'CANCELLED')")) {
      r.next();
      return r.getLong(1);
    }
  }

  private record Attempt(String node, Instant startedAt, Instant finishedAt, String outcome) {}

  private record Task(String id, String status, Instant createdAt, List<Attempt> history) {}

  private ObjectNode analyseKill(String db, Instant killedAt, long killScriptMillis,
      Instant removedAt, List<Sent> sent, Set<String> accepted, int rejected) throws Exception {
    List<String> ids = new ArrayList<>();
    try (Connection c = bench.connect(db); Statement s = c.createStatement();
        ResultSet r = s.executeQuery("SELECT task_id FROM tasker_task_index")) {
      while (r.next()) {
        ids.add(r.getString(1));
      }
    }
    // every task's history, from its entity (the journal)
    Map<String, Task> tasksById = new ConcurrentHashMap<>();
    Semaphore inFlight = new Semaphore(16);
    List<CompletableFuture<Void>> reads = new ArrayList<>();
    for (int i = 0; i < ids.size(); i++) {
      inFlight.acquire();
      String id = ids.get(i);
      reads.add(bench.http.sendAsync(bench.request(i % 2, "/v1/tasks/" + URLEncoder.encode(id, UTF_8))
              .GET().build(), HttpResponse.BodyHandlers.ofString(UTF_8))
          .thenAccept(r -> {
            try {
              JsonNode t = ClusterBenchmark.JSON.readTree(r.body());
              List<Attempt> history = new ArrayList<>();
              for (JsonNode a : t.get("history")) {
                history.add(new Attempt(a.get("node").asText(),
                    Instant.parse(a.get("startedAt").asText()),
                    a.get("finishedAt").isNull() ? null : Instant.parse(a.get("finishedAt").asText()),
                    a.get("outcome").isNull() ? null : a.get("outcome").asText()));
              }
              tasksById.put(id, new Task(id, t.get("status").asText(),
                  Instant.parse(t.get("createdAt").asText()), history));
            } catch (IOException e) {
              throw new IllegalStateException(e);
            }
          })
          .whenComplete((v, e) -> inFlight.release()));
    }
    reads.forEach(CompletableFuture::join);

    // shards the killed node hosted: those of tasks it ran before the kill
    int shards = bench.numberOfShards();
    Map<String, Set<String>> shardHomes = new HashMap<>();
    for (Task t : tasksById.values()) {
      for (Attempt a : t.history()) {
        if (a.startedAt().isBefore(killedAt)) {
          shardHomes.computeIfAbsent(shard(t.id(), shards), k -> new HashSet<>()).add(a.node());
        }
      }
    }
    long victimShards = shardHomes.values().stream().filter(h -> h.equals(Set.of(VICTIM))).count();

    List<Long> lostRerunMillis = new ArrayList<>();
    List<Long> victimPendingStartMillis = new ArrayList<>();
    List<Long> allUnfinishedStartMillis = new ArrayList<>();
    int unclassified = 0;
    int ranMoreThanOnce = 0;
    int duplicatesElsewhere = 0;
    int notSucceeded = 0;
    for (Task t : tasksById.values()) {
      if (!t.status().equals("SUCCEEDED")) {
        notSucceeded++;
      }
      if (t.history().size() > 1) {
        ranMoreThanOnce++;
        boolean lostOnVictim = t.history().subList(0, t.history().size() - 1).stream()
            .allMatch(a -> "LOST".equals(a.outcome()) && a.node().equals(VICTIM));
        duplicatesElsewhere += lostOnVictim ? 0 : 1;
      }
      boolean doneBeforeKill = t.history().stream().anyMatch(a -> "SUCCEEDED".equals(a.outcome())
          && a.finishedAt() != null && a.finishedAt().isBefore(killedAt));
      if (!t.createdAt().isBefore(killedAt) || doneBeforeKill) {
        continue; // not unfinished at the kill
      }
      Attempt after = t.history().stream().filter(a -> !a.startedAt().isBefore(killedAt))
          .findFirst().orElse(null);
      if (after == null) {
        continue; // never started again (counted as not succeeded above)
      }
      long millis = Duration.between(killedAt, after.startedAt()).toMillis();
      allUnfinishedStartMillis.add(millis);
      boolean lost = t.history().stream()
          .anyMatch(a -> "LOST".equals(a.outcome()) && a.node().equals(VICTIM));
      Set<String> home = shardHomes.get(shard(t.id(), shards));
      if (lost) {
        lostRerunMillis.add(millis);
      } else if (home == null || home.size() > 1) {
        unclassified++;
      } else if (home.equals(Set.of(VICTIM))) {
        victimPendingStartMillis.add(millis);
      }
    }
    List<Long> victimAll = new ArrayList<>(lostRerunMillis);
    victimAll.addAll(victimPendingStartMillis);

    // the client's view: enqueue latency of requests sent after the kill
    List<Long> latencyAfterKill = new ArrayList<>();
    List<Long> latencyBeforeKill = new ArrayList<>();
    for (Sent s : sent) {
      Long replied = s.repliedNanos().get();
      if (replied != null) {
        (s.sentAt().isBefore(killedAt) ? latencyBeforeKill : latencyAfterKill)
            .add((replied - s.sentNanos()) / 1_000_000);
      }
    }
    long acceptedMissing = accepted.stream().filter(id -> !tasksById.containsKey(id)).count();

    ObjectNode k = ClusterBenchmark.JSON.createObjectNode();
    k.put("killedAt", killedAt.toString());
    k.put("killScriptMillis", killScriptMillis);
    k.put("removedFromClusterSeconds", removedAt == null ? null
        : ClusterBenchmark.round(Duration.between(killedAt, removedAt).toMillis() / 1000.0));
    k.put("tasks", tasksById.size());
    k.put("requests", sent.size());
    k.put("requestsRejectedOrFailed", rejected);
    k.put("acceptedButMissing", acceptedMissing);
    k.put("notSucceeded", notSucceeded);
    k.put("ranMoreThanOnce", ranMoreThanOnce);
    k.put("ranMoreThanOnceWithoutLostAttemptOnKilledNode", duplicatesElsewhere);
    k.put("killedNodeShardsSeen", victimShards);
    k.put("inFlightOnKilledNode", lostRerunMillis.size());
    k.put("inFlightFirstRerunSeconds", seconds(min(lostRerunMillis)));
    k.put("inFlightAllRerunSeconds", seconds(max(lostRerunMillis)));
    k.put("pendingOnKilledNodeShards", victimPendingStartMillis.size());
    k.put("pendingFirstStartSeconds", seconds(min(victimPendingStartMillis)));
    k.put("killedNodeAllStartedSeconds", seconds(max(victimAll)));
    k.put("unfinishedAtKill", allUnfinishedStartMillis.size());
    k.put("unfinishedAtKillUnclassified", unclassified);
    k.put("unfinishedAtKillAllStartedSeconds", seconds(max(allUnfinishedStartMillis)));
    k.put("enqueueLatencyBeforeKillP99Ms", percentile(latencyBeforeKill, 0.99));
    k.put("enqueueLatencyAfterKillP99Ms", percentile(latencyAfterKill, 0.99));
    k.put("enqueueLatencyAfterKillMaxMs", max(latencyAfterKill));
    System.out.println("kill recovery: " + k);
    return k;
  }

  /** The shard of a task, as the nodes place it. */
  private static String shard(String entityId, int shardsPerType) {
    return io.tasker.node.task.TaskPlacement.shardOf(entityId, shardsPerType);
  }

  private static Long min(List<Long> values) {
    return values.stream().min(Long::compare).orElse(null);
  }

  private static Long max(List<Long> values) {
    return values.stream().max(Long::compare).orElse(null);
  }

  private static Double seconds(Long millis) {
    return millis == null ? null : ClusterBenchmark.round(millis / 1000.0);
  }

  private static Long percentile(List<Long> values, double p) {
    if (values.isEmpty()) {
      return null;
    }
    List<Long> sorted = values.stream().sorted().toList();
    return sorted.get((int) Math.min(sorted.size() - 1, Math.floor(p * sorted.size())));
  }
}
