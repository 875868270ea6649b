package io.tasker.node;

import static io.tasker.node.Stages.failure;
import static io.tasker.node.Stages.join;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.tasker.node.WorkflowExecution.StepStatus;
import io.tasker.protocol.Backoff;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Workflows on a real node (sharded execution entities, step tasks, H2 journal): DAGs, fan-out,
 * templates, retries on named errors, compensation, timeout, cancel, retry, definition errors,
 * and a restart of the node mid-workflow.
 */
class WorkflowNodeTest {
  private static final Duration PATIENCE = Duration.ofSeconds(60);
  static final TaskType<JsonNode> STEP = TaskType.of("wf-step", JsonNode.class);
  static final TaskType<JsonNode> UNDO = TaskType.of("wf-undo", JsonNode.class);

  private static final Config QUICK = ConfigFactory.parseString(String.join("\n",
      "tasker.task.lease = 2s",
      "tasker.task.keep-alive-window = 5s",
      "tasker.waker.scan-interval = 200ms",
      "tasker.waker.lookahead = 2s"));

  /** What handlers did, by test: labels in start order. */
  static final Map<String, List<String>> RUNS = new ConcurrentHashMap<>();
  static final Map<String, AtomicInteger> ATTEMPTS = new ConcurrentHashMap<>();
  /** Steps held at their start until released: test/label -> the gate they wait at. */
  static final Map<String, CountDownLatch> BLOCKED = new ConcurrentHashMap<>();
  /** Steps that fail while present: test/label. */
  static final Set<String> BROKEN = ConcurrentHashMap.newKeySet();
  /** Steps whose handler returned: test/label. */
  static final Set<String> DONE = ConcurrentHashMap.newKeySet();

  static class TransientError extends RuntimeException {
    TransientError(String message) {
      super(message);
    }
  }

  static class FatalError extends RuntimeException {
    FatalError(String message) {
      super(message);
    }
  }

  private static TaskerNode node;

  static TaskerBuilder handlers(TaskerBuilder builder) {
    return builder
        .handler(STEP, (payload, ctx) -> {
          String test = payload.path("test").asText();
          String label = payload.path("label").asText();
          String who = test + "/" + label;
          RUNS.computeIfAbsent(test, t -> new CopyOnWriteArrayList<>()).add(label);
          int attempt = ATTEMPTS.computeIfAbsent(who, k -> new AtomicInteger()).incrementAndGet();
          CountDownLatch gate = BLOCKED.get(who);
          if (gate != null) {
            gate.await(); // opened by the test, or interrupted by a cancel or the node's stop
          }
          if (payload.path("failTimes").asInt(0) >= attempt || BROKEN.contains(who)) {
            String error = payload.path("failWith").asText("FatalError");
            throw "TransientError".equals(error)
                ? new TransientError(label + " attempt " + attempt)
                : new FatalError(label + " attempt " + attempt);
          }
          DONE.add(who);
          return payload.has("out") ? payload.get("out") : payload;
        })
        .handler(UNDO, (payload, ctx) -> {
          RUNS.computeIfAbsent(payload.path("test").asText(), t -> new CopyOnWriteArrayList<>())
              .add("undo:" + payload.path("label").asText());
          return null;
        });
  }

  static TaskerNode start(String journal) {
    return TestJournals.h2(handlers(Tasker.builder()), journal)
        .config(QUICK.withFallback(ConfigFactory.load())).start();
  }

  @BeforeAll
  static void startNode() {
    node = start("workflows-shared");
  }

  @AfterAll
  static void stopNode() {
    node.close();
  }

  static Map<String, Object> in(String test, String label, Object... more) {
    Map<String, Object> input = new java.util.LinkedHashMap<>();
    input.put("test", test);
    input.put("label", label);
    for (int i = 0; i < more.length; i += 2) {
      input.put((String) more[i], more[i + 1]);
    }
    return input;
  }

  static WorkflowExecution run(Tasker tasker, WorkflowDefinition definition, Object input) {
    tasker.defineWorkflow(definition);
    String id = join(tasker.startWorkflow(definition.name(), input));
    return join(tasker.awaitWorkflow(id, PATIENCE));
  }

