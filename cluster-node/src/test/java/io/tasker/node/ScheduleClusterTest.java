package io.tasker.node;

import static io.tasker.node.Stages.join;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.tasker.node.ScheduleView;
import io.tasker.protocol.TaskQuery;
import io.tasker.protocol.TaskSummary;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Two real nodes on one PostgreSQL, both declaring the same schedule in their configuration and
 * sharing one settable clock: each fire time creates exactly one task, run once, whichever node
 * hosts the schedule.
 */
class ScheduleClusterTest {
  private static final Duration PATIENCE = Duration.ofSeconds(90);
  private static final Instant T0 = Instant.parse("2026-05-01T08:00:00Z");

  record Tick(String label) {}

  private static final TaskType<Tick> TICK = TaskType.of("tick", Tick.class);

  /** Fire time label → the nodes whose handler ran it. */
  private final Map<String, List<String>> runs = new ConcurrentHashMap<>();
  private final List<TaskerNode> nodes = new CopyOnWriteArrayList<>();
  private final SettableClock clock = new SettableClock(T0);

  @AfterEach
  void stopAll() {
    nodes.forEach(TaskerNode::close);
  }

  private TaskerNode startNode(String name, int seedPort, int port, String journal) {
    Config config = ConfigFactory.parseString(String.join("\n",
            "tasker.node-name = \"" + name + "\"",
            "tasker.seed-nodes = \"pekko://tasker@127.0.0.1:" + seedPort + "\"",
            "pekko.remote.artery.canonical.port = " + port,
            "pekko.cluster.jmx.multi-mbeans-in-same-jvm = on",
            "tasker.task.keep-alive-window = 5s",
            "tasker.waker.scan-interval = 200ms",
            "tasker.waker.lookahead = 2s",
            "tasker.scheduling.poll-interval = 200ms",
            "tasker.schedules.every-minute { interval = 1m, type = tick,"
                + " payload = { label = minute } }"))
        .withFallback(ConfigFactory.load());
    TaskerNode node = TestJournals.postgres(Tasker.builder(), journal).config(config).clock(clock)
        .handler(TICK, (tick, ctx) -> {
          runs.computeIfAbsent(ctx.taskId().value(), l -> new CopyOnWriteArrayList<>()).add(name);
          return name;
        })
        .start();
    nodes.add(node);
    return node;
  }

  @Test
  void twoNodesCreateEachFiringOnce() {
    int seedPort = FreePort.next();
    String journal = "schedule_cluster";
    TaskerNode a = startNode("node-a", seedPort, seedPort, journal);
    TaskerNode b = startNode("node-b", seedPort, FreePort.next(), journal);
    await().atMost(PATIENCE).until(() -> nodes.stream().allMatch(node -> {
      int up = 0;
      for (var member : Cluster.get(node.system()).state().getMembers()) {
        up += member.status() == MemberStatus.up() ? 1 : 0;
      }
      return up == 2;
    }));
    // both nodes upserted the declared schedule; the second upsert stored nothing
    await().atMost(PATIENCE).until(() -> join(a.schedules()).size() == 1);
    ScheduleView declared = join(b.getSchedule("every-minute"));
    assertEquals(T0.plus(Duration.ofMinutes(1)), declared.nextFireAt());

    for (int minute = 1; minute <= 3; minute++) {
      clock.advance(Duration.ofMinutes(1));
      int expected = minute;
      await().atMost(PATIENCE).until(() -> runs.size() == expected);
      await().atMost(PATIENCE).until(() -> join(b.getSchedule("every-minute")).fired() == expected);
    }
    // a manual trigger from either node is one more firing, not two
    join(a.triggerSchedule("every-minute"));
    await().atMost(PATIENCE).until(() -> runs.size() == 4);

    List<TaskSummary> tasks = join(b.list(TaskQuery.all().ofType("tick").limit(100))).tasks();
    assertEquals(4, tasks.size());
    List<String> twice = new ArrayList<>();
    runs.forEach((task, where) -> {
      if (where.size() != 1) {
        twice.add(task + " ran on " + where);
      }
    });
    assertEquals(List.of(), twice);
    ScheduleView last = join(a.getSchedule("every-minute"));
    assertEquals(4, last.fired());
    assertEquals(0, last.skipped());
  }
}
