package io.tasker.bench.faults;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.tasker.server.NodeProcess;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;

/**
 * {@code kill -9} of a single node right after the last answer of a burst of enqueues (one task
 * per request, 16 in flight, all due after the restart), then the node started again on the
 * same data: every acknowledged task must exist and run once. On the H2 journal and on
 * PostgreSQL.
 */
final class SingleNodeKill implements Scenario {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int IN_FLIGHT = 16;

  @Override
  public String name() {
    return "single-kill";
  }

  @Override
  public List<FaultRow> run(Setting setting) throws Exception {
    List<FaultRow> rows = new ArrayList<>();
    rows.add(once(setting, "h2", FaultSuite.H2_LABEL, Map.of()));
    rows.add(once(setting, "postgres", setting.postgresLabel(),
        setting.postgres().createDatabase("single_kill")));
    return rows;
  }

  private FaultRow once(Setting setting, String journal, String label, Map<String, String> env)
      throws Exception {
    System.out.printf("%n== single-kill (%s): %d enqueues, kill -9 after the last answer ==%n",
        journal, setting.scale().burst());
    try (Cluster cluster = Cluster.start(name() + "-" + journal, 1, env, setting.nodeJvm(),
        setting.work())) {
      // due after the restart: none may run before the kill, so none may run twice
      Instant runAt = Instant.now().plusSeconds(15 + setting.scale().burst() / 100);
      List<HttpResponse<String>> answers = burst(cluster, setting.scale().burst(), runAt);
      long lastAnswer = System.nanoTime();
      cluster.kill(0);
      long ackToKillMillis = (System.nanoTime() - lastAnswer) / 1_000_000;
      Instant killedAt = Instant.now();

      List<String> accepted = new ArrayList<>();
      long fiveXx = 0;
      for (HttpResponse<String> r : answers) {
        if (r.statusCode() / 100 == 2) {
          accepted.add(JSON.readTree(r.body()).get("id").asText());
        }
        fiveXx += r.statusCode() >= 500 ? 1 : 0;
      }
      long restart = System.nanoTime();
      cluster.restart(0);
      cluster.awaitUp(Duration.ofMinutes(3));
      double restartSeconds = (System.nanoTime() - restart) / 1e9;
      NodeProcess node = cluster.node(0);
      TaskAudit.awaitFinished(cluster, node, accepted.size(), Duration.ofMinutes(3));
      Map<String, TaskAudit.Task> tasks = TaskAudit.read(cluster, List.of(node), accepted);
      long ranBeforeKill = tasks.values().stream().filter(t -> t.firstStart() != null
          && t.firstStart().isBefore(killedAt)).count();

      Map<String, Object> figures = new LinkedHashMap<>();
      figures.put("requests", answers.size());
      figures.put("refused", answers.size() - accepted.size());
      figures.put("lastAnswerToKillMs", ackToKillMillis);
      figures.put("restartToReadySeconds", Math.round(restartSeconds * 10) / 10.0);
      figures.put("startedBeforeKill", ranBeforeKill);
      TaskAudit.Counts counts = TaskAudit.count(accepted, tasks);
      System.out.println("single-kill " + journal + ": " + counts + " " + figures);
      return FaultRow.of(name(), journal + ": " + label, counts, fiveXx, figures, List.of(),
          List.of(), TaskAudit.evidence(accepted, tasks));
    }
  }

  private static List<HttpResponse<String>> burst(Cluster cluster, int count, Instant runAt)
      throws Exception {
    Semaphore window = new Semaphore(IN_FLIGHT);
    List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      String body = "{\"type\":\"echo\",\"runAt\":\"" + runAt + "\",\"payload\":{\"n\":" + i
          + "}}";
      window.acquire();
      answers.add(cluster.api().client().sendAsync(cluster.api().request(cluster.node(0),
                  "/v1/tasks").header("Content-Type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
              HttpResponse.BodyHandlers.ofString(UTF_8))
          .whenComplete((r, e) -> window.release()));
    }
    List<HttpResponse<String>> done = new ArrayList<>();
    for (CompletableFuture<HttpResponse<String>> answer : answers) {
      done.add(answer.join());
    }
    return done;
  }
}