  static WorkflowDefinition diamond(String test) {
    return WorkflowDefinition.define(test).version(1)
        .step("a", s -> s.type(STEP).input(in(test, "a", "out", Map.of("n", 2))))
        .step("b", s -> s.type(STEP).dependsOn("a")
            .input(in(test, "b", "out", Map.of("n", "{{tasks.a.output.n}}"))))
        .step("c", s -> s.type(STEP).dependsOn("a").input(in(test, "c", "out", "c-{{input.x}}")))
        .step("d", s -> s.type(STEP).dependsOn("b", "c")
            .input(in(test, "d", "b", "{{tasks.b.output.n}}", "c", "{{tasks.c.output}}")))
        .build();
  }

  static void assertDiamond(String test, WorkflowExecution done) {
    assertEquals(WorkflowStatus.SUCCEEDED, done.status(), String.valueOf(done));
    JsonNode d = done.step("d").output();
    assertEquals(2, d.get("b").intValue()); // a number stays a number
    assertEquals("c-y", d.get("c").textValue());
    List<String> runs = RUNS.get(test);
    assertEquals(List.of("a", "d"), List.of(runs.get(0), runs.get(3)), runs.toString());
    assertEquals(Set.of("b", "c"), Set.copyOf(runs.subList(1, 3)));
    done.steps().forEach(s -> assertEquals(1, s.attempts(), s.name()));
  }

  @Test
  void runsADiamondDag() {
    assertDiamond("diamond", run(node, diamond("diamond"), Map.of("x", "y")));
  }

  @Test
  void runsADiamondDagOnPostgres() {
    try (TaskerNode postgres = TestJournals.postgres(handlers(Tasker.builder()), "workflows")
        .config(QUICK.withFallback(ConfigFactory.load())).start()) {
      assertDiamond("diamond-pg", run(postgres, diamond("diamond-pg"), Map.of("x", "y")));
    }
  }

  @Test
  void fansOutOverAListAndCollectsTheOutputsInOrder() {
    String test = "fan-out";
    WorkflowDefinition definition = WorkflowDefinition.define(test)
        .step("each", s -> s.type(STEP).forEach("{{input.items}}", 2)
            .input(in(test, "{{item.name}}", "out", "{{item.name}}")))
        .step("sum", s -> s.type(STEP).dependsOn("each")
            .input(in(test, "sum", "out", Map.of("all", "{{tasks.each.output}}"))))
        .build();
    List<Map<String, Object>> items = List.of(Map.of("name", "i0"), Map.of("name", "i1"),
        Map.of("name", "i2"), Map.of("name", "i3"));
    // the first item finishes last: the outputs come in item order, not in finishing order
    BLOCKED.put(test + "/i0", new CountDownLatch(1));
    node.defineWorkflow(definition);
    String id = join(node.startWorkflow(test, Map.of("items", items)));
    await().atMost(PATIENCE).until(() -> DONE.containsAll(
        List.of(test + "/i1", test + "/i2", test + "/i3")));
    assertTrue(!DONE.contains(test + "/i0"));
    BLOCKED.remove(test + "/i0").countDown();
    WorkflowExecution done = join(node.awaitWorkflow(id, PATIENCE));
    assertEquals(WorkflowStatus.SUCCEEDED, done.status(), String.valueOf(done));
    assertEquals("[\"i0\",\"i1\",\"i2\",\"i3\"]",
        done.step("sum").output().get("all").toString());
    assertEquals(4, done.step("each").tasks().size());
    assertEquals("sum", RUNS.get(test).get(4));
  }

