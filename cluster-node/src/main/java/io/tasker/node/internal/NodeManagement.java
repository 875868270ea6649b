package io.tasker.node.internal;

import com.typesafe.config.Config;
import java.util.Optional;
import java.util.ServiceLoader;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * Pekko Management for a node: health probes ({@code tasker.management}) and Cluster Bootstrap
 * ({@code tasker.bootstrap}). Implemented by the optional {@code io.tasker:tasker-management}
 * module and found through {@link ServiceLoader}: Cluster Bootstrap needs {@code pekko-discovery},
 * which the Maven mirror serves only at an older Pekko version than the core's, so the core
 * stays free of it.
 */
public interface NodeManagement {
  /**
   * @return Pekko settings the module needs whenever it is on the class path; applied like
   *     Tasker's own required settings (see {@link PekkoSettings})
   */
  Config requiredPekkoConfig();

  /**
   * @param settings the node's settings ({@code tasker.management}, {@code tasker.bootstrap})
   * @param config the node's configuration so far
   * @return Pekko settings derived from {@code settings}, over the application's
   */
  Config pekkoConfig(TaskerSettings settings, Config config);

  /** Starts Pekko Management, and Cluster Bootstrap when {@code tasker.bootstrap} is enabled. */
  void start(ActorSystem<?> system, TaskerSettings settings);

  /** @return the implementation on the class path, if any */
  static Optional<NodeManagement> find() {
    return ServiceLoader.load(NodeManagement.class, NodeManagement.class.getClassLoader())
        .findFirst();
  }
}
