package io.tasker.bench.faults;

import io.tasker.server.NodeProcess;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * PostgreSQL stopped under a steady enqueue load for a while and started again on the same data
 * directory and port, the three nodes left running. Enqueues while it is down must get a clear
 * 503 (or be accepted once it is back); the nodes must become ready again by themselves; nothing
 * acknowledged may be lost.
 */
final class DatabaseOutage implements Scenario {
  @Override
  public String name() {
    return "db-outage";
  }

  @Override
  public List<FaultRow> run(Setting setting) throws Exception {
    Scale scale = setting.scale();
    int rate = scale.rate() / 2;
    System.out.printf("%n== db-outage: 3 nodes, %d sleep(%d ms) tasks/s, PostgreSQL down %d s"
        + " ==%n", rate, scale.sleep().toMillis(), scale.outage().toSeconds());
    Postgres postgres = setting.postgres();
    try (Cluster cluster = Cluster.start(name(), 3, postgres.createDatabase("db_outage"),
        setting.nodeJvm(), setting.work())) {
      String body = "{\"type\":\"sleep\",\"payload\":{\"millis\":" + scale.sleep().toMillis()
          + "}}";
      // the load covers the outage and the time PostgreSQL takes to stop and start
      Duration loadFor = scale.aroundOutage().multipliedBy(2).plus(scale.outage())
          .plusSeconds(5);
      EnqueueLoad load = EnqueueLoad.start(cluster, List.of(cluster.node(0), cluster.node(1),
          cluster.node(2)), rate, loadFor, body);
      TimeUnit.MILLISECONDS.sleep(scale.aroundOutage().toMillis());
      Instant stoppedAt = Instant.now();
      postgres.stop();
      Instant downAt = Instant.now();
      System.out.println("PostgreSQL stopped at " + stoppedAt);
      TimeUnit.MILLISECONDS.sleep(scale.outage().toMillis());
      postgres.startAgain();
      Instant backAt = Instant.now();
      System.out.println("PostgreSQL started again at " + backAt);

      // ready again without a restart
      Long readyAgainMs = null;
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
      while (System.nanoTime() < deadline) {
        if (cluster.alive().size() == 3
            && cluster.alive().stream().allMatch(n -> cluster.api().isReady(n))) {
          readyAgainMs = Duration.between(backAt, Instant.now()).toMillis();
          break;
        }
        TimeUnit.MILLISECONDS.sleep(200);
      }
      List<EnqueueLoad.Sent> sent = load.await();

      List<String> accepted = new ArrayList<>();
      long fiveXx = 0;
      long during = 0;
      long during503 = 0;
      long duringAccepted = 0;
      List<String> badAnswers = new ArrayList<>();
      Instant firstAcceptedAfter = null;
      for (EnqueueLoad.Sent s : sent) {
        if (s.accepted()) {
          accepted.add(s.id());
        }
        fiveXx += s.status() >= 500 ? 1 : 0;
        boolean duringOutage = !s.sentAt().isBefore(stoppedAt) && s.sentAt().isBefore(backAt);
        if (duringOutage) {
          during++;
          during503 += s.status() == 503 ? 1 : 0;
          duringAccepted += s.accepted() ? 1 : 0;
          if (!s.accepted() && s.status() != 503 && badAnswers.size() < 10) {
            badAnswers.add("sent " + s.sentAt() + ": " + (s.status() == 0
                ? "no answer within 30 s" : "status " + s.status()));
          }
        } else if (s.status() != 503 && !s.accepted() && badAnswers.size() < 10) {
          badAnswers.add("sent " + s.sentAt() + " (database up): status " + s.status());
        }
        if (s.accepted() && !s.sentAt().isBefore(backAt)
            && (firstAcceptedAfter == null || s.sentAt().isBefore(firstAcceptedAfter))) {
          firstAcceptedAfter = s.sentAt();
        }
      }
      NodeProcess via = cluster.alive().get(0);
      Duration drained = TaskAudit.awaitFinished(cluster, via, accepted.size(),
          Duration.ofMinutes(5));
      Map<String, TaskAudit.Task> tasks = TaskAudit.read(cluster, cluster.alive(), accepted);
      TaskAudit.Counts counts = TaskAudit.count(accepted, tasks);

      Map<String, Object> f = new LinkedHashMap<>();
      f.put("requests", sent.size());
      f.put("stopSeconds", Math.round(Duration.between(stoppedAt, downAt).toMillis() / 100.0)
          / 10.0);
      f.put("sentDuringOutage", during);
      f.put("answered503DuringOutage", during503);
      f.put("acceptedDuringOutage", duringAccepted);
      f.put("otherAnswers", badAnswers.size());
      f.put("readyAgainAfterStartMs", readyAgainMs);
      f.put("firstAcceptedAfterStartMs", firstAcceptedAfter == null ? null
          : Duration.between(backAt, firstAcceptedAfter).toMillis());
      f.put("nodesAliveAfter", cluster.alive().size());
      f.put("drainAfterLoadSeconds", drained == null ? null : drained.toSeconds());

      List<String> failures = new ArrayList<>();
      if (!badAnswers.isEmpty()) {
        failures.add(badAnswers.size() + " enqueue(s) answered neither 2xx nor 503");
      }
      if (readyAgainMs == null) {
        failures.add("nodes not all ready again within 2 minutes of PostgreSQL's start");
      }
      List<String> evidence = new ArrayList<>(badAnswers);
      evidence.addAll(TaskAudit.evidence(accepted, tasks));
      System.out.println("db-outage: " + counts + " " + f);
      return List.of(FaultRow.of(name(), "postgres: " + setting.postgresLabel(), counts, fiveXx,
          f, failures, List.of(), evidence));
    }
  }
}
