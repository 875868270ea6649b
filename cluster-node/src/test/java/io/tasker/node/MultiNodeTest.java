package io.tasker.node;

import static io.tasker.node.Stages.join;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import io.tasker.protocol.ClusterView;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import com.typesafe.config.ConfigFactory;
import io.tasker.protocol.AttemptOutcome;
import io.tasker.protocol.ClusterView;
import io.tasker.protocol.QueueCounts;
import io.tasker.protocol.QueueStats;
import io.tasker.protocol.TaskId;
import io.tasker.protocol.TaskStatus;
import io.tasker.protocol.TaskView;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * Several real nodes in one JVM on loopback, sharing one real PostgreSQL: work spreads over
 * them, limits hold cluster-wide, and nothing is lost when nodes join, leave or crash.
 */
class MultiNodeTest {
  private static final Duration PATIENCE = Duration.ofSeconds(90);

  /** What ran where: task label → the nodes whose handler ran it. */
  private final Map<String, List<String>> runs = new ConcurrentHashMap<>();
  /** Concurrency overall and per key, and the gates held work waits at, by label. */
  private final Probe.Record record = new Probe.Record();
  /** The nodes on which held work waits at its gate; elsewhere it returns at once. */
  private final Set<String> holding = ConcurrentHashMap.newKeySet();
  /** How many more attempts may wait at their gate; the rest return at once. */
  private final AtomicInteger holdsLeft = new AtomicInteger(Integer.MAX_VALUE);
  private final List<TaskerNode> nodes = new CopyOnWriteArrayList<>();
  private int seedPort;
  private String journal;

  /** @param held whether the handler waits at the label's gate (on a node in {@code holding}) */
  record Work(String label, boolean held) {}

  private static final TaskType<Work> WORK = TaskType.of("work", Work.class);
  private static final TaskType<Work> REPORT = TaskType.of("report", Work.class);
  private static final TaskType<Work> VIDEO = TaskType.of("video", Work.class);

  @AfterEach
  void stopAll() {
    record.openAll();
    nodes.forEach(TaskerNode::close);
  }

  private TaskerNode startNode(String name, boolean crashable) {
    return startNode(name, crashable, "worker,gateway", List.of(WORK));
  }

  private TaskerNode startNode(
      String name, boolean crashable, String roles, List<TaskType<Work>> handles) {
    int port = nodes.isEmpty() ? seedPort : FreePort.next();
    Config config = ConfigFactory.parseString(String.join("\n",
            "tasker.node-name = \"" + name + "\"",
            "tasker.roles = \"" + roles + "\"",
            "tasker.seed-nodes = \"pekko://tasker@127.0.0.1:" + seedPort + "\"",
            "pekko.remote.artery.canonical.port = " + port,
            "pekko.cluster.jmx.multi-mbeans-in-same-jvm = on",
            "pekko.cluster.split-brain-resolver.stable-after = 3s",
            "pekko.cluster.sharding.rebalance-interval = 2s",
            // longer than the 10 s default (deployed: 60 s): a leave waits for the attempts its
            // shards still run
            "pekko.coordinated-shutdown.phases.cluster-sharding-shutdown-region.timeout = 25s",
            "tasker.task.lease = 2s",
            "tasker.task.keep-alive-window = 5s",
            "tasker.waker.scan-interval = 200ms",
            "tasker.waker.lookahead = 2s",
            "tasker.queues.limited { max-concurrency = 3 }",
            "tasker.queues.rated { rate = 20, burst = 1 }",
            "tasker.queues.capped { max-concurrency = 5, max-concurrency-per-key = 2 }",
            // waiters repeat their requests before holders renew: a moved queue manager hears
            // of waiters first, and would grant them over the limit if it did not wait
            "tasker.permits.keep-alive = 1s",
            "tasker.permits.start-up-margin = 1s",
            "tasker.permits.waiting-keep-alive = 500ms",
            crashable ? "pekko.coordinated-shutdown.run-by-actor-system-terminate = off" : ""))
        .withFallback(ConfigFactory.load());
    TaskHandler<Work> handler = (work, ctx) -> {
      runs.computeIfAbsent(work.label(), l -> new CopyOnWriteArrayList<>()).add(name);
      // labels "key:n" count per concurrency key
      String key = work.label().contains(":") ? work.label().split(":")[0] : null;
      record.enter(work.label(), key);
      try {
        if (work.held() && holding.contains(name) && holdsLeft.getAndDecrement() > 0) {
          record.gate(work.label()).await(); // opened by the test, or interrupted by a crash
        }
        return name;
      } finally {
        record.exit(key);
      }
    };
    TaskerBuilder builder = TestJournals.postgres(Tasker.builder(), journal).config(config);
    handles.forEach(type -> builder.handler(type, handler));
    TaskerNode node = builder.start();
    nodes.add(node);
    return node;
  }

