package io.tasker.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.tasker.node.TaskType;
import io.tasker.node.Tasker;
import io.tasker.node.TaskerNode;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.Test;

/**
 * A gateway-only node (role {@code gateway}) joins a worker node: it serves the API and
 * forwards every task to the worker, hosting none and running no handler itself.
 */
class GatewayRoleTest {
  private static final TaskType<JsonNode> ECHO = TaskType.of("echo", JsonNode.class);

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private static Config node(String roles, int port, int seedPort, Path dataDir, String name) {
    return ConfigFactory.parseString(String.join("\n",
            "tasker.roles = \"" + roles + "\"",
            "tasker.node-name = \"" + name + "\"",
            "tasker.data-dir = \"" + dataDir + "\"",
            "tasker.seed-nodes = \"pekko://tasker@127.0.0.1:" + seedPort + "\"",
            "pekko.remote.artery.canonical.port = " + port,
            "pekko.cluster.jmx.multi-mbeans-in-same-jvm = on",
            "tasker.http.port = 0",
            "tasker.http.host = \"127.0.0.1\"",
            "tasker.http.auth.env-keys = \"k=tasks:read,tasks:write\""))
        .withFallback(ConfigFactory.load()).resolve();
  }

  @Test
  void gatewayNodeForwardsTasksToTheWorker() throws Exception {
    Path dataDir = Files.createTempDirectory("tasker-roles-");
    int workerPort = freePort();
    AtomicInteger ranOnWorker = new AtomicInteger();
    AtomicInteger ranOnGateway = new AtomicInteger();
    Config workerConfig = node("worker", workerPort, workerPort, dataDir, "worker-a");
    Config gatewayConfig = node("gateway", freePort(), workerPort, dataDir, "gateway-b");
    try (TaskerNode worker = Tasker.builder().config(workerConfig)
            .handler(ECHO, (p, ctx) -> { ranOnWorker.incrementAndGet(); return p; }).start();
        TaskerNode gateway = Tasker.builder().config(gatewayConfig)
            .handler(ECHO, (p, ctx) -> { ranOnGateway.incrementAndGet(); return p; }).start()) {
      await().atMost(Duration.ofSeconds(30)).until(() -> countUp(worker) == 2);
      assertTrue(gateway.hasRole("gateway"));
      assertFalse(gateway.hasRole("worker"));
      try (HttpGateway http = HttpGateway.start(gateway, gatewayConfig)) {
        HttpClient client = HttpClient.newHttpClient();
        HttpResponse<String> created = client.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + http.port() + "/v1/tasks"))
            .header("Authorization", "Bearer k").header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString("{\"type\":\"echo\",\"payload\":42}")).build(),
            HttpResponse.BodyHandlers.ofString());
        assertEquals(201, created.statusCode(), created.body());
        String id = JsonContract.MAPPER.readTree(created.body()).get("id").asText();
        await().atMost(Duration.ofSeconds(30)).until(() -> "SUCCEEDED".equals(
            get(client, http.port(), id).get("status").asText()));
        JsonNode task = get(client, http.port(), id);
        assertEquals("worker-a", task.get("history").get(0).get("node").asText());
        assertEquals(1, ranOnWorker.get());
        assertEquals(0, ranOnGateway.get());
      }
    }
  }

  private static long countUp(TaskerNode node) {
    long up = 0;
    for (var member : Cluster.get(node.system()).state().getMembers()) {
      if (member.status() == MemberStatus.up()) {
        up++;
      }
    }
    return up;
  }

  private static JsonNode get(HttpClient client, int port, String id) throws Exception {
    HttpResponse<String> response = client.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + port + "/v1/tasks/" + id))
        .header("Authorization", "Bearer k").GET().build(), HttpResponse.BodyHandlers.ofString());
    return JsonContract.MAPPER.readTree(response.body());
  }
}
