package io.tasker.gateway;

import com.fasterxml.jackson.databind.json.JsonMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.tasker.node.Tasker;
import io.tasker.node.TaskerNode;
import io.tasker.node.sample.SampleHandlers;
import io.tasker.protocol.TaskId;
import io.tasker.protocol.TaskView;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/** The {@code ./tasker} command: run a node with its HTTP gateway, or run the demo. */
public final class Main {
  private static final String HELP =
      """
      Usage: ./tasker [command]

        (none), run   start a Tasker node with the sample handlers (echo, sleep, flaky, fail)
                      and the HTTP API on port 8080, on the embedded H2 journal under ./data;
                      wait for work (Ctrl-C stops gracefully)
        demo          start a node on a temporary journal, enqueue a mix of demo tasks and
                      show them run, retry, time out, dead-letter and cancel, then exit
        --help        show this text

      Environment:
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
      Every setting is listed in cluster-node/src/main/resources/reference.conf.
      """;

  private static final JsonMapper JSON = new JsonMapper();

  private Main() {}

  public static void main(String[] args) throws Exception {
    String command = args.length == 0 ? "run" : args[0];
    switch (command) {
      case "run" -> run();
      case "demo" -> demo();
      case "--help", "-h", "help" -> System.out.print(HELP);
      default -> {
        System.err.println("unknown command: " + command);
        System.err.print(HELP);
        System.exit(2);
      }
    }
  }

  private static void run() throws InterruptedException {
    Config config = ConfigFactory.load();
    TaskerNode node = SampleHandlers.register(Tasker.builder()).config(config).start();
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
      gateway.developmentKey().ifPresent(key -> System.out.printf("%n"
          + "  Development API key (all scopes): %s%n"
          + "  Try: curl -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' \\%n"
          + "         -d '{\"type\":\"echo\",\"payload\":{\"hello\":\"world\"}}' "
          + "http://localhost:%d/v1/tasks%n"
          + "  Set real keys with TASKER_API_KEYS or tasker.http.auth.keys (see README).%n%n",
          key, key, gateway.port()));
    }
    CountDownLatch stopped = new CountDownLatch(1);
    node.system().getWhenTerminated().thenRun(stopped::countDown);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      node.close();
      stopped.countDown();
    }));
    stopped.await();
  }

  private static void demo() throws Exception {
    // a throwaway journal, so the demo runs beside a node that holds ./data
    java.nio.file.Path journal = java.nio.file.Files.createTempDirectory("tasker-demo-");
    try (Tasker tasker = SampleHandlers.register(Tasker.builder()).dataDir(journal).start()) {
      List<String> labels = new ArrayList<>();
      List<TaskId> ids = new ArrayList<>();
      labels.add("echo, runs at once");
      ids.add(join(tasker.enqueue(SampleHandlers.ECHO.with(
          JSON.valueToTree(Map.of("hello", "world"))))));
      labels.add("echo, delayed 2s");
      ids.add(join(tasker.enqueue(SampleHandlers.ECHO.with(
          JSON.valueToTree(Map.of("later", true))).delay(Duration.ofSeconds(2)))));
      labels.add("flaky, fails twice then succeeds");
      ids.add(join(tasker.enqueue(SampleHandlers.FLAKY.with(new SampleHandlers.Flaky(2)))));
      labels.add("fail, retried then dead-lettered");
      ids.add(join(tasker.enqueue(SampleHandlers.FAIL.with(
          new SampleHandlers.Fail("upstream unavailable", true)).maxAttempts(3))));
      labels.add("fail, non-retryable: dead at once");
      ids.add(join(tasker.enqueue(SampleHandlers.FAIL.with(
          new SampleHandlers.Fail("invalid address", false)))));
      labels.add("sleep 60s, cancelled while running");
      TaskId sleeper = join(tasker.enqueue(SampleHandlers.SLEEP.with(new SampleHandlers.Sleep(60_000))));
      ids.add(sleeper);
      labels.add("sleep 100ms with a 50ms timeout");
      ids.add(join(tasker.enqueue(SampleHandlers.SLEEP.with(new SampleHandlers.Sleep(100))
          .timeout(Duration.ofMillis(50)).maxAttempts(2))));

      awaitStatus(tasker, sleeper, io.tasker.protocol.TaskStatus.RUNNING);
      join(tasker.cancel(sleeper));

      Instant deadline = Instant.now().plusSeconds(60);
      List<TaskView> views = new ArrayList<>();
      while (Instant.now().isBefore(deadline)) {
        views.clear();
        for (TaskId id : ids) {
          views.add(join(tasker.get(id)));
        }
        if (views.stream().allMatch(v -> v.status().isTerminal())) {
          break;
        }
        Thread.sleep(200);
      }
      System.out.println();
      System.out.printf("%-38s %-10s %-8s %s%n", "task", "status", "attempts", "what");
      for (int i = 0; i < views.size(); i++) {
        TaskView v = views.get(i);
        System.out.printf("%-38s %-10s %-8d %s%n", v.id(), v.status(), v.attempts(), labels.get(i));
      }
      System.out.println();
    }
  }

  private static void awaitStatus(Tasker tasker, TaskId id, io.tasker.protocol.TaskStatus status)
      throws InterruptedException {
    Instant deadline = Instant.now().plusSeconds(30);
    while (join(tasker.get(id)).status() != status && Instant.now().isBefore(deadline)) {
      Thread.sleep(50);
    }
  }

  private static <T> T join(java.util.concurrent.CompletionStage<T> stage) {
    return stage.toCompletableFuture().join();
  }
}