  private List<TaskerNode> startCluster(TestInfo info, int size, boolean lastCrashable) {
    journal = "multi_" + Math.abs(info.getDisplayName().hashCode());
    seedPort = FreePort.next();
    for (int i = 0; i < size; i++) {
      startNode("node-" + i, lastCrashable && i == size - 1);
    }
    awaitMembersUp(size);
    return List.copyOf(nodes);
  }

  private void awaitMembersUp(int count) {
    // exactly these members, all up: a crashed node must be removed, not just marked down
    await().atMost(PATIENCE).until(() -> nodes.stream().allMatch(node -> {
      int members = 0;
      int up = 0;
      for (var member : Cluster.get(node.system()).state().getMembers()) {
        members++;
        if (member.status() == MemberStatus.up()) {
          up++;
        }
      }
      return members == count && up == count;
    }));
  }

  private List<TaskId> enqueue(Tasker via, String prefix, int count, boolean held, String queue) {
    return enqueue(via, WORK, prefix, count, held, queue);
  }

  private List<TaskId> enqueue(
      Tasker via, TaskType<Work> type, String prefix, int count, boolean held, String queue) {
    List<TaskId> ids = new ArrayList<>();
    List<CompletionStage<TaskId>> inFlight = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      inFlight.add(via.enqueue(type.with(new Work(prefix + i, held)).queue(queue)));
      if (inFlight.size() == 100 || i == count - 1) { // a client with 100 requests in flight
        inFlight.forEach(stage -> ids.add(join(stage)));
        inFlight.clear();
      }
    }
    return ids;
  }

  private void awaitSucceeded(Tasker via, String queue, long count) {
    await().atMost(PATIENCE).until(() -> join(via.counts()).stream()
        .filter(c -> c.queue().equals(queue)).mapToLong(QueueCounts::scheduled).sum() == 0
        && join(via.counts()).stream().filter(c -> c.queue().equals(queue))
            .mapToLong(c -> c.byStatus().get(TaskStatus.SUCCEEDED)).sum() == count);
  }

  private Map<String, Integer> runsPerNode() {
    Map<String, Integer> perNode = new HashMap<>();
    runs.values().forEach(where -> where.forEach(n -> perNode.merge(n, 1, Integer::sum)));
    return perNode;
  }

  @Test
  void tasksEnqueuedThroughOneNodeRunSpreadOverAllThree(TestInfo info) {
    List<TaskerNode> cluster = startCluster(info, 3, false);
    enqueue(cluster.get(0), "t", 3000, false, "default");
    awaitSucceeded(cluster.get(0), "default", 3000);
    Map<String, Integer> perNode = runsPerNode();
    assertEquals(3, perNode.size(), "ran on " + perNode);
    ClusterView view = join(cluster.get(1).cluster());
    assertEquals(3, view.members().size());
    assertEquals(3, view.distribution().stream()
        .filter(d -> d.entityType().equals("TaskPartition") && d.shards() > 0).count(),
        "task shards on every node: " + view.distribution());
    perNode.values().forEach(n -> assertTrue(n > 300, "uneven spread: " + perNode));
    runs.forEach((label, where) -> assertEquals(1, where.size(), label + " ran on " + where));
  }

  @Test
  void aJoiningNodeTakesShardsAndRunsTasks(TestInfo info) {
    List<TaskerNode> cluster = startCluster(info, 3, false);
    enqueue(cluster.get(0), "before", 300, false, "default");
    awaitSucceeded(cluster.get(0), "default", 300);
    TaskerNode joined = startNode("node-3", false);
    awaitMembersUp(4);
    // every shard is allocated already: the new node gets its share by rebalancing
    String address = Cluster.get(joined.system()).selfMember().address().toString();
    await().atMost(PATIENCE).until(() -> join(cluster.get(0).cluster()).distribution().stream()
        .anyMatch(d -> d.entityType().equals("TaskPartition") && d.address().equals(address)
            && d.shards() >= 10));
    enqueue(cluster.get(0), "after", 1000, false, "default");
    awaitSucceeded(cluster.get(0), "default", 1300);
    Map<String, Integer> perNode = runsPerNode();
    assertTrue(perNode.getOrDefault("node-3", 0) > 0, "the new node ran nothing: " + perNode);
  }

  @Test
  void tasksRunOnlyOnNodesWithTheirHandler(TestInfo info) {
    journal = "multi_" + Math.abs(info.getDisplayName().hashCode());
    seedPort = FreePort.next();
    startNode("plain", false, "worker,gateway", List.of(WORK));
    TaskerNode reporting = startNode("reporting", false, "worker,gateway", List.of(WORK, REPORT));
    // a gateway knows every type it accepts, but runs nothing
    TaskerNode gateway = startNode("gateway", false, "gateway", List.of(WORK, REPORT, VIDEO));
    awaitMembersUp(3);

    enqueue(gateway, REPORT, "report", 200, false, "reports");
    enqueue(gateway, WORK, "work", 600, false, "default");
    List<TaskId> videos = enqueue(gateway, VIDEO, "video", 50, false, "videos");
    awaitSucceeded(reporting, "reports", 200);
    awaitSucceeded(reporting, "default", 600);
    runs.forEach((label, where) -> {
      if (label.startsWith("report")) {
        assertEquals(List.of("reporting"), where, label + " ran on a node without its handler");
      }
    });
    Map<String, Integer> work = new HashMap<>();
    runs.forEach((label, where) -> {
      if (label.startsWith("work")) {
        where.forEach(n -> work.merge(n, 1, Integer::sum));
      }
    });
    assertEquals(java.util.Set.of("plain", "reporting"), work.keySet(), "work ran on " + work);
    assertTrue(runs.keySet().stream().noneMatch(label -> label.startsWith("video")),
        "no node handles video yet");
    videos.forEach(id -> assertEquals(TaskStatus.SCHEDULED, join(gateway.get(id)).status()));

    startNode("video", false, "worker", List.of(VIDEO));
    awaitMembersUp(4);
    awaitSucceeded(reporting, "videos", 50);
    runs.forEach((label, where) -> {
      if (label.startsWith("video")) {
        assertEquals(List.of("video"), where, label + " ran on " + where);
      }
    });
  }

  @Test
  void queueLimitsHoldClusterWide(TestInfo info) {
    List<TaskerNode> cluster = startCluster(info, 3, false);
    holding.addAll(List.of("node-0", "node-1", "node-2"));
    enqueue(cluster.get(1), "limited", 40, true, "limited");
    record.finishOneByOne(40, 3, PATIENCE);
    awaitSucceeded(cluster.get(0), "limited", 40);
    assertEquals(3, record.maxRunning.get(), "max concurrency of queue 'limited' is 3");
    assertTrue(runsPerNode().size() >= 2, "limits were only tested on one node: " + runsPerNode());

    List<TaskId> rated = enqueue(cluster.get(2), "rated", 21, false, "rated");
    awaitSucceeded(cluster.get(0), "rated", 21);
    List<java.time.Instant> starts = new ArrayList<>();
    rated.forEach(id -> starts.add(join(cluster.get(0).get(id)).history().get(0).startedAt()));
    Collections.sort(starts);
    Duration span = Duration.between(starts.get(0), starts.get(starts.size() - 1));
    // 21 starts at 20/s with a burst of 1 need at least 1 s, whichever nodes run them
    assertTrue(span.toMillis() >= 900, "21 starts took only " + span.toMillis() + " ms");
  }

  @Test
  void nothingIsLostWhenANodeCrashesUnderLoad(TestInfo info) {
    List<TaskerNode> cluster = startCluster(info, 3, true);
    TaskerNode victim = cluster.get(2);
    holding.add("node-2"); // its attempts run until it crashes; elsewhere they return at once
    List<TaskId> ids = enqueue(cluster.get(0), "load", 1200, true, "default");
    await().atMost(PATIENCE).until(() -> runsPerNode().getOrDefault("node-2", 0) >= 30);
    victim.close(); // no coordinated shutdown: no hand-off, no leave
    nodes.remove(victim);
    record.openAll();
    // during the failover a survivor's view of the cluster answers at once (a dead node's shard
    // region never does) and shows the dead node unreachable until it is removed
    AtomicBoolean sawUnreachable = new AtomicBoolean();
    await().atMost(PATIENCE).pollInterval(Duration.ofMillis(200)).until(() -> {
      ClusterView view = cluster.get(0).cluster().toCompletableFuture().get(5, TimeUnit.SECONDS);
      if (view.members().stream().anyMatch(member -> !member.reachable())) {
        sawUnreachable.set(true);
      }
      return view.members().size() == 2;
    });
    assertTrue(sawUnreachable.get(), "the dead node was never shown unreachable");
    awaitMembersUp(2); // the survivors' split brain resolver downed it
    awaitSucceeded(cluster.get(0), "default", 1200);
    int duplicates = 0;
    for (TaskId id : ids) {
      TaskView task = join(cluster.get(0).get(id));
      assertEquals(TaskStatus.SUCCEEDED, task.status());
    }
    for (Map.Entry<String, List<String>> run : runs.entrySet()) {
      if (run.getValue().size() > 1) {
        duplicates++;
        assertEquals("node-2", run.getValue().get(0),
            run.getKey() + " ran twice but not first on the crashed node: " + run.getValue());
      }
    }
    long lost = ids.stream().map(id -> join(cluster.get(0).get(id)))
        .filter(t -> t.history().stream().anyMatch(a -> a.outcome() == AttemptOutcome.LOST))
        .count();
    System.out.printf("crash under load: %d of %d tasks ran twice, %d attempts recorded lost%n",
        duplicates, ids.size(), lost);
    assertTrue(duplicates <= lost, "every duplicate run has a lost attempt on record");
  }

  @Test
  void aGracefulLeaveLosesNothingAndRunsNothingTwice(TestInfo info) throws Exception {
    List<TaskerNode> cluster = startCluster(info, 3, false);
    TaskerNode leaving = cluster.get(2);
    // ten attempts on the leaving node run until its leave is handing its shards off (the
    // cluster view shows fewer task partitions there): they end during the hand-off
    holding.add("node-2");
    holdsLeft.set(10);
    enqueue(cluster.get(0), "load", 600, true, "default");
    await().atMost(PATIENCE).until(() -> runsPerNode().getOrDefault("node-2", 0) >= 10);
    String address = Cluster.get(leaving.system()).selfMember().address().toString();
    int shards = partitionShardsOn(cluster.get(0), address);
    nodes.remove(leaving);
    // coordinated shutdown: leave the cluster, hand shards off
    CompletableFuture<Void> left = CompletableFuture.runAsync(leaving::close);
    await().atMost(PATIENCE).ignoreExceptions()
        .until(() -> partitionShardsOn(cluster.get(0), address) < shards);
    assertTrue(!left.isDone(), "the leave waits for the attempts still running");
    record.openAll();
    left.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
    awaitSucceeded(cluster.get(0), "default", 600);
    runs.forEach((label, where) -> assertEquals(1, where.size(), label + " ran on " + where));
  }

  /** @return the task partition shards {@code via}'s view of the cluster has at {@code address} */
  private static int partitionShardsOn(TaskerNode via, String address) throws Exception {
    return via.cluster().toCompletableFuture().get(10, TimeUnit.SECONDS).distribution().stream()
        .filter(d -> d.entityType().equals("TaskPartition") && d.address().equals(address))
        .mapToInt(ClusterView.Distribution::shards).sum();
  }

  /** @return the node whose shard region hosts the (only) queue manager in use */
  private TaskerNode queueManagerHost() {
    await().atMost(PATIENCE).until(() -> join(nodes.get(0).cluster()).distribution().stream()
        .anyMatch(d -> d.entityType().equals("Queue") && d.entities() > 0));
    String address = join(nodes.get(0).cluster()).distribution().stream()
        .filter(d -> d.entityType().equals("Queue") && d.entities() > 0)
        .map(ClusterView.Distribution::address).findFirst().orElseThrow();
    return nodes.stream()
        .filter(n -> Cluster.get(n.system()).selfMember().address().toString().equals(address))
        .findFirst().orElseThrow();
  }

  @Test
  void queueLimitsHoldWhileTheQueueManagerMovesUnderLoad(TestInfo info) {
    List<TaskerNode> cluster = startCluster(info, 2, false);
    List<CompletionStage<TaskId>> enqueued = new ArrayList<>();
    holding.addAll(List.of("node-0", "node-1"));
    for (int i = 0; i < 40; i++) {
      String key = "k" + (i % 4);
      enqueued.add(cluster.get(0).enqueue(WORK.with(new Work(key + ":" + i, true))
          .queue("capped").concurrencyKey(key)));
    }
    enqueued.forEach(Stages::join);
    await().atMost(PATIENCE).until(() -> record.running.get() == 5); // saturated
    TaskerNode host = queueManagerHost();
    TaskerNode survivor = cluster.get(0) == host ? cluster.get(1) : cluster.get(0);
    String hostName = cluster.get(0) == host ? "node-0" : "node-1";
    // the host's attempts finish as it leaves; the survivor's run on while its new queue
    // manager hears the waiters' repeated requests (every 500 ms here), until it knows them all
    holding.remove(hostName);
    runs.forEach((label, where) -> {
      if (where.contains(hostName)) {
        record.gate(label).countDown();
      }
    });
    host.close(); // a graceful leave: its queue manager starts again on the survivor
    nodes.remove(host);
    awaitMembersUp(1);
    await().atMost(PATIENCE).ignoreExceptions().until(() -> {
      QueueStats stats = join(survivor.queueStats("capped"));
      return !stats.settling() && stats.running() == 5 && record.running.get() == 5;
    });
    record.openAll();
    awaitSucceeded(survivor, "capped", 40);

    assertEquals(5, record.maxRunning.get(), "max concurrency of queue 'capped' is 5");
    assertEquals(4, record.maxByKey.size());
    record.maxByKey.forEach((key, max) ->
        assertTrue(max.get() <= 2, "key " + key + " ran " + max + " at once; its limit is 2"));
    assertTrue(record.maxByKey.values().stream().anyMatch(max -> max.get() == 2));
  }

  @Test
  void aPausedQueueStaysPausedWhenTheNodeHostingItsManagerCrashes(TestInfo info) {
    journal = "multi_" + Math.abs(info.getDisplayName().hashCode());
    seedPort = FreePort.next();
    for (int i = 0; i < 3; i++) {
      startNode("node-" + i, true); // any of them may host the queue manager
    }
    awaitMembersUp(3);
    assertTrue(join(nodes.get(0).pauseQueue("guarded")).limits().paused());
    List<TaskId> ids = enqueue(nodes.get(0), "guarded", 5, false, "guarded");
    TaskerNode victim = queueManagerHost();
    victim.close(); // no coordinated shutdown: no hand-off, no leave
    nodes.remove(victim);
    awaitMembersUp(2);

    TaskerNode survivor = nodes.get(0);
    // answered once the queue's shard has a new home
    await().atMost(PATIENCE).ignoreExceptions()
        .until(() -> join(survivor.queueStats("guarded")) != null);
    var recovered = join(survivor.queueStats("guarded"));
    assertTrue(recovered.limits().paused(), "still paused: " + recovered);
    assertEquals(1, recovered.version());
    ids.forEach(id -> assertEquals(TaskStatus.SCHEDULED, join(survivor.get(id)).status()));
    assertTrue(runs.isEmpty(), "nothing ran while paused: " + runs.keySet());

    assertTrue(!join(survivor.resumeQueue("guarded")).limits().paused());
    awaitSucceeded(survivor, "guarded", 5);
  }
}
