package io.tasker.node;

import static io.tasker.node.Stages.join;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Workflows on three real nodes sharing one PostgreSQL: the node hosting executions crashes (no
 * hand-off, no leave) mid-workflow, and every execution completes on the survivor with each step
 * run by one task; only attempts the crash interrupted run again.
 */
class WorkflowMultiNodeTest {
  private static final Duration PATIENCE = Duration.ofSeconds(120);
  private static final TaskType<JsonNode> WORK = TaskType.of("wf-work", JsonNode.class);

  /** Step label → the nodes whose handler ran it. */
  private final Map<String, List<String>> runs = new ConcurrentHashMap<>();
  private final List<TaskerNode> nodes = new CopyOnWriteArrayList<>();
  /** Holds the crashable node's steps mid-run until it has crashed. */
  private final CountDownLatch crashed = new CountDownLatch(1);

  @AfterEach
  void stopAll() {
    crashed.countDown();
    nodes.forEach(TaskerNode::close);
  }

  private TaskerNode startNode(String name, int port, int seedPort, boolean crashable) {
    TaskerNode node = TestJournals.postgres(Tasker.builder(), "workflow_multi")
        .config(ConfigFactory.parseString(String.join("\n",
                "tasker.node-name = \"" + name + "\"",
                "tasker.seed-nodes = \"pekko://tasker@127.0.0.1:" + seedPort + "\"",
                "pekko.remote.artery.canonical.port = " + port,
                "pekko.cluster.jmx.multi-mbeans-in-same-jvm = on",
                "pekko.cluster.split-brain-resolver.stable-after = 3s",
                "tasker.task.lease = 2s",
                "tasker.task.keep-alive-window = 5s",
                "tasker.waker.scan-interval = 200ms",
                "tasker.waker.lookahead = 2s",
                crashable ? "pekko.coordinated-shutdown.run-by-actor-system-terminate = off" : ""))
            .withFallback(ConfigFactory.load()))
        .handler(WORK, (payload, ctx) -> {
          runs.computeIfAbsent(payload.get("label").asText(), l -> new CopyOnWriteArrayList<>())
              .add(name);
          if (crashable) {
            crashed.await(); // running when the node crashes (the crash interrupts it)
          }
          return payload.get("label");
        })
        .start();
    node.defineWorkflow(WorkflowDefinition.define("chain")
        .step("s1", s -> s.type(WORK).input(Map.of("label", "{{input.n}}-s1")))
        .step("s2", s -> s.type(WORK).dependsOn("s1").input(Map.of("label", "{{input.n}}-s2"))
            .retry(3, null))
        .step("s3", s -> s.type(WORK).dependsOn("s2").input(Map.of("label", "{{input.n}}-s3",
            "after", "{{tasks.s2.output}}")).retry(3, null))
        .build());
    nodes.add(node);
    return node;
  }

  private void awaitMembersUp(int count) {
    await().atMost(PATIENCE).until(() -> nodes.stream().allMatch(node -> {
      int up = 0;
      int members = 0;
      for (var member : Cluster.get(node.system()).state().getMembers()) {
        members++;
        up += member.status() == MemberStatus.up() ? 1 : 0;
      }
      return members == count && up == count;
    }));
  }

  @Test
  void executionsCompleteOnTheSurvivorWhenTheirNodeCrashes() {
    int seedPort = FreePort.next();
    TaskerNode survivor = startNode("node-0", seedPort, seedPort, false);
    startNode("node-1", FreePort.next(), seedPort, false);
    TaskerNode victim = startNode("node-2", FreePort.next(), seedPort, true);
    awaitMembersUp(3); // three: a split brain resolver keeps the majority
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      ids.add(join(survivor.startWorkflow("chain", Map.of("n", "e" + i))));
    }
    await().atMost(PATIENCE).until(() -> runs.values().stream()
        .filter(where -> where.contains("node-2")).count() >= 5);
    victim.close(); // no coordinated shutdown: no hand-off, no leave
    nodes.remove(victim);
    crashed.countDown();
    awaitMembersUp(2);
    for (String id : ids) {
      WorkflowExecution done = join(survivor.awaitWorkflow(id, PATIENCE));
      assertEquals(WorkflowStatus.SUCCEEDED, done.status(), String.valueOf(done));
      done.steps().forEach(step -> assertEquals(1, step.tasks().size(),
          id + " started step " + step.name() + " more than once: " + step.tasks()));
    }
    assertEquals(90, runs.size());
    runs.forEach((label, where) -> assertTrue(where.size() == 1
        || (where.size() == 2 && where.get(0).equals("node-2")),
        label + " ran again but not after the crash: " + where));
  }
}