  @Test
  void aMissingFieldFailsTheStepBeforeItsHandlerRuns() {
    String test = "missing";
    WorkflowDefinition definition = WorkflowDefinition.define(test)
        .step("a", s -> s.type(STEP).input(in(test, "a", "out", Map.of("customer",
            Map.of("tier", "gold")))))
        .step("b", s -> s.type(STEP).dependsOn("a")
            .input(in(test, "b", "city", "{{tasks.a.output.customer.address.city}}")))
        .build();
    WorkflowExecution done = run(node, definition, Map.of());
    assertEquals(WorkflowStatus.FAILED, done.status());
    WorkflowExecution.StepRun b = done.step("b");
    assertEquals(StepStatus.FAILED, b.status());
    assertTrue(b.error().contains("tasks.a.output.customer.address"), b.error());
    assertTrue(done.error().contains("step 'b'"), done.error());
    assertEquals(List.of("a"), RUNS.get(test)); // b's handler never ran
    assertTrue(b.tasks().isEmpty());
  }

  @Test
  void retriesOnlyTheNamedError() {
    String test = "retry-on";
    WorkflowDefinition transientThenOk = WorkflowDefinition.define(test + "-1")
        .step("a", s -> s.type(STEP).input(in(test, "t", "failTimes", 2,
                "failWith", "TransientError"))
            .retry(3, Backoff.fixed(Duration.ofMillis(50))).retryOn("TransientError"))
        .build();
    WorkflowExecution ok = run(node, transientThenOk, Map.of());
    assertEquals(WorkflowStatus.SUCCEEDED, ok.status(), String.valueOf(ok));
    assertEquals(3, ok.step("a").attempts());
    assertEquals(3, ok.step("a").tasks().size());

    WorkflowDefinition fatal = WorkflowDefinition.define(test + "-2")
        .step("a", s -> s.type(STEP).input(in(test, "f", "failTimes", 2, "failWith", "Fatal"))
            .retry(3, Backoff.fixed(Duration.ofMillis(50))).retryOn(TransientError.class))
        .build();
    WorkflowExecution failed = run(node, fatal, Map.of());
    assertEquals(WorkflowStatus.FAILED, failed.status());
    assertEquals(1, failed.step("a").attempts());
    assertTrue(failed.step("a").error().contains("FatalError"), failed.step("a").error());
  }

  static WorkflowDefinition threeSteps(String test, Duration timeout) {
    return WorkflowDefinition.define(test).timeout(timeout)
        .step("s1", s -> s.type(STEP).input(in(test, "s1"))
            .compensate(UNDO.name(), in(test, "s1", "of", "{{tasks.s1.output.label}}")))
        .step("s2", s -> s.type(STEP).dependsOn("s1").input(in(test, "s2"))
            .compensate(UNDO.name(), in(test, "s2")))
        .step("s3", s -> s.type(STEP).dependsOn("s2").input(in(test, "s3")).retry(1, null))
        .build();
  }

  @Test
  void compensatesInReverseOrderAfterTheThirdStepFails() {
    String test = "compensate";
    BROKEN.add(test + "/s3");
    WorkflowExecution done = run(node, threeSteps(test, null), Map.of());
    assertEquals(WorkflowStatus.COMPENSATED, done.status(), String.valueOf(done));
    assertEquals(List.of("s1", "s2", "s3", "undo:s2", "undo:s1"), RUNS.get(test));
    assertEquals(List.of("s2", "s1"),
        done.compensations().stream().map(WorkflowExecution.CompensationRun::step).toList());
    assertTrue(done.compensations().stream().allMatch(c -> c.status() == StepStatus.SUCCEEDED));
    assertTrue(done.error().contains("step 's3' failed"), done.error());
  }

  @Test
  void aTimeoutStopsTheRunningStepAndCompensates() {
    String test = "timeout";
    BLOCKED.put(test + "/s2", new CountDownLatch(1));
    WorkflowExecution done = run(node, threeSteps(test, Duration.ofSeconds(2)), Map.of());
    assertEquals(WorkflowStatus.TIMED_OUT, done.status(), String.valueOf(done));
    assertEquals(StepStatus.CANCELLED, done.step("s2").status());
    assertEquals(List.of("s1", "s2", "undo:s1"), RUNS.get(test));
    BLOCKED.remove(test + "/s2").countDown();
  }

