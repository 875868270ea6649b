package io.tasker.spring;

import io.tasker.node.TaskerNode;
import io.tasker.protocol.ClusterView;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.springframework.boot.actuate.health.AbstractHealthIndicator;
import org.springframework.boot.actuate.health.Health;

/**
 * Actuator's {@code tasker} component: UP when the node is up in its cluster and its database
 * answers within {@code timeout}, with the node's name and the cluster's member count.
 */
final class TaskerHealthIndicator extends AbstractHealthIndicator {
  private final TaskerNode node;
  private final String nodeName;
  private final Duration timeout;

  /** @param nodeName {@code tasker.node-name}; blank: the node's cluster address */
  TaskerHealthIndicator(TaskerNode node, String nodeName, Duration timeout) {
    super("Tasker health check failed");
    this.node = node;
    this.nodeName = nodeName;
    this.timeout = timeout;
  }

  @Override
  protected void doHealthCheck(Health.Builder health) throws Exception {
    CompletableFuture<Boolean> ready = node.ready().toCompletableFuture();
    ClusterView cluster = node.cluster().toCompletableFuture()
        .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    boolean up = ready.completeOnTimeout(false, timeout.toMillis(), TimeUnit.MILLISECONDS).join();
    (up ? health.up() : health.down())
        .withDetail("node", nodeName.isBlank() ? cluster.self() : nodeName)
        .withDetail("members", cluster.members().size());
  }
}
