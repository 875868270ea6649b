package io.tasker.management;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.tasker.node.internal.NodeHealth;
import io.tasker.node.internal.NodeManagement;
import io.tasker.node.internal.TaskerSettings;
import java.util.HashMap;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.management.cluster.bootstrap.ClusterBootstrap;
import org.apache.pekko.management.javadsl.PekkoManagement;

/**
 * Pekko Management for a Tasker node, found by the node through {@link java.util.ServiceLoader}:
 * {@code GET /alive} and {@code /ready} for health probes (ready = member Up and journal
 * reachable), read-only {@code GET /cluster/members}, and Cluster Bootstrap (peers found through
 * Pekko Discovery, on Kubernetes through its API) when {@code tasker.bootstrap} is enabled.
 */
public final class PekkoNodeManagement implements NodeManagement {

  /**
   * pekko-discovery, which Cluster Bootstrap needs, is served by the Maven mirror only at an
   * older version than the other Pekko core modules; Pekko's version check would refuse to start
   * on that mix (it logs a warning instead with this off).
   */
  @Override
  public Config requiredPekkoConfig() {
    return ConfigFactory.parseMap(Map.of("pekko.fail-mixed-versions", false));
  }

  @Override
  public Config pekkoConfig(TaskerSettings settings, Config config) {
    Map<String, Object> management = new HashMap<>();
    management.put("pekko.management.http.hostname",
        config.getString("pekko.remote.artery.canonical.hostname"));
    management.put("pekko.management.http.port", settings.management.port());
    management.put("pekko.management.health-checks.readiness-checks.tasker",
        NodeHealth.Readiness.class.getName());
    TaskerSettings.Bootstrap bootstrap = settings.bootstrap;
    if (bootstrap.enabled()) {
      String discovery = "pekko.management.cluster.bootstrap.contact-point-discovery.";
      management.put(discovery + "discovery-method", bootstrap.discoveryMethod());
      management.put(discovery + "service-name", bootstrap.serviceName());
      management.put(discovery + "required-contact-point-nr", bootstrap.requiredContactPoints());
      // pods of the service carry this label (deploy/k8s)
      management.put("pekko.discovery.kubernetes-api.pod-label-selector", "app=%s");
    }
    return ConfigFactory.parseMap(management);
  }

  @Override
  public void start(ActorSystem<?> system, TaskerSettings settings) {
    PekkoManagement.get(system).start();
    if (settings.bootstrap.enabled()) {
      ClusterBootstrap.get(system).start();
    }
  }
}
