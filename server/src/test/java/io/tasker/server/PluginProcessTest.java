package io.tasker.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/**
 * The server as a user runs it with their own handlers: a real {@link Main} process with a
 * plugin jar in its plugin directory, on an H2 journal in a temporary directory. The example
 * plugin (examples/plugin-example) is not on the process's class path: only in the jar.
 */
class PluginProcessTest {
  private static final String KEY = "plugin-process-key";
  private static final NodeApi API = new NodeApi(KEY);
  private static final Path LOGS = Path.of("target", "plugin-process");
  private static final Duration PATIENCE = Duration.ofMinutes(2);
  private static final List<String> JVM =
      List.of("-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");

  @Test
  void runsTheHandlerOfAPluginJarInItsPluginDirectory() throws Exception {
    Path plugins = Files.createTempDirectory("tasker-plugins-");
    PluginJars.pack(Path.of(System.getProperty("tasker.example-plugin.classes")),
        plugins.resolve("greeting-plugin.jar"));

    try (NodeProcess node = start("greeting", plugins)) {
      await().atMost(PATIENCE).pollInterval(Duration.ofMillis(250)).until(() -> API.isReady(node));
      HttpResponse<String> created = API.client().send(API.request(node, "/v1/tasks")
              .header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString(
                  "{\"type\":\"greet\",\"payload\":{\"name\":\"Ada\",\"language\":\"fr\"}}"))
              .build(),
          HttpResponse.BodyHandlers.ofString(UTF_8));
      assertEquals(201, created.statusCode(), created.body());
      String id = NodeApi.JSON.readTree(created.body()).get("id").asText();

      JsonNode task = await().atMost(PATIENCE).pollInterval(Duration.ofMillis(200))
          .until(() -> API.getTask(node, id), t -> t.get("status").asText().equals("SUCCEEDED"));

      assertEquals("Bonjour, Ada!", task.get("result").get("message").asText(), task::toString);
      String log = Files.readString(node.log, UTF_8);
      assertTrue(log.contains("Plugin com.example.greeting.GreetingPlugin from "
          + plugins.resolve("greeting-plugin.jar") + ": task types [greet]"), () -> node.tail(40));
    }
  }

  @Test
  void refusesToStartWithAPluginJarWhosePluginIsMissing() throws Exception {
    Path plugins = Files.createTempDirectory("tasker-plugins-");
    PluginJars.declaring("com.example.Missing", plugins.resolve("broken-plugin.jar"));

    String log = exitLog(start("broken-plugin", plugins));

    assertTrue(log.contains("tasker: plugin jar " + plugins.resolve("broken-plugin.jar") + ": ")
        && log.contains("com.example.Missing not found"), log);
  }

  @Test
  void refusesToStartWithAPluginFileThatIsNoJar() throws Exception {
    Path plugins = Files.createTempDirectory("tasker-plugins-");
    Files.writeString(plugins.resolve("truncated.jar"), "not a zip");

    String log = exitLog(start("not-a-jar", plugins));

    assertTrue(log.contains("tasker: plugin jar " + plugins.resolve("truncated.jar")
        + " cannot be read"), log);
  }

  private static NodeProcess start(String name, Path plugins) throws Exception {
    return NodeProcess.start(name, NodeApi.freePort(), NodeApi.freePort(), JVM, Map.of(
        "TASKER_PLUGINS_DIR", plugins.toString(),
        "TASKER_API_KEYS", KEY + "=tasks:read,tasks:write"), LOGS);
  }

  /** @return the log of a node that must exit non-zero, with no stack trace */
  private static String exitLog(NodeProcess node) throws Exception {
    try (node) {
      OptionalInt exit = node.awaitExit(PATIENCE);
      assertTrue(exit.isPresent(), () -> "still running:\n" + node.tail(40));
      assertNotEquals(0, exit.getAsInt(), () -> node.tail(40));
      String log = Files.readString(node.log, UTF_8);
      assertTrue(!log.contains("\tat "), () -> "a stack trace:\n" + log);
      return log;
    }
  }
}
