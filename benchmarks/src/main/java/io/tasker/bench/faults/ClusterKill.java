package io.tasker.bench.faults;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;

/**
 * {@code kill -9} of every node of a three-node cluster right after the last answer of a batch
 * enqueue of tasks due over the next minutes, then all started again: every task runs, those
 * due while the cluster was down as soon as it is back, the others on time.
 */
final class ClusterKill implements Scenario {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int BATCH = 100; // tasker.http.max-batch
  private static final int IN_FLIGHT = 4;

  @Override
  public String name() {
    return "cluster-kill";
  }

  @Override
  public List<FaultRow> run(Setting setting) throws Exception {
    Scale scale = setting.scale();
    // the first tasks come due while the cluster is down, the others after it is back
    Duration lead = scale.scheduled() > 10_000 ? Duration.ofSeconds(90) : Duration.ofSeconds(40);
    System.out.printf("%n== cluster-kill: %,d tasks due from %d s over %d s, kill -9 of all 3"
        + " nodes after the last answer ==%n", scale.scheduled(), lead.toSeconds(),
        scale.spread().toSeconds());
    try (Cluster cluster = Cluster.start(name(), 3,
        setting.postgres().createDatabase("cluster_kill"), setting.nodeJvm(), setting.work())) {
      Instant first = Instant.now().plus(lead);
      long enqueueStart = System.nanoTime();
      Map<String, Instant> runAt = new HashMap<>();
      long[] refused = new long[2]; // batches refused, of which 5xx
      enqueue(cluster, scale.scheduled(), first, scale.spread(), runAt, refused);
      double enqueueSeconds = (System.nanoTime() - enqueueStart) / 1e9;
      Instant killedAt = Instant.now();
      for (int i = 0; i < 3; i++) {
        cluster.kill(i);
      }
      System.out.println("killed all 3 nodes at " + killedAt + ", " + runAt.size()
          + " tasks acknowledged");
      for (int i = 0; i < 3; i++) {
        cluster.restart(i);
      }
      cluster.awaitUp(Duration.ofMinutes(3));
      Instant upAt = Instant.now();
      List<String> accepted = new ArrayList<>(runAt.keySet());
      Duration patience = Duration.between(Instant.now(), first.plus(scale.spread()))
          .plus(Duration.ofMinutes(5));
      TaskAudit.awaitFinished(cluster, cluster.node(0), accepted.size(), patience);
      Map<String, TaskAudit.Task> tasks = TaskAudit.read(cluster, cluster.alive(), accepted);
      TaskAudit.Counts counts = TaskAudit.count(accepted, tasks);

      List<Long> overdue = new ArrayList<>();
      List<Long> onTime = new ArrayList<>();
      long startedBeforeKill = 0;
      Instant lastStart = null;
      for (TaskAudit.Task t : tasks.values()) {
        Instant start = t.firstStart();
        if (start == null) {
          continue;
        }
        startedBeforeKill += start.isBefore(killedAt) ? 1 : 0;
        long lateness = Duration.between(runAt.get(t.id()), start).toMillis();
        if (runAt.get(t.id()).isBefore(upAt)) {
          overdue.add(lateness);
        } else {
          onTime.add(lateness);
        }
        Instant last = t.history().get(t.history().size() - 1).startedAt();
        lastStart = lastStart == null || last.isAfter(lastStart) ? last : lastStart;
      }
      Instant lastDue = first.plus(scale.spread());
      Map<String, Object> f = new LinkedHashMap<>();
      f.put("enqueuePerSecond", Math.round(runAt.size() / enqueueSeconds));
      f.put("batchesRefused", refused[0]);
      f.put("startedBeforeKill", startedBeforeKill);
      f.put("downSeconds", Duration.between(killedAt, upAt).toSeconds());
      f.put("dueWhileDown", overdue.size());
      f.put("overdueLatenessP50Ms", Stats.percentile(overdue, 0.5));
      f.put("overdueLatenessMaxMs", Stats.max(overdue));
      f.put("dueAfterRestart", onTime.size());
      f.put("latenessAfterRestartP50Ms", Stats.percentile(onTime, 0.5));
      f.put("latenessAfterRestartP99Ms", Stats.percentile(onTime, 0.99));
      f.put("latenessAfterRestartMaxMs", Stats.max(onTime));
      f.put("drainSeconds", lastStart == null ? null
          : Duration.between(upAt, lastStart).toMillis() / 1000.0);
      f.put("lastStartAfterLastDueMs", lastStart == null ? null
          : Duration.between(lastDue, lastStart).toMillis());
      System.out.println("cluster-kill: " + counts + " " + f);
      return List.of(FaultRow.of(name(), "postgres: " + setting.postgresLabel(), counts,
          refused[1], f, List.of(), List.of(), TaskAudit.evidence(accepted, tasks)));
    }
  }

  /** Batches of 100 over the three nodes, {@link #IN_FLIGHT} at a time, run times spread. */
  private static void enqueue(Cluster cluster, int count, Instant first, Duration spread,
      Map<String, Instant> runAt, long[] refused) throws Exception {
    Semaphore window = new Semaphore(IN_FLIGHT);
    List<CompletableFuture<Void>> batches = new ArrayList<>();
    for (int start = 0, b = 0; start < count; start += BATCH, b++) {
      StringBuilder body = new StringBuilder("{\"tasks\":[");
      for (int i = start; i < Math.min(count, start + BATCH); i++) {
        Instant due = first.plusMillis(spread.toMillis() * i / count);
        body.append(i == start ? "" : ",").append("{\"type\":\"echo\",\"runAt\":\"").append(due)
            .append("\",\"payload\":").append(i).append('}');
      }
      HttpRequest request = cluster.api().request(cluster.node(b % 3), "/v1/tasks:batch")
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(body.append("]}").toString())).build();
      window.acquire();
      batches.add(cluster.api().client().sendAsync(request,
              HttpResponse.BodyHandlers.ofString(UTF_8))
          .thenAccept(r -> record(r, runAt, refused))
          .whenComplete((v, e) -> window.release()));
    }
    for (CompletableFuture<Void> batch : batches) {
      try {
        batch.join();
      } catch (RuntimeException noAnswer) {
        synchronized (runAt) {
          refused[0]++;
        }
      }
    }
  }

  private static void record(HttpResponse<String> r, Map<String, Instant> runAt, long[] refused) {
    synchronized (runAt) {
      if (r.statusCode() / 100 != 2) {
        refused[0]++;
        refused[1] += r.statusCode() >= 500 ? 1 : 0;
        return;
      }
      try {
        for (JsonNode t : JSON.readTree(r.body()).get("tasks")) {
          runAt.put(t.get("id").asText(), Instant.parse(t.get("runAt").asText()));
        }
      } catch (Exception e) {
        throw new IllegalStateException("batch answer: " + r.body(), e);
      }
    }
  }
}
