package io.tasker.spring;

import io.tasker.node.TaskerNode;
import org.springframework.boot.web.context.WebServerGracefulShutdownLifecycle;
import org.springframework.context.SmartLifecycle;

/**
 * Closes the node when the application stops, after the web server: a lower phase stops later,
 * and the web server stops (and before that drains, with graceful shutdown) one and two steps
 * of 1024 below {@link SmartLifecycle#DEFAULT_PHASE}. Requests still in flight can enqueue; the
 * node then leaves its cluster (its shards move to the other nodes) and interrupts running
 * handlers, whose attempts are retried.
 *
 * <p>The node starts when its bean is made, so beans can use it from their construction on.
 */
final class TaskerLifecycle implements SmartLifecycle {
  static final int PHASE = WebServerGracefulShutdownLifecycle.SMART_LIFECYCLE_PHASE - 2048;

  private final TaskerNode node;
  private volatile boolean running;

  TaskerLifecycle(TaskerNode node) {
    this.node = node;
  }

  @Override
  public void start() {
    running = true;
  }

  @Override
  public void stop() {
    running = false;
    node.close();
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  @Override
  public int getPhase() {
    return PHASE;
  }
}
