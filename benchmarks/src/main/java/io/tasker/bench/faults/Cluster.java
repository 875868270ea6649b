package io.tasker.bench.faults;

import com.fasterxml.jackson.databind.JsonNode;
import io.tasker.server.NodeApi;
import io.tasker.server.NodeProcess;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Node processes ({@code io.tasker.server.Main}, started by the server's {@link NodeProcess})
 * forming one cluster on loopback, node 0 its seed. A node is killed with SIGKILL and started
 * again on the same ports and data directory, under a new name ({@code node-1-r1}) so that its
 * log and the attempt histories tell the incarnations apart.
 */
final class Cluster implements AutoCloseable {
  static final String KEY = "fault-suite-key";

  private final NodeApi api = new NodeApi(KEY);
  private final String label;
  private final Map<String, String> env;
  private final List<String> jvmOptions;
  private final Path logDir;
  private final int[] clusterPorts;
  private final int[] httpPorts;
  private final int[] restarts;
  private final List<NodeProcess> nodes = new ArrayList<>();

  private Cluster(String label, int size, Map<String, String> journalEnv, List<String> jvmOptions,
      Path logDir) throws IOException {
    this.label = label;
    this.jvmOptions = jvmOptions;
    this.logDir = logDir.resolve(label);
    clusterPorts = new int[size];
    httpPorts = new int[size];
    restarts = new int[size];
    for (int i = 0; i < size; i++) {
      clusterPorts[i] = NodeApi.freePort();
      httpPorts[i] = NodeApi.freePort();
    }
    env = new HashMap<>(journalEnv);
    env.put("TASKER_API_KEYS", KEY + "=tasks:read,tasks:write,queues:admin");
    if (size > 1) {
      env.put("TASKER_SEED_NODES", "pekko://tasker@127.0.0.1:" + clusterPorts[0]);
    }
  }

  /** Starts {@code size} nodes and waits until each answers ready and sees all of them Up. */
  static Cluster start(String label, int size, Map<String, String> journalEnv,
      List<String> jvmOptions, Path logDir) throws Exception {
    Cluster cluster = new Cluster(label, size, journalEnv, jvmOptions, logDir);
    try {
      for (int i = 0; i < size; i++) {
        cluster.nodes.add(cluster.launch(i));
      }
      cluster.awaitUp(Duration.ofMinutes(3));
      return cluster;
    } catch (Exception | Error e) {
      cluster.close();
      throw e;
    }
  }

  NodeApi api() {
    return api;
  }

  NodeProcess node(int i) {
    return nodes.get(i);
  }

  List<NodeProcess> alive() {
    return nodes.stream().filter(NodeProcess::isAlive).toList();
  }

  /** SIGKILL: no shutdown hook, no hand-off, no leave. */
  void kill(int i) throws InterruptedException {
    nodes.get(i).kill();
  }

  /** Starts node {@code i} again (it must be dead) on its ports and data directory. */
  void restart(int i) throws IOException {
    if (nodes.get(i).isAlive()) {
      throw new IllegalStateException(nodes.get(i).name + " is still running");
    }
    restarts[i]++;
    nodes.set(i, launch(i));
  }

  private NodeProcess launch(int i) throws IOException {
    Map<String, String> nodeEnv = new HashMap<>(env);
    nodeEnv.put("TASKER_DATA_DIR", logDir.resolve("node-" + i + "-data").toString());
    String name = "node-" + i + (restarts[i] == 0 ? "" : "-r" + restarts[i]);
    return NodeProcess.start(name, clusterPorts[i], httpPorts[i], jvmOptions, nodeEnv, logDir);
  }

  /** Waits until every node answers ready and sees every node of the cluster Up. */
  void awaitUp(Duration patience) throws InterruptedException {
    long deadline = System.nanoTime() + patience.toNanos();
    while (!nodes.stream().allMatch(n -> api.isReady(n) && upMembers(n) == nodes.size())) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(label + ": nodes not up within " + patience + "\n"
            + tails(30));
      }
      TimeUnit.MILLISECONDS.sleep(250);
    }
  }

  private int upMembers(NodeProcess node) {
    try {
      int up = 0;
      for (JsonNode member : api.get(node, "/v1/cluster").get("members")) {
        up += member.get("status").asText().equals("Up") ? 1 : 0;
      }
      return up;
    } catch (Exception notYet) {
      return 0;
    }
  }

  /** The last lines of every node's log (for a failure report). */
  String tails(int lines) {
    StringBuilder out = new StringBuilder();
    for (NodeProcess n : nodes) {
      out.append("---- ").append(n.name).append(n.isAlive() ? " (alive)" : " (exited)")
          .append(", log ").append(n.log).append('\n').append(n.tail(lines)).append('\n');
    }
    return out.toString();
  }

  Path logDir() {
    return logDir;
  }

  @Override
  public void close() throws InterruptedException {
    for (NodeProcess n : nodes) {
      n.close();
    }
  }
}
