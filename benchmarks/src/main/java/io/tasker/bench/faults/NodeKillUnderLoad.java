package io.tasker.bench.faults;

import io.tasker.node.task.TaskPlacement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * {@code kill -9} of one of three nodes under a steady enqueue load below saturation (short
 * sleeps, sent to the two other nodes). Tasks whose entities live on the surviving nodes must
 * not notice: their lateness ({@code actualStart - runAt}, from each task's history) before and
 * after the kill. The killed node's running attempts are re-run once their lease ends, each
 * with a {@code LOST} attempt on record.
 */
final class NodeKillUnderLoad implements Scenario {
  private static final int VICTIM = 2;
  private static final Duration FAILOVER_WINDOW = Duration.ofSeconds(30);

  @Override
  public String name() {
    return "node-kill";
  }

  @Override
  public List<FaultRow> run(Setting setting) throws Exception {
    Scale scale = setting.scale();
    System.out.printf("%n== node-kill: 3 nodes, %d sleep(%d ms) tasks/s, kill -9 node-%d after"
        + " %d s, then %d s more ==%n", scale.rate(), scale.sleep().toMillis(), VICTIM,
        scale.beforeKill().toSeconds(), scale.afterKill().toSeconds());
    try (Cluster cluster = Cluster.start(name(), 3, setting.postgres().createDatabase("node_kill"),
        setting.nodeJvm(), setting.work())) {
      String victim = cluster.node(VICTIM).name;
      String body = "{\"type\":\"sleep\",\"payload\":{\"millis\":" + scale.sleep().toMillis()
          + "}}";
      EnqueueLoad load = EnqueueLoad.start(cluster, List.of(cluster.node(0), cluster.node(1)),
          scale.rate(), scale.beforeKill().plus(scale.afterKill()), body);
      TimeUnit.MILLISECONDS.sleep(scale.beforeKill().toMillis());
      Instant killedAt = Instant.now();
      cluster.kill(VICTIM);
      System.out.println("killed " + victim + " at " + killedAt);
      List<EnqueueLoad.Sent> sent = load.await();

      List<String> accepted = new ArrayList<>();
      Map<String, Instant> runAt = new HashMap<>();
      for (EnqueueLoad.Sent s : sent) {
        if (s.accepted()) {
          accepted.add(s.id());
          runAt.put(s.id(), s.runAt());
        }
      }
      Duration drained = TaskAudit.awaitFinished(cluster, cluster.node(0), accepted.size(),
          Duration.ofMinutes(5));
      Map<String, TaskAudit.Task> tasks = TaskAudit.read(cluster, cluster.alive(), accepted);
      TaskAudit.Counts counts = TaskAudit.count(accepted, tasks);

      // where each shard lived before the kill: the nodes its tasks started on
      int shards = shardsPerType(setting);
      Map<String, Set<String>> homes = new HashMap<>();
      for (TaskAudit.Task t : tasks.values()) {
        for (TaskAudit.Attempt a : t.history()) {
          if (a.startedAt().isBefore(killedAt)) {
            homes.computeIfAbsent(TaskPlacement.shardOf(t.id(), shards), k -> new HashSet<>())
                .add(a.node());
          }
        }
      }
      List<Long> survivorsBefore = new ArrayList<>();
      List<Long> survivorsAfter = new ArrayList<>();
      List<Long> victimShardsAfter = new ArrayList<>();
      List<Long> rerunAfterKill = new ArrayList<>();
      for (TaskAudit.Task t : tasks.values()) {
        if (t.firstStart() == null) {
          continue;
        }
        long lateness = Duration.between(runAt.get(t.id()), t.firstStart()).toMillis();
        Set<String> home = homes.get(TaskPlacement.shardOf(t.id(), shards));
        boolean onSurvivor = home != null && !home.contains(victim);
        boolean onVictim = home != null && home.equals(Set.of(victim));
        boolean beforeKill = runAt.get(t.id()).isBefore(killedAt);
        if (onSurvivor && beforeKill) {
          survivorsBefore.add(lateness);
        } else if (onSurvivor) {
          survivorsAfter.add(lateness);
        } else if (onVictim && !beforeKill) {
          victimShardsAfter.add(lateness);
        }
        for (int i = 1; i < t.history().size(); i++) {
          if ("LOST".equals(t.history().get(i - 1).outcome())) {
            rerunAfterKill.add(Duration.between(killedAt, t.history().get(i).startedAt())
                .toMillis());
          }
        }
      }

      List<Long> latencyBefore = new ArrayList<>();
      List<Long> latencyFailover = new ArrayList<>();
      long fiveXx = 0;
      long noAnswer = 0;
      long fiveXxFailover = 0;
      for (EnqueueLoad.Sent s : sent) {
        boolean failover = !s.sentAt().isBefore(killedAt)
            && s.sentAt().isBefore(killedAt.plus(FAILOVER_WINDOW));
        if (s.latencyMillis() >= 0 && s.sentAt().isBefore(killedAt)) {
          latencyBefore.add(s.latencyMillis());
        } else if (s.latencyMillis() >= 0 && failover) {
          latencyFailover.add(s.latencyMillis());
        }
        fiveXx += s.status() >= 500 ? 1 : 0;
        fiveXxFailover += failover && s.status() >= 500 ? 1 : 0;
        noAnswer += s.status() == 0 ? 1 : 0;
      }

      Map<String, Object> f = new LinkedHashMap<>();
      f.put("requests", sent.size());
      f.put("noAnswer", noAnswer);
      f.put("survivorLatenessBeforeP50Ms", Stats.percentile(survivorsBefore, 0.5));
      f.put("survivorLatenessBeforeP99Ms", Stats.percentile(survivorsBefore, 0.99));
      f.put("survivorLatenessAfterP50Ms", Stats.percentile(survivorsAfter, 0.5));
      f.put("survivorLatenessAfterP99Ms", Stats.percentile(survivorsAfter, 0.99));
      f.put("survivorLatenessAfterMaxMs", Stats.max(survivorsAfter));
      f.put("survivorTasksAfter", survivorsAfter.size());
      f.put("victimShardLatenessAfterP99Ms", Stats.percentile(victimShardsAfter, 0.99));
      f.put("victimShardLatenessAfterMaxMs", Stats.max(victimShardsAfter));
      f.put("enqueueLatencyBeforeP50Ms", Stats.percentile(latencyBefore, 0.5));
      f.put("enqueueLatencyBeforeP99Ms", Stats.percentile(latencyBefore, 0.99));
      f.put("enqueueLatencyFailoverP50Ms", Stats.percentile(latencyFailover, 0.5));
      f.put("enqueueLatencyFailoverP99Ms", Stats.percentile(latencyFailover, 0.99));
      f.put("enqueueLatencyFailoverMaxMs", Stats.max(latencyFailover));
      f.put("fiveXxFailover", fiveXxFailover);
      f.put("inFlightOnVictimRerun", rerunAfterKill.size());
      f.put("killToFirstRerunMs", Stats.min(rerunAfterKill));
      f.put("killToLastRerunMs", Stats.max(rerunAfterKill));
      f.put("drainAfterLoadSeconds", drained == null ? null : drained.toSeconds());

      List<String> goals = new ArrayList<>();
      Long p99 = Stats.percentile(survivorsAfter, 0.99);
      if (p99 == null || p99 >= 1000) {
        goals.add("survivors' lateness p99 after the kill " + p99 + " ms, goal < 1000 ms");
      }
      System.out.println("node-kill: " + counts + " " + f);
      return List.of(FaultRow.of(name(), "postgres: " + setting.postgresLabel(), counts, fiveXx,
          f, List.of(), goals, TaskAudit.evidence(accepted, tasks)));
    }
  }

  private static int shardsPerType(Setting setting) {
    for (String option : setting.nodeJvm()) {
      if (option.startsWith("-Dtasker.task.shards-per-type=")) {
        return Integer.parseInt(option.substring(option.indexOf('=') + 1));
      }
    }
    return com.typesafe.config.ConfigFactory.load().getInt("tasker.task.shards-per-type");
  }
}
