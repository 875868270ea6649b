package io.tasker.cli;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.tasker.gateway.HttpGateway;
import io.tasker.node.Tasker;
import io.tasker.node.TaskerNode;
import io.tasker.sample.SampleDemo;
import io.tasker.sample.SampleHandlers;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * Every command of the command line against a real node (sharded event-sourced tasks on H2, the
 * sample handlers) behind its HTTP gateway: output read as JSON, exit codes, bulk actions with
 * and without confirmation, profiles, table output.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CliTest {
  private static final String READER = "cli-reader-key";
  private static final String ADMIN = "cli-admin-key";
  private static final Duration PATIENCE = Duration.ofSeconds(30);
  private static final String DEAD_PAYLOAD = "{\"message\":\"no\",\"retryable\":false}";

  private Path dir;
  private TaskerNode node;
  private HttpGateway gateway;
  private Map<String, String> env;

  @BeforeAll
  void start() throws IOException {
    dir = Files.createTempDirectory("tasker-cli-");
    Config config = ConfigFactory.parseString(String.join("\n",
            "tasker.http.port = 0",
            "tasker.http.host = \"127.0.0.1\"",
            "tasker.data-dir = \"" + dir.toString().replace("\\", "/") + "\"",
            "tasker.http.auth.env-keys = \"" + READER + "=tasks:read;" + ADMIN
                + "=tasks:read,tasks:write,queues:admin\"",
            "pekko.cluster.jmx.multi-mbeans-in-same-jvm = on"))
        .withFallback(ConfigFactory.load())
        .resolve();
    node = Tasker.builder().plugin(new SampleHandlers()).config(config).start();
    gateway = HttpGateway.start(node);
    Path noProfiles = Files.createFile(dir.resolve("no-profiles.properties"));
    env = Map.of("TASKER_URL", url(), "TASKER_API_KEY", ADMIN,
        "TASKER_CLI_CONFIG", noProfiles.toString());
    await().atMost(PATIENCE).until(() -> run("queue", "list").exit() == 0);
  }

  @AfterAll
  void stop() {
    if (gateway != null) {
      gateway.close();
    }
    if (node != null) {
      node.close();
    }
  }

  private String url() {
    return "http://127.0.0.1:" + gateway.port();
  }

  private CliRun run(String... args) {
    return CliRun.run(env, false, "", args);
  }

  private JsonNode json(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.add("-o");
    all.add("json");
    return run(all.toArray(String[]::new)).expect(0).json();
  }

  private String enqueue(String type, String payload, String... more) {
    List<String> args = new ArrayList<>(List.of("task", "enqueue", type, "--payload", payload));
    args.addAll(List.of(more));
    args.addAll(List.of("-o", "json"));
    JsonNode accepted = run(args.toArray(String[]::new)).expect(0).json();
    assertTrue(accepted.get("created").asBoolean(), accepted.toString());
    return accepted.get("id").asText();
  }

  @Test
  void workflowStartShowLogsAndList() throws IOException {
    node.defineWorkflow(SampleDemo.ORDERS);
    Path input = dir.resolve("order.json");
    Files.writeString(input, "{\"orderId\":\"cli-1\",\"items\":[{\"sku\":\"lamp\","
        + "\"quantity\":1,\"priceCents\":4000,\"outOfStock\":true}]}");
    String id = json("workflow", "start", "sample-order", "--input", "@" + input, "--key", "cli-1")
        .get("id").asText();
    assertEquals(id, json("workflow", "start", "sample-order", "--input", "@" + input,
        "--key", "cli-1").get("id").asText(), "the key deduplicates");
    JsonNode[] execution = new JsonNode[1];
    await().atMost(PATIENCE).pollInterval(Duration.ofMillis(100)).until(() -> {
      execution[0] = json("workflow", "show", id);
      return execution[0].get("status").asText().equals("COMPENSATED");
    });
    assertEquals("charge-card", execution[0].get("compensations").get(0).get("step").asText());

    JsonNode logs = json("workflow", "logs", id);
    List<String> steps = new ArrayList<>();
    logs.get("attempts").forEach(a -> steps.add(a.get("step").asText() + " " + a.get("outcome").asText()));
    assertEquals(List.of("validate-order SUCCEEDED", "charge-card SUCCEEDED", "fulfil-order FAILED",
        "undo charge-card SUCCEEDED"), steps);

    JsonNode listed = json("workflow", "list", "--workflow", "sample-order", "--status", "compensated");
    List<String> ids = new ArrayList<>();
    listed.get("executions").forEach(e -> ids.add(e.get("id").asText()));
    assertTrue(ids.contains(id), listed.toString());
    assertTrue(run("workflow", "show", id).expect(0).out().contains("fulfil-order"));
    run("workflow", "show", "no-such-execution").expect(3);
    run("workflow", "retry", id).expect(4); // compensated, not failed: a conflict
  }

  private JsonNode awaitStatus(String id, String status) {
    JsonNode[] task = new JsonNode[1];
    await().atMost(PATIENCE).pollInterval(Duration.ofMillis(100)).until(() -> {
      task[0] = json("task", "status", id);
      return task[0].get("status").asText().equals(status);
    });
    return task[0];
  }

  /** Waits for the task index (which list and the bulk actions read) to show {@code n}. */
  private void awaitListed(int n, String... filter) {
    List<String> args = new ArrayList<>(List.of("task", "list"));
    args.addAll(List.of(filter));
    await().atMost(PATIENCE).pollInterval(Duration.ofMillis(100))
        .until(() -> json(args.toArray(String[]::new)).get("tasks").size() == n);
  }

  @Test
  void enqueueStatusHistoryAndList() throws IOException {
    String id = enqueue("echo", "{\"greeting\":\"hi\"}", "--priority", "3", "--key", "cli-k1");
    JsonNode task = awaitStatus(id, "SUCCEEDED");
    assertEquals("hi", task.get("result").get("greeting").asText());
    assertEquals(3, task.get("priority").asInt());
    assertEquals("cli-k1", task.get("idempotencyKey").asText());

    JsonNode history = json("task", "history", id);
    assertEquals(id, history.get("id").asText());
    assertEquals(1, history.get("history").size());
    JsonNode attempt = history.get("history").get(0);
    assertEquals("SUCCEEDED", attempt.get("outcome").asText());
    assertFalse(attempt.get("node").asText().isBlank());
    assertTrue(attempt.get("finishedAt").isTextual());

    Path file = dir.resolve("payload.json");
    Files.writeString(file, "{\"greeting\":\"from a file\"}");
    String fromFile = enqueue("echo", "@" + file, "--queue", "files");
    assertEquals("from a file",
        awaitStatus(fromFile, "SUCCEEDED").get("result").get("greeting").asText());

    awaitListed(1, "--queue", "files");
    JsonNode listed = json("task", "list", "--queue", "files", "--type", "echo",
        "--status", "succeeded", "--from", "1h");
    assertEquals(fromFile, listed.get("tasks").get(0).get("id").asText());
    assertTrue(listed.get("nextCursor").isNull());
    assertEquals(0, json("task", "list", "--queue", "files", "--from",
        "2999-01-01T00:00:00Z").get("tasks").size());
    assertEquals(0, json("task", "list", "--queue", "files", "--to", "1h").get("tasks").size());

    // paging: one per page, then all pages
    String second = enqueue("echo", "2", "--queue", "files");
    awaitListed(2, "--queue", "files");
    JsonNode first = json("task", "list", "--queue", "files", "--limit", "1");
    assertEquals(second, first.get("tasks").get(0).get("id").asText());
    JsonNode next = json("task", "list", "--queue", "files", "--limit", "1", "--cursor",
        first.get("nextCursor").asText());
    assertEquals(fromFile, next.get("tasks").get(0).get("id").asText());
    assertEquals(2, json("task", "list", "--queue", "files", "--limit", "1", "--all")
        .get("tasks").size());

    // the same in tables
    CliRun table = run("task", "list", "--queue", "files").expect(0);
    assertTrue(table.out().startsWith("ID"), table.toString());
    assertTrue(table.out().contains(second) && table.out().contains("SUCCEEDED"), table.out());
    assertEquals(3, table.out().lines().count(), table.out());
    CliRun status = run("task", "status", id).expect(0);
    assertTrue(status.out().contains("status:") && status.out().contains("SUCCEEDED"),
        status.out());
    CliRun attempts = run("task", "history", id).expect(0);
    assertTrue(attempts.out().lines().skip(1).findFirst().orElse("").startsWith("1 "),
        attempts.out());
  }

  @Test
  void retryRescheduleAndCancelOneTask() {
    String dead = enqueue("fail", DEAD_PAYLOAD);
    awaitStatus(dead, "DEAD");
    JsonNode retried = json("task", "retry", dead);
    assertEquals(dead, retried.get("id").asText());
    JsonNode again = awaitStatus(dead, "DEAD");
    assertEquals(2, again.get("attempts").asInt());
    assertEquals(2, json("task", "history", dead).get("history").size());

    String done = enqueue("echo", "1");
    awaitStatus(done, "SUCCEEDED");
    CliRun conflict = run("task", "retry", done).expect(4);
    assertTrue(conflict.err().contains("409"), conflict.toString());

    String later = enqueue("echo", "1", "--delay", "1h");
    JsonNode moved = json("task", "reschedule", later, "--delay", "2h", "--priority", "7");
    assertEquals(7, moved.get("priority").asInt());
    assertEquals("SCHEDULED", moved.get("status").asText());
    assertEquals("CANCELLED", json("task", "cancel", later).get("status").asText());
    run("task", "cancel", later).expect(4);
    run("task", "reschedule", later, "--run-at", "2030-01-01T00:00:00Z").expect(4);
    run("task", "reschedule", later).expect(2);
  }

  @Test
  void bulkRetryCountsAsksAndRetries() {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      ids.add(enqueue("fail", DEAD_PAYLOAD, "--queue", "bulk"));
    }
    ids.forEach(id -> awaitStatus(id, "DEAD"));
    awaitListed(3, "--queue", "bulk", "--status", "DEAD");

    CliRun refused = run("task", "retry", "--status", "DEAD", "--queue", "bulk").expect(2);
    assertTrue(refused.err().contains("3 task(s)") && refused.err().contains("--yes"),
        refused.toString());
    CliRun declined = CliRun.run(env, true, "n\n",
        "task", "retry", "--status", "DEAD", "--queue", "bulk").expect(1);
    assertTrue(declined.err().contains("Retry 3 task(s)"), declined.toString());
    ids.forEach(id -> assertEquals(1, json("task", "status", id).get("attempts").asInt()));

    JsonNode outcome = json("task", "retry", "--status", "DEAD", "--queue", "bulk", "--yes");
    assertEquals(3, outcome.get("matched").asInt(), outcome.toString());
    assertEquals(3, outcome.get("done").asInt(), outcome.toString());
    assertEquals(0, outcome.get("failed").asInt());
    ids.forEach(id -> await().atMost(PATIENCE)
        .until(() -> json("task", "status", id).get("attempts").asInt() == 2));

    CliRun confirmed = CliRun.run(env, true, "yes\n",
        "task", "retry", "--type", "fail", "--queue", "bulk", "--status", "dead");
    assertTrue(confirmed.exit() == 0 && confirmed.out().startsWith("retried "),
        confirmed.toString());
    run("task", "retry").expect(2);
    run("task", "retry", ids.get(0), "--queue", "bulk").expect(2);
  }

  @Test
  void bulkCancelOfAQueuesScheduledTasks() {
    String a = enqueue("echo", "1", "--queue", "waiting", "--delay", "1h");
    String b = enqueue("echo", "2", "--queue", "waiting", "--run-at", "2030-01-01T00:00:00Z");
    awaitListed(2, "--queue", "waiting", "--status", "SCHEDULED");
    JsonNode outcome = json("task", "cancel", "--queue", "waiting", "--status", "SCHEDULED",
        "--yes");
    assertEquals(2, outcome.get("matched").asInt(), outcome.toString());
    assertEquals(2, outcome.get("done").asInt(), outcome.toString());
    assertEquals("CANCELLED", awaitStatus(a, "CANCELLED").get("status").asText());
    assertEquals("CANCELLED", awaitStatus(b, "CANCELLED").get("status").asText());
    awaitListed(0, "--queue", "waiting", "--status", "SCHEDULED");
    JsonNode none = json("task", "cancel", "--queue", "waiting", "--status", "SCHEDULED");
    assertEquals(0, none.get("matched").asInt()); // nothing to confirm
  }

  @Test
  void queues() {
    enqueue("echo", "1", "--queue", "ops", "--delay", "1h");
    JsonNode list = json("queue", "list");
    List<String> names = new ArrayList<>();
    list.get("queues").forEach(q -> names.add(q.get("name").asText()));
    assertTrue(names.contains("ops") && names.contains("default"), names.toString());

    await().atMost(PATIENCE).until(
        () -> json("queue", "stats", "ops").get("tasks").get("SCHEDULED").asInt() == 1);
    assertTrue(json("queue", "pause", "ops").get("limits").get("paused").asBoolean());
    assertTrue(json("queue", "stats", "ops").get("limits").get("paused").asBoolean());
    assertFalse(json("queue", "resume", "ops").get("limits").get("paused").asBoolean());
    JsonNode limits = json("queue", "limits", "ops", "--concurrency", "4", "--per-key", "2",
        "--rate", "10", "--burst", "5").get("limits");
    assertEquals(4, limits.get("maxConcurrency").asInt());
    assertEquals(2, limits.get("maxConcurrencyPerKey").asInt());
    assertEquals(10.0, limits.get("rate").asDouble());
    assertEquals(5, limits.get("burst").asInt());
    run("queue", "limits", "ops").expect(2);
    run("queue", "limits", "ops", "--concurrency", "-1").expect(2);

    CliRun table = run("queue", "list").expect(0);
    assertTrue(table.out().startsWith("NAME"), table.out());
    assertTrue(table.out().lines().anyMatch(l -> l.startsWith("ops ")), table.out());
    assertTrue(run("queue", "stats", "ops").expect(0).out().contains("concurrency 4"));
  }

  @Test
  void schedules() {
    new ApiClient(URI.create(url()), ADMIN).put("/v1/schedules/cli-nightly",
        ApiClient.MAPPER.createObjectNode().put("cron", "0 3 * * *").put("zone", "UTC")
            .set("task", ApiClient.MAPPER.createObjectNode().put("type", "echo")
                .put("payload", "night")));
    JsonNode list = json("schedule", "list");
    assertTrue(list.get("schedules").findValuesAsText("id").contains("cli-nightly"),
        list.toString());
    JsonNode shown = json("schedule", "show", "cli-nightly");
    assertEquals(5, shown.get("nextFireTimes").size());
    assertTrue(json("schedule", "pause", "cli-nightly").get("paused").asBoolean());
    assertFalse(json("schedule", "resume", "cli-nightly").get("paused").asBoolean());
    JsonNode triggered = json("schedule", "trigger", "cli-nightly");
    assertEquals("cli-nightly", triggered.get("id").asText());
    await().atMost(PATIENCE).until(
        () -> json("schedule", "show", "cli-nightly").get("lastTaskId").isTextual());
    assertTrue(run("schedule", "list").expect(0).out().contains("cron 0 3 * * *"));
    run("schedule", "show", "no-such-schedule").expect(3);
  }

  @Test
  void exitCodesOfFailures() throws IOException {
    CliRun missing = run("task", "status", "no-such-task").expect(3);
    assertTrue(missing.err().startsWith("tasker: ") && missing.err().contains("404"),
        missing.toString());
    run("queue", "stats", "bad name").expect(2);
    run("task", "status", "x", "--api-key", "not-a-key").expect(5);
    run("task", "enqueue", "echo", "--key", "k", "--payload", "1", "--url", url())
        .expect(0);
    CliRun forbidden = run("queue", "pause", "default", "--api-key", READER).expect(5);
    assertTrue(forbidden.err().contains("403"), forbidden.toString());
    run("task", "enqueue", "echo", "--payload", "{not json").expect(2);
    run("task", "list", "--from", "yesterday").expect(2);
    run("task", "list", "--status", "lost").expect(2);
    run("task", "status").expect(2);
    run("task").expect(2);
    run().expect(2);
    int closed;
    try (ServerSocket socket = new ServerSocket(0)) {
      closed = socket.getLocalPort();
    }
    CliRun down = run("queue", "list", "--url", "http://127.0.0.1:" + closed).expect(6);
    assertTrue(down.err().contains("cannot reach"), down.toString());
  }

  @Test
  void profilesFromTheConfigFile() throws IOException {
    Path file = dir.resolve("cli.properties");
    Files.writeString(file, String.join("\n",
        "default.url = http://127.0.0.1:1",
        "staging.url = " + url(),
        "staging.key = " + ADMIN,
        "reader.url = " + url(),
        "reader.key = " + READER));
    Map<String, String> profileEnv = new HashMap<>();
    profileEnv.put("TASKER_CLI_CONFIG", file.toString());
    assertEquals(0, CliRun.run(profileEnv, false, "", "queue", "list", "--profile", "staging")
        .exit());
    assertEquals(5, CliRun.run(profileEnv, false, "", "queue", "pause", "default",
        "--profile", "reader").exit());
    // without a profile: 'default', whose port is closed
    assertEquals(6, CliRun.run(profileEnv, false, "", "queue", "list").exit());
    // the environment wins over the profile, the option over the environment
    profileEnv.put("TASKER_PROFILE", "staging");
    assertEquals(0, CliRun.run(profileEnv, false, "", "queue", "list").exit());
    assertEquals(6, CliRun.run(profileEnv, false, "", "queue", "list", "--profile", "default")
        .exit());
    profileEnv.put("TASKER_URL", "http://127.0.0.1:1");
    assertEquals(6, CliRun.run(profileEnv, false, "", "queue", "list").exit());
    assertEquals(0, CliRun.run(profileEnv, false, "", "queue", "list", "--url", url()).exit());
    CliRun unknown = CliRun.run(profileEnv, false, "", "queue", "list", "--profile", "prod");
    assertEquals(2, unknown.exit(), unknown.toString());
    assertTrue(unknown.err().contains("no profile 'prod'"), unknown.toString());
  }

  @Test
  void helpEverywhereAndCompletion() {
    for (String[] command : List.of(new String[] {"--help"}, new String[] {"task", "--help"},
        new String[] {"task", "list", "--help"}, new String[] {"task", "retry", "--help"},
        new String[] {"queue", "limits", "--help"}, new String[] {"schedule", "trigger", "-h"},
        new String[] {"completion", "--help"})) {
      CliRun help = run(command).expect(0);
      assertTrue(help.out().contains("Usage: tasker"), help.toString());
    }
    assertTrue(run("task", "list", "--help").out().contains("--status"));
    assertTrue(run("--help").out().contains("Exit codes:"));
    CliRun completion = run("completion", "bash").expect(0);
    assertTrue(completion.out().contains("complete -F"), completion.out());
    assertTrue(completion.out().contains("schedule"), "subcommands are completed");
  }
}
