package io.tasker.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.databind.node.IntNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.tasker.node.Tasker;
import io.tasker.node.TaskerNode;
import io.tasker.protocol.EnqueueRequest;
import io.tasker.protocol.TaskId;
import io.tasker.protocol.TaskStatus;
import io.tasker.sample.SampleHandlers;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The monitoring files shipped in {@code deploy/} parse, and every Tasker series their
 * expressions use is in a real node's {@code GET /metrics} after it ran tasks that succeeded,
 * failed and died and fired an alert: a renamed metric fails here, not on a dashboard.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class MonitoringFilesTest {
  private static final Path RULES = Path.of("../deploy/prometheus/tasker-alerts.yml");
  private static final Path DASHBOARD = Path.of("../deploy/grafana/tasker-dashboard.json");
  private static final Pattern SERIES = Pattern.compile("\\btasker_[a-z0-9_]+");
  /** The name of each sample line of the Prometheus text format. */
  private static final Pattern SAMPLE_NAME =
      Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]", Pattern.MULTILINE);

  @Test
  void rulesAreWellFormed() throws Exception {
    JsonNode rules = new ObjectMapper(new YAMLFactory()).readTree(RULES.toFile());
    assertTrue(rules.get("groups").size() > 0);
    Set<String> names = new TreeSet<>();
    for (JsonNode group : rules.get("groups")) {
      for (JsonNode rule : group.get("rules")) {
        String name = rule.path("alert").asText();
        assertFalse(name.isEmpty(), "a rule without a name in " + group.get("name"));
        assertTrue(names.add(name), "two rules named " + name);
        assertFalse(rule.path("expr").asText().isBlank(), name + " has no expr");
        assertTrue(Set.of("info", "warning", "critical")
            .contains(rule.path("labels").path("severity").asText()), name + " severity");
        assertFalse(rule.path("annotations").path("summary").asText().isBlank(), name);
      }
    }
    assertTrue(names.containsAll(Set.of("TaskerQueueDepthHigh", "TaskerDueWaitingGrowing",
        "TaskerErrorRateHigh", "TaskerLatenessP99High", "TaskerDeadTasks", "TaskerNodeDown",
        "TaskerMemberUnreachable", "TaskerJournalCommitSlow")), names.toString());
  }

  @Test
  void dashboardIsWellFormed() throws Exception {
    JsonNode dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());
    assertEquals("Tasker", dashboard.get("title").asText());
    Set<Integer> ids = new TreeSet<>();
    for (JsonNode panel : dashboard.get("panels")) {
      assertTrue(ids.add(panel.get("id").asInt()), "two panels with id " + panel.get("id"));
      assertFalse(panel.get("title").asText().isBlank());
      assertTrue(panel.get("targets").size() > 0, panel.get("title") + " has no query");
    }
  }

  @Test
  void everySeriesTheFilesUseIsServedByANode() throws Exception {
    Set<String> used = new TreeSet<>();
    for (String expr : expressions()) {
      Matcher series = SERIES.matcher(expr);
      while (series.find()) {
        used.add(series.group());
      }
    }
    assertTrue(used.size() > 15, used.toString());

    Path dataDir = Files.createTempDirectory("tasker-monitoring-");
    Config config = ConfigFactory.parseString(String.join("\n",
            "tasker.http.port = 0",
            "tasker.http.host = \"127.0.0.1\"",
            "tasker.http.metrics.public = on",
            "tasker.data-dir = \"" + dataDir.toString().replace("\\", "/") + "\"",
            "tasker.metrics.refresh-interval = 200ms",
            "tasker.alerts { check-interval = 200ms, defaults.error-rate = 0.1 }",
            "pekko.cluster.jmx.multi-mbeans-in-same-jvm = on"))
        .withFallback(ConfigFactory.load())
        .resolve();
    try (TaskerNode node = Tasker.builder().plugin(new SampleHandlers()).config(config).start();
        HttpGateway gateway = HttpGateway.start(node, config)) {
      ObjectMapper json = new ObjectMapper();
      List<TaskId> ids = new ArrayList<>();
      ids.add(enqueue(node, EnqueueRequest.of("echo", IntNode.valueOf(1))));
      ids.add(enqueue(node, EnqueueRequest.of("flaky", json.readTree("{\"failures\": 1}"))));
      ids.add(enqueue(node, EnqueueRequest.of("fail",
          json.readTree("{\"message\": \"no\", \"retryable\": false}"))));
      ids.add(enqueue(node, EnqueueRequest.of("echo", IntNode.valueOf(2))
          .withRunAt(java.time.Instant.now().plus(Duration.ofHours(1)))));
      node.cancel(ids.get(3)).toCompletableFuture().get(30, TimeUnit.SECONDS);
      node.enqueue(EnqueueRequest.of("no-such-type", null)).exceptionally(e -> null)
          .toCompletableFuture().get(30, TimeUnit.SECONDS);
      for (TaskId id : ids.subList(0, 3)) {
        await().atMost(Duration.ofSeconds(30)).until(() -> node.get(id).toCompletableFuture()
            .get().status().isTerminal());
      }
      assertEquals(TaskStatus.DEAD, node.get(ids.get(2)).toCompletableFuture().get().status());

      HttpClient client = HttpClient.newHttpClient();
      HttpRequest scrape = HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + gateway.port() + "/metrics")).GET().build();
      Set<String> missing = new TreeSet<>(used);
      await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> {
        String text = client.send(scrape, HttpResponse.BodyHandlers.ofString()).body();
        Matcher sample = SAMPLE_NAME.matcher(text);
        Set<String> served = new TreeSet<>();
        while (sample.find()) {
          served.add(sample.group(1));
        }
        missing.clear();
        used.stream().filter(name -> !served.contains(name)).forEach(missing::add);
        return missing.isEmpty();
      });
      assertTrue(missing.isEmpty(), "deploy/ uses series no node serves: " + missing);
    }
  }

  private static TaskId enqueue(TaskerNode node, EnqueueRequest request) throws Exception {
    return node.enqueue(request).toCompletableFuture().get(30, TimeUnit.SECONDS).task().id();
  }

  /** @return the PromQL of every rule and every dashboard query and variable */
  private static List<String> expressions() throws Exception {
    List<String> exprs = new ArrayList<>();
    JsonNode rules = new ObjectMapper(new YAMLFactory()).readTree(RULES.toFile());
    rules.get("groups").forEach(group ->
        group.get("rules").forEach(rule -> exprs.add(rule.get("expr").asText())));
    JsonNode dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());
    dashboard.get("panels").forEach(panel ->
        panel.get("targets").forEach(target -> exprs.add(target.get("expr").asText())));
    dashboard.path("templating").path("list").forEach(variable ->
        exprs.add(variable.path("definition").asText()));
    return exprs;
  }
}
