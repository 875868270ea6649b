package io.tasker.node;

import static io.tasker.node.Stages.join;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tasker.node.AlertEvent.State;
import io.tasker.node.internal.alerts.AlertMonitor;
import io.tasker.protocol.TaskId;
import io.tasker.protocol.TaskStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.ddata.ORSet;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Two real nodes on one PostgreSQL journal: when the node evaluating alerts leaves, the other
 * takes over an alert still firing without firing it again, and resolves it when it recovers.
 */
class AlertsMoveTest {
  private static final Duration PATIENCE = Duration.ofSeconds(60);
  private static final TaskType<String> WORK = TaskType.of("work", String.class);
  private static final String QUEUE = "backlog";

  private final List<TaskerNode> nodes = new ArrayList<>();

  @AfterEach
  void stopAll() {
    nodes.forEach(TaskerNode::close);
  }

  private TaskerNode start(String name, int port, int seedPort, List<AlertEvent> events,
      SimpleMeterRegistry registry) {
    Config config = ConfigFactory.parseString(String.join("\n",
            "tasker.node-name = \"" + name + "\"",
            "tasker.seed-nodes = \"pekko://tasker@127.0.0.1:" + seedPort + "\"",
            "pekko.remote.artery.canonical.port = " + port,
            "pekko.cluster.jmx.multi-mbeans-in-same-jvm = on",
            "pekko.cluster.distributed-data.gossip-interval = 200ms",
            "tasker.alerts { check-interval = 100ms, queues.backlog.depth = 2 }"))
        .withFallback(ConfigFactory.load());
    TaskerNode node = TestJournals.postgres(Tasker.builder(), "alerts_move")
        .config(config)
        .meterRegistry(registry)
        .onAlert(events::add)
        .handler(WORK, (payload, ctx) -> payload)
        .start();
    nodes.add(node);
    return node;
  }

  @Test
  void aMovedMonitorTakesOverAFiringAlertWithoutFiringItAgain() throws Exception {
    int seedPort = FreePort.next();
    List<AlertEvent> firstEvents = new CopyOnWriteArrayList<>();
    List<AlertEvent> secondEvents = new CopyOnWriteArrayList<>();
    SimpleMeterRegistry secondRegistry = new SimpleMeterRegistry();
    TaskerNode first = start("first", seedPort, seedPort, firstEvents, new SimpleMeterRegistry());
    await().atMost(PATIENCE).until(() -> Cluster.get(first.system()).selfMember().status()
        == org.apache.pekko.cluster.MemberStatus.up());
    TaskerNode second = start("second", FreePort.next(), seedPort, secondEvents, secondRegistry);
    await().atMost(PATIENCE).until(() -> upMembers(first) == 2);

    join(first.pauseQueue(QUEUE));
    List<TaskId> ids = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      ids.add(join(first.enqueue(WORK.with("t" + i).queue(QUEUE))));
    }
    // the oldest node (the first) evaluates alerts
    await().atMost(PATIENCE).until(() -> firstEvents.size() == 1);
    assertEquals(State.FIRING, firstEvents.get(0).state());
    // the second node's replica knows it fires before the first one leaves
    await().atMost(PATIENCE).until(() -> firing(second).contains(QUEUE + "|DEPTH"));

    first.close();
    nodes.remove(first);
    await().atMost(PATIENCE).until(() -> active(secondRegistry) == 1.0);
    await().during(Duration.ofSeconds(1)).atMost(PATIENCE).until(secondEvents::isEmpty);

    join(second.resumeQueue(QUEUE));
    ids.forEach(id -> await().atMost(PATIENCE)
        .until(() -> join(second.get(id)).status() == TaskStatus.SUCCEEDED));
    await().atMost(PATIENCE).until(() -> secondEvents.size() == 1);
    assertEquals(State.RESOLVED, secondEvents.get(0).state());
    assertEquals(0.0, active(secondRegistry));
  }

  private static int upMembers(TaskerNode node) {
    int up = 0;
    for (var member : Cluster.get(node.system()).state().getMembers()) {
      if (member.status() == org.apache.pekko.cluster.MemberStatus.up()) {
        up++;
      }
    }
    return up;
  }

  private static double active(SimpleMeterRegistry registry) {
    Gauge gauge = registry.find("tasker.alert.active").tags("queue", QUEUE, "alert", "depth")
        .gauge();
    return gauge == null ? -1 : gauge.value();
  }

  private static Set<String> firing(TaskerNode node) {
    Replicator.GetResponse<ORSet<String>> response = join(AskPattern.ask(
        DistributedData.get(node.system()).replicator(),
        (org.apache.pekko.actor.typed.ActorRef<Replicator.GetResponse<ORSet<String>>> replyTo) ->
            new Replicator.Get<>(AlertMonitor.FIRING, Replicator.readLocal(), replyTo),
        Duration.ofSeconds(5), node.system().scheduler()));
    return response instanceof Replicator.GetSuccess<ORSet<String>> found
        ? found.get(AlertMonitor.FIRING).getElements() : Set.of();
  }
}
