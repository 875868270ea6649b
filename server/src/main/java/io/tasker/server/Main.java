package io.tasker.server;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.tasker.gateway.HttpGateway;
import io.tasker.node.Tasker;
import io.tasker.node.TaskerBuilder;
import io.tasker.node.TaskerNode;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Tasker server ({@code ./tasker}, the Docker image): a node with its HTTP gateway, running
 * the handlers of the plugins in the plugin directory.
 */
public final class Main {
  private static final String HELP =
      """
      Usage: ./tasker [command]

        (none), run   start a Tasker node with the handlers of its plugins and the HTTP API
                      on port 8080, on the embedded H2 journal under ./data; wait for work
                      (Ctrl-C stops gracefully). ./tasker adds the sample handlers (echo,
                      sleep, flaky, fail) unless TASKER_SAMPLES=off.
        demo          (./tasker only) start a node on a temporary journal, enqueue a mix of
                      sample tasks and show them run, retry, time out, dead-letter and cancel
        task, queue, schedule, completion
                      (./tasker only) the command line: look at and act on tasks, queues and
                      schedules of a running node over its HTTP API (./tasker task --help)
        --help        show this text

      Environment:
        TASKER_PLUGINS_DIR   directory of plugin jars, whose handlers the node runs
                             (default ./plugins; see "Run your own handlers" in the README)
        TASKER_SAMPLES       "off": ./tasker leaves the sample handlers out
        TASKER_DATA_DIR      directory of the embedded H2 journal (default ./data)
        TASKER_DB_URL        JDBC URL of a PostgreSQL journal instead of H2,
                             e.g. jdbc:postgresql://localhost:5432/tasker
        TASKER_DB_USER, TASKER_DB_PASSWORD   its credentials
        TASKER_HOST, TASKER_PORT             cluster address of this node (default 127.0.0.1, random port)
        TASKER_NODE_NAME     name recorded in attempt histories
        TASKER_HTTP_PORT, TASKER_HTTP_HOST   where the HTTP API listens (default 0.0.0.0:8080)
        TASKER_API_KEYS      API keys, "<key>=<scope>,<scope>;..." with scopes tasks:read,
                             tasks:write, queues:admin; without keys a development key with
                             every scope is generated, kept in <data-dir>/dev-api-key and printed
        TASKER_AUTH_ENABLED  false switches authentication off (never in production)
        TASKER_ROLES         cluster roles, default "worker,gateway"; "gateway" alone serves the
                             API and forwards to worker nodes; "worker" alone runs tasks only
        TASKER_SEED_NODES    seed nodes to join, comma-separated, e.g.
                             pekko://tasker@10.0.0.1:25520,pekko://tasker@10.0.0.2:25520
                             (default: none, the node forms a cluster of its own)
        TASKER_BOOTSTRAP     "on": find the cluster with Pekko Cluster Bootstrap instead
                             (TASKER_DISCOVERY_METHOD, default kubernetes-api;
                             TASKER_SERVICE_NAME, default tasker)
        TASKER_MANAGEMENT    "on": Pekko Management on TASKER_MANAGEMENT_PORT (7626):
                             /ready, /alive, /cluster/members (on with bootstrap)
                             Both need the optional tasker-management module, which ./tasker
                             puts on the class path when either is on.
        TASKER_LOG_FORMAT    "json": one JSON object per log line (default "text")
      Every setting is listed in cluster-node/src/main/resources/reference.conf.
      """;

  private static final Logger LOG = LoggerFactory.getLogger(Main.class);

  private Main() {}

  public static void main(String[] args) throws Exception {
    String command = args.length == 0 ? "run" : args[0];
    switch (command) {
      case "run" -> run();
      case "demo" -> {
        System.err.println("tasker: the demo is part of the sample handlers: run ./tasker demo");
        System.exit(2);
      }
      case "--help", "-h", "help" -> System.out.print(HELP);
      default -> {
        System.err.println("unknown command: " + command);
        System.err.print(HELP);
        System.exit(2);
      }
    }
  }

  private static void run() throws InterruptedException {
    String logFormat = System.getProperty("TASKER_LOG_FORMAT", System.getenv("TASKER_LOG_FORMAT"));
    if (logFormat != null && !logFormat.equals("text") && !logFormat.equals("json")) {
      // logback would attach no appender and the node would run silently
      System.err.println("tasker: TASKER_LOG_FORMAT must be text or json, not '" + logFormat + "'");
      System.exit(2);
      return;
    }
    Config config = ConfigFactory.load();
    TaskerBuilder builder = Tasker.builder().config(config);
    try {
      applyPlugins(ServerSettings.create(config), builder);
    } catch (PluginLoadException e) {
      System.err.println("tasker: " + e.getMessage());
      System.exit(1);
      return;
    }
    TaskerNode node = builder.start();
    if (node.hasRole("gateway")) {
      HttpGateway gateway;
      try {
        gateway = HttpGateway.start(node, config);
      } catch (RuntimeException e) {
        // a gateway without its API must not linger as a worker nobody can reach or stop
        node.close();
        System.err.println("tasker: " + e.getMessage());
        System.exit(1);
        return;
      }
      boolean echo = builder.taskTypes().contains("echo");
      gateway.developmentKey().ifPresent(key -> printDevelopmentKey(key, gateway.port(), echo));
    }
    CountDownLatch stopped = new CountDownLatch(1);
    node.system().getWhenTerminated().thenRun(stopped::countDown);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      node.close();
      stopped.countDown();
    }));
    stopped.await();
  }

  private static void printDevelopmentKey(String key, int port, boolean echo) {
    System.out.printf("%n  Development API key (all scopes): %s%n", key);
    if (echo) {
      System.out.printf("  Try: curl -H 'Authorization: Bearer %s' "
          + "-H 'Content-Type: application/json' \\%n"
          + "         -d '{\"type\":\"echo\",\"payload\":{\"hello\":\"world\"}}' "
          + "http://localhost:%d/v1/tasks%n", key, port);
    }
    System.out.printf(
        "  Set real keys with TASKER_API_KEYS or tasker.http.auth.keys (see README).%n%n");
  }

  private static void applyPlugins(ServerSettings settings, TaskerBuilder builder) {
    List<LoadedPlugin> plugins =
        Plugins.apply(settings.pluginsDir, Main.class.getClassLoader(), builder);
    for (LoadedPlugin plugin : plugins) {
      LOG.info("Plugin {} from {}: task types {}", plugin.name(), plugin.source(),
          plugin.taskTypes());
    }
    if (builder.taskTypes().isEmpty()) {
      LOG.warn("No handlers: no plugin in {} (TASKER_PLUGINS_DIR) nor on the class path; "
          + "tasks of every type are refused until one is installed",
          settings.pluginsDir.toAbsolutePath());
    }
  }
}