  @Test
  void aCancelStopsTheRunAndCompensates() {
    String test = "cancel";
    BLOCKED.put(test + "/s2", new CountDownLatch(1));
    node.defineWorkflow(threeSteps(test, null));
    String id = join(node.startWorkflow(test, Map.of()));
    await().atMost(PATIENCE).until(() -> RUNS.getOrDefault(test, List.of()).contains("s2"));
    assertEquals(WorkflowStatus.COMPENSATING, join(node.cancelWorkflow(id)).status());
    WorkflowExecution done = join(node.awaitWorkflow(id, PATIENCE));
    assertEquals(WorkflowStatus.CANCELLED, done.status(), String.valueOf(done));
    assertEquals(List.of("s1", "s2", "undo:s1"), RUNS.get(test));
    failure(WorkflowStateConflictException.class, node.cancelWorkflow(id));
    BLOCKED.remove(test + "/s2").countDown();
  }

  @Test
  void retriesAFailedExecutionFromItsFailedStep() {
    String test = "retry";
    BROKEN.add(test + "/s2");
    WorkflowDefinition definition = WorkflowDefinition.define(test)
        .step("s1", s -> s.type(STEP).input(in(test, "s1", "out", 5)))
        .step("s2", s -> s.type(STEP).dependsOn("s1").input(in(test, "s2", "v", "{{tasks.s1"
            + ".output}}")).retry(1, null))
        .build();
    WorkflowExecution failed = run(node, definition, Map.of());
    assertEquals(WorkflowStatus.FAILED, failed.status());
    BROKEN.remove(test + "/s2");
    assertEquals(WorkflowStatus.RUNNING, join(node.retryWorkflow(failed.id())).status());
    WorkflowExecution done = join(node.awaitWorkflow(failed.id(), PATIENCE));
    assertEquals(WorkflowStatus.SUCCEEDED, done.status(), String.valueOf(done));
    assertEquals(List.of("s1", "s2", "s2"), RUNS.get(test));
    assertEquals(5, done.step("s2").output().get("v").intValue());
    assertEquals(2, done.step("s2").tasks().size());
    failure(WorkflowStateConflictException.class, node.retryWorkflow(failed.id()));
  }

  @Test
  void rejectsBadDefinitionsNamingTheStep() {
    assertBad("a", "dependsOn", WorkflowDefinition.define("cycle")
        .step("a", s -> s.type(STEP).dependsOn("b"))
        .step("b", s -> s.type(STEP).dependsOn("a")));
    assertBad("a", "dependsOn", WorkflowDefinition.define("unknown-dep")
        .step("a", s -> s.type(STEP).dependsOn("nope")));
    assertBad("a", "type", WorkflowDefinition.define("unknown-type")
        .step("a", s -> s.type("no-such-type")));
    assertBad("a", "input", WorkflowDefinition.define("bad-template")
        .step("a", s -> s.type(STEP).input(Map.of("x", "{{input.x"))));
    assertBad("b", "input", WorkflowDefinition.define("not-upstream")
        .step("a", s -> s.type(STEP))
        .step("b", s -> s.type(STEP).input(Map.of("x", "{{tasks.a.output}}"))));
    failure(WorkflowNotFoundException.class, node.startWorkflow("never-defined", Map.of()));
    failure(WorkflowNotFoundException.class, node.getWorkflowExecution("no-such-execution"));
  }

  private static void assertBad(String step, String field, WorkflowBuilder definition) {
    WorkflowDefinitionException bad = assertThrows(WorkflowDefinitionException.class,
        () -> node.defineWorkflow(definition.build()));
    assertEquals(step, bad.step(), bad.getMessage());
    assertEquals("steps." + step + "." + field, bad.field(), bad.getMessage());
  }

  @Test
  void anIdempotencyKeyFindsTheSameExecution() {
    String test = "idempotent";
    WorkflowDefinition definition = WorkflowDefinition.define(test)
        .step("a", s -> s.type(STEP).input(in(test, "a"))).build();
    node.defineWorkflow(definition);
    String first = join(node.startWorkflow(test, Map.of(), "order-1"));
    assertEquals(first, join(node.startWorkflow(test, Map.of(), "order-1")));
    assertEquals(WorkflowStatus.SUCCEEDED, join(node.awaitWorkflow(first, PATIENCE)).status());
    assertEquals(List.of("a"), RUNS.get(test));
  }

