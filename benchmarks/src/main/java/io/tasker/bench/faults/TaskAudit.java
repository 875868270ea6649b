package io.tasker.bench.faults;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tasker.server.NodeProcess;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * What became of acknowledged tasks, read from each task's own entity ({@code GET
 * /v1/tasks/{id}}: its journal, not the index). A task the cluster does not know (404) was
 * acknowledged and lost; one that ran more than once is explained only if every attempt before
 * its last is on record as {@code LOST} (its node died while running it).
 */
final class TaskAudit {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> UNFINISHED = Set.of("SCHEDULED", "RUNNING");

  private TaskAudit() {}

  record Attempt(String node, Instant startedAt, String outcome) {}

  /** A task as its entity tells it; {@code status} is null if the cluster did not know it. */
  record Task(String id, String status, List<Attempt> history) {
    boolean known() {
      return status != null;
    }

    Instant firstStart() {
      return history.isEmpty() ? null : history.get(0).startedAt();
    }

    boolean explainedRepeat() {
      return history.subList(0, history.size() - 1).stream()
          .allMatch(a -> "LOST".equals(a.outcome()));
    }
  }

  /**
   * The counts of one row.
   *
   * @param accepted tasks acknowledged (201/200 with an id)
   * @param succeeded tasks that succeeded
   * @param lost acknowledged tasks the cluster does not know
   * @param unfinished tasks still scheduled or running when the audit gave up waiting
   * @param ranTwice tasks with more than one attempt
   * @param unexplained of those, tasks with an earlier attempt not on record as LOST
   */
  record Counts(long accepted, long succeeded, long lost, long unfinished, long ranTwice,
      long unexplained) {}

  /** Reads every task, 16 at a time, spread over {@code via}; a 404 means lost. */
  static Map<String, Task> read(Cluster cluster, List<NodeProcess> via, Collection<String> ids) {
    Map<String, Task> tasks = new ConcurrentHashMap<>();
    ExecutorService readers = Executors.newFixedThreadPool(16);
    try {
      List<CompletableFuture<Void>> reads = new ArrayList<>();
      int i = 0;
      for (String id : ids) {
        NodeProcess node = via.get(i++ % via.size());
        reads.add(CompletableFuture.runAsync(() -> tasks.put(id, readOne(cluster, node, id)),
            readers));
      }
      reads.forEach(CompletableFuture::join);
      return tasks;
    } finally {
      readers.shutdownNow();
    }
  }

  private static Task readOne(Cluster cluster, NodeProcess node, String id) {
    String last = "";
    for (int attempt = 0; attempt < 10; attempt++) { // a node busy recovering may answer 503
      try {
        HttpResponse<String> r = cluster.api().client().send(cluster.api()
                .request(node, "/v1/tasks/" + URLEncoder.encode(id, UTF_8)).GET().build(),
            HttpResponse.BodyHandlers.ofString(UTF_8));
        if (r.statusCode() == 404) {
          return new Task(id, null, List.of());
        }
        if (r.statusCode() == 200) {
          JsonNode t = JSON.readTree(r.body());
          List<Attempt> history = new ArrayList<>();
          for (JsonNode a : t.get("history")) {
            history.add(new Attempt(a.get("node").asText(),
                Instant.parse(a.get("startedAt").asText()),
                a.get("outcome").isNull() ? null : a.get("outcome").asText()));
          }
          return new Task(id, t.get("status").asText(), history);
        }
        last = r.statusCode() + " " + r.body();
      } catch (Exception e) {
        last = e.toString();
      }
      try {
        TimeUnit.SECONDS.sleep(1);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    throw new IllegalStateException("GET task " + id + " on " + node.name + ": " + last);
  }

  static Counts count(Collection<String> accepted, Map<String, Task> tasks) {
    long succeeded = 0;
    long lost = 0;
    long unfinished = 0;
    long ranTwice = 0;
    long unexplained = 0;
    for (String id : accepted) {
      Task t = tasks.get(id);
      if (t == null || !t.known()) {
        lost++;
        continue;
      }
      succeeded += t.status().equals("SUCCEEDED") ? 1 : 0;
      unfinished += UNFINISHED.contains(t.status()) ? 1 : 0;
      if (t.history().size() > 1) {
        ranTwice++;
        unexplained += t.explainedRepeat() ? 0 : 1;
      }
    }
    return new Counts(accepted.size(), succeeded, lost, unfinished, ranTwice, unexplained);
  }

  /** Evidence for a row that failed: the first few lost, unfinished or unexplained tasks. */
  static List<String> evidence(Collection<String> accepted, Map<String, Task> tasks) {
    List<String> lines = new ArrayList<>();
    for (String id : accepted) {
      Task t = tasks.get(id);
      String problem = t == null || !t.known() ? "acknowledged, unknown to the cluster (404)"
          : UNFINISHED.contains(t.status()) ? "still " + t.status() + " " + t.history()
          : t.history().size() > 1 && !t.explainedRepeat() ? "repeated without LOST: "
              + t.history() : null;
      if (problem != null && lines.size() < 10) {
        lines.add(id + ": " + problem);
      }
    }
    return lines;
  }

  /**
   * Waits until the tasks of queue {@code default} are all finished (none scheduled or running)
   * and at least {@code expected} of them are, polling its counts every second.
   *
   * @return how long it took, or null if {@code patience} ran out
   */
  static Duration awaitFinished(Cluster cluster, NodeProcess via, long expected, Duration patience)
      throws InterruptedException {
    long start = System.nanoTime();
    long deadline = start + patience.toNanos();
    while (System.nanoTime() < deadline) {
      try {
        JsonNode counts = cluster.api().get(via, "/v1/queues/default").get("tasks");
        long open = counts.path("SCHEDULED").asLong() + counts.path("RUNNING").asLong();
        long done = counts.path("SUCCEEDED").asLong() + counts.path("DEAD").asLong()
            + counts.path("CANCELLED").asLong();
        if (open == 0 && done >= expected) {
          return Duration.ofNanos(System.nanoTime() - start);
        }
      } catch (Exception busy) {
        // asked again below
      }
      TimeUnit.SECONDS.sleep(1);
    }
    return null;
  }
}
