package io.tasker.node.queue;

import io.tasker.protocol.TaskerSerializable;

/**
 * The node a permit's task runs on, and how many permits of one queue its tasks may hold at
 * once ({@code tasker.worker.max-started}). A queue manager grants a node no more than that, so
 * a due backlog is never turned into attempts a node can only queue for its threads: they wait
 * as requests (and park beyond {@code tasker.permits.max-waiting}), which costs bounded memory.
 *
 * @param address the node's unique cluster address (a restarted node is a new one)
 * @param maxPermits the most permits of one queue its tasks may hold at once
 */
public record WorkerNode(String address, int maxPermits) implements TaskerSerializable {
  public WorkerNode {
    if (maxPermits < 1) {
      throw new IllegalArgumentException("maxPermits must be at least 1, was " + maxPermits);
    }
  }
}