  @Test
  void aRestartedNodeFinishesTheWorkflowWithoutRerunningFinishedSteps() {
    String test = "restart";
    BLOCKED.put(test + "/s2", new CountDownLatch(1));
    WorkflowDefinition definition = WorkflowDefinition.define(test)
        .step("s1", s -> s.type(STEP).input(in(test, "s1", "out", Map.of("v", 1))))
        .step("s2", s -> s.type(STEP).dependsOn("s1").input(in(test, "s2"))
            .retry(3, Backoff.fixed(Duration.ofMillis(100))))
        .step("s3", s -> s.type(STEP).dependsOn("s2")
            .input(in(test, "s3", "v", "{{tasks.s1.output.v}}")))
        .build();
    String id;
    try (TaskerNode first = start("workflows-restart")) {
      first.defineWorkflow(definition);
      id = join(first.startWorkflow(test, Map.of()));
      await().atMost(PATIENCE).until(() -> RUNS.getOrDefault(test, List.of()).contains("s2"));
    } // the node stops mid-step
    BLOCKED.remove(test + "/s2").countDown();
    try (TaskerNode second = start("workflows-restart")) {
      // nothing asks for the execution: the waker alone brings it back
      await().atMost(PATIENCE).until(() -> RUNS.get(test).contains("s3"));
      WorkflowExecution done = join(second.awaitWorkflow(id, PATIENCE));
      assertEquals(WorkflowStatus.SUCCEEDED, done.status(), String.valueOf(done));
      List<String> runs = RUNS.get(test);
      assertEquals(1, runs.stream().filter("s1"::equals).count(), runs.toString());
      assertEquals(1, runs.stream().filter("s3"::equals).count(), runs.toString());
      assertEquals(1, done.step("s3").output().get("v").intValue());
      assertEquals(1, done.version());
    }
  }

  @Test
  void runsAWorkflowDeclaredInAYamlFile() throws Exception {
    String test = "yaml";
    BROKEN.add(test + "/fulfill-order");
    java.nio.file.Path file = java.nio.file.Files.createTempFile("workflows-", ".yaml");
    java.nio.file.Files.writeString(file, String.join("\n",
        "tasker:",
        "  workflows:",
        "    order-processing:",
        "      version: 2",
        "      timeout: 30m",
        "      tasks:",
        "        - name: validate-order",
        "          type: wf-step",
        "          input: { test: yaml, label: validate-order, out: { amount: 42 } }",
        "          retry: { max_attempts: 3, backoff: { type: linear, initial: 100ms,"
            + " step: 100ms } }",
        "        - name: process-payment",
        "          type: wf-step",
        "          depends_on: [validate-order]",
        "          input: { test: yaml, label: process-payment,"
            + " amount: \"{{tasks.validate-order.output.amount}}\" }",
        "          error_handling: { retry_on: [TransientError], max_attempts: 3 }",
        "        - name: fulfill-order",
        "          type: wf-step",
        "          depends_on: [process-payment]",
        "          input: { test: yaml, label: fulfill-order, order: \"{{input.order_id}}\" }",
        "          retry: { max_attempts: 1 }",
        "      error_handling:",
        "        type: compensating_actions",
        "        actions:",
        "          - { task: process-payment, type: wf-undo,"
            + " input: { test: yaml, label: process-payment } }"));
    try (TaskerNode declared = TestJournals.h2(handlers(Tasker.builder()), "workflows-yaml")
        .config(QUICK.withFallback(ConfigFactory.load())).configFile(file).start()) {
      String id = join(declared.startWorkflow("order-processing", Map.of("order_id", "o-1")));
      WorkflowExecution done = join(declared.awaitWorkflow(id, PATIENCE));
      assertEquals(WorkflowStatus.COMPENSATED, done.status(), String.valueOf(done));
      assertEquals(2, done.version());
      assertEquals(42, done.step("process-payment").output().get("amount").intValue());
      assertEquals(List.of("validate-order", "process-payment", "fulfill-order",
          "undo:process-payment"), RUNS.get(test));
    }
  }
}
