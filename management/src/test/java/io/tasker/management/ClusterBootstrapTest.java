package io.tasker.management;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.tasker.node.TaskType;
import io.tasker.node.Tasker;
import io.tasker.node.TaskerNode;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Cluster formation without seed nodes: each node finds the others through Pekko Discovery
 * (here the config method, on Kubernetes the API) and Cluster Bootstrap forms one cluster;
 * Pekko Management serves the health probes a Kubernetes deployment points at.
 */
class ClusterBootstrapTest {
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static EmbeddedPostgres postgres;
  private final List<TaskerNode> nodes = new ArrayList<>();

  @BeforeAll
  static void startPostgres() throws Exception {
    postgres = EmbeddedPostgres.start();
    try (Connection connection = postgres.getPostgresDatabase().getConnection();
        Statement statement = connection.createStatement()) {
      statement.execute("CREATE DATABASE bootstrap");
    }
  }

  @AfterAll
  static void stopPostgres() throws IOException {
    postgres.close();
  }

  @AfterEach
  void stopAll() {
    nodes.forEach(TaskerNode::close);
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private static int get(int port, String path) {
    try {
      return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
          .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (IOException e) {
      return -1; // not listening yet
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static String body(int port, String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofString()).body();
  }

  @Test
  void nodesFindEachOtherThroughDiscoveryAndServeHealthProbes() throws Exception {
    int[] management = {freePort(), freePort()};
    String endpoints = "[{host = \"127.0.0.1\", port = " + management[0] + "}, "
        + "{host = \"127.0.0.1\", port = " + management[1] + "}]";
    for (int i = 0; i < 2; i++) {
      Config config = ConfigFactory.parseString(String.join("\n",
              "tasker.bootstrap { enabled = on, discovery-method = config, service-name = tasker }",
              "tasker.management.port = " + management[i],
              "pekko.discovery.config.services.tasker.endpoints = " + endpoints,
              "pekko.management.cluster.bootstrap.contact-point-discovery.stable-margin = 1s",
              // both nodes on one host: their management ports differ, unlike pods'
              "pekko.management.cluster.bootstrap.contact-point.filter-on-fallback-port = off",
              "pekko.remote.artery.canonical.port = " + freePort(),
              "pekko.cluster.jmx.multi-mbeans-in-same-jvm = on"))
          .withFallback(ConfigFactory.load());
      nodes.add(Tasker.builder().config(config)
          .journal("jdbc:postgresql://localhost:" + postgres.getPort() + "/bootstrap", "postgres", "")
          .handler(TaskType.of("echo", String.class), (payload, ctx) -> payload)
          .start());
    }
    await().atMost(Duration.ofSeconds(60)).until(() -> nodes.stream().allMatch(node -> {
      int up = 0;
      for (var member : Cluster.get(node.system()).state().getMembers()) {
        up += member.status() == MemberStatus.up() ? 1 : 0;
      }
      return up == 2;
    }));
    for (int port : management) {
      await().atMost(Duration.ofSeconds(30)).until(() -> get(port, "/ready") == 200);
      assertEquals(200, get(port, "/alive"));
      String members = body(port, "/cluster/members");
      assertTrue(members.contains("handles:echo"), members);
    }
    String echoed = nodes.get(1).enqueue(TaskType.of("echo", String.class).with("hi"))
        .toCompletableFuture().join().value();
    assertTrue(echoed.startsWith("echo:"), echoed);
  }
}
