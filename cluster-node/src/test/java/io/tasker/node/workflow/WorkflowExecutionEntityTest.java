package io.tasker.node.workflow;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.typesafe.config.ConfigFactory;
import io.tasker.node.EnqueueResult;
import io.tasker.node.SettableClock;
import io.tasker.node.WorkflowDefinition;
import io.tasker.node.WorkflowExecution;
import io.tasker.node.WorkflowStatus;
import io.tasker.node.index.WorkflowRow;
import io.tasker.protocol.AttemptOutcome;
import io.tasker.protocol.AttemptRecord;
import io.tasker.protocol.Backoff;
import io.tasker.protocol.EnqueueRequest;
import io.tasker.protocol.TaskId;
import io.tasker.protocol.TaskSpec;
import io.tasker.protocol.TaskStatus;
import io.tasker.protocol.ValidationException;
import io.tasker.protocol.TaskView;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The execution entity on its own (in-memory journal, commands, events and state serialized):
 * replies, events with the execution's row, deterministic task keys, a recovery that enqueues
 * the same task again, and rejected commands that persist nothing.
 */
class WorkflowExecutionEntityTest {
  private static final Instant NOW = Instant.parse("2026-03-01T09:00:00Z");
  private static final ActorTestKit testKit = ActorTestKit.create(
      EventSourcedBehaviorTestKit.config()
          .withFallback(ConfigFactory.parseString("pekko.actor.provider = local"))
          .withFallback(ConfigFactory.load()));

  private final SettableClock clock = new SettableClock(NOW);
  private final List<EnqueueRequest> enqueued = new CopyOnWriteArrayList<>();
  /** The outcome waits, by task: completed by a test to end the task. */
  private final Map<TaskId, CompletableFuture<TaskView>> outcomes = new ConcurrentHashMap<>();
  private volatile boolean enqueueHangs;
  private volatile RuntimeException enqueueRefusal;
  private EventSourcedBehaviorTestKit<WorkflowExecutionEntity.Command,
      WorkflowExecutionEntity.Event, ExecutionState> execution;
  private String id;

  private static final WorkflowDefinition TWO_STEPS = WorkflowDefinition.define("two")
      .step("a", s -> s.type("work").input(Map.of("n", "{{input.n}}")))
      .step("b", s -> s.type("work").dependsOn("a")
          .input(Map.of("fromA", "{{tasks.a.output}}")))
      .build().validate(Set.of("work"));

  private static TaskView view(EnqueueRequest request, TaskStatus status, JsonNode result) {
    TaskId task = TaskId.forIdempotencyKey(request.type(), "default", request.idempotencyKey());
    TaskSpec spec = new TaskSpec(request.type(), "default", request.payload(), 0, NOW, 1,
        Backoff.fixed(Duration.ofSeconds(1)), Duration.ofMinutes(1), request.idempotencyKey(),
        null, Map.of());
    List<AttemptRecord> history = status == TaskStatus.SCHEDULED ? List.of()
        : List.of(new AttemptRecord(1, "n", NOW, NOW, status == TaskStatus.SUCCEEDED
            ? AttemptOutcome.SUCCEEDED : AttemptOutcome.FAILED, null, null));
    return new TaskView(task, spec, status, NOW, 0, history.size(), result, history, NOW, NOW);
  }

  private CompletionStage<EnqueueResult> enqueue(EnqueueRequest request) {
    enqueued.add(request);
    if (enqueueRefusal != null) {
      return CompletableFuture.failedFuture(enqueueRefusal);
    }
    return enqueueHangs ? new CompletableFuture<>() : CompletableFuture.completedFuture(
        new EnqueueResult(view(request, TaskStatus.SCHEDULED, null), true));
  }

  @BeforeEach
  void create() {
    id = "exec-" + java.util.UUID.randomUUID();
    WorkflowRuntime runtime = new WorkflowRuntime(clock, this::enqueue,
        (task, timeout) -> outcomes.computeIfAbsent(task, t -> new CompletableFuture<>()),
        task -> CompletableFuture.completedFuture(null),
        Duration.ofSeconds(30), Duration.ofMillis(100));
    execution = EventSourcedBehaviorTestKit.create(testKit.system(),
        WorkflowExecutionEntity.create(id, runtime));
  }

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private WorkflowExecutionEntity.Reply start() {
    return execution.<WorkflowExecutionEntity.Reply>runCommand(replyTo ->
        new WorkflowExecutionEntity.Start(TWO_STEPS, JsonNodeFactory.instance.objectNode()
            .put("n", 3), replyTo)).reply();
  }

  @Test
  void startStoresTheDefinitionWithARowAndEnqueuesTheFirstStepByItsKey() {
    var result = execution.<WorkflowExecutionEntity.Reply>runCommand(replyTo ->
        new WorkflowExecutionEntity.Start(TWO_STEPS, JsonNodeFactory.instance.objectNode()
            .put("n", 3), replyTo));
    var current = assertInstanceOf(WorkflowExecutionEntity.Current.class, result.reply());
    assertEquals(WorkflowStatus.RUNNING, current.execution().status());
    WorkflowRow row = assertInstanceOf(WorkflowExecutionEntity.Indexed.class, result.event())
        .row();
    assertEquals(id, row.id());
    assertFalse(row.removed());
    await().until(() -> enqueued.size() == 1);
    EnqueueRequest first = enqueued.get(0);
    assertEquals("wf:" + id + ":0:a:0:1", first.idempotencyKey());
    assertEquals(IntNode.valueOf(3), first.payload().get("n")); // the template kept the type
    assertEquals(id, first.metadata().get("workflow-execution"));
  }

  @Test
  void aRepeatedStartStoresNothing() {
    start();
    var again = execution.<WorkflowExecutionEntity.Reply>runCommand(replyTo ->
        new WorkflowExecutionEntity.Start(TWO_STEPS, JsonNodeFactory.instance.objectNode(),
            replyTo));
    assertTrue(again.hasNoEvents());
    assertInstanceOf(WorkflowExecutionEntity.Current.class, again.reply());
  }

  @Test
  void rejectsCommandsOfAnUnknownExecutionAndARetryOfARunningOne() {
    var unknown = execution.<WorkflowExecutionEntity.Reply>runCommand(
        WorkflowExecutionEntity.Get::new);
    assertTrue(unknown.hasNoEvents());
    assertTrue(assertInstanceOf(WorkflowExecutionEntity.Rejected.class, unknown.reply())
        .notFound());
    start();
    var retry = execution.<WorkflowExecutionEntity.Reply>runCommand(
        WorkflowExecutionEntity.Retry::new);
    assertTrue(retry.hasNoEvents());
    assertFalse(assertInstanceOf(WorkflowExecutionEntity.Rejected.class, retry.reply())
        .notFound());
  }

  @Test
  void passesAStepsOutputOnAndEndsWithTheRowRemoved() {
    start();
    await().until(() -> enqueued.size() == 1 && outcomes.size() == 1);
    outcomes.values().iterator().next().complete(
        view(enqueued.get(0), TaskStatus.SUCCEEDED, IntNode.valueOf(42)));
    await().until(() -> enqueued.size() == 2 && outcomes.size() == 2);
    EnqueueRequest second = enqueued.get(1);
    assertEquals(IntNode.valueOf(42), second.payload().get("fromA"));
    TaskId secondTask = TaskId.forIdempotencyKey("work", "default", second.idempotencyKey());
    outcomes.get(secondTask).complete(view(second, TaskStatus.SUCCEEDED, null));
    await().until(() -> execution.getState().status() == WorkflowStatus.SUCCEEDED);
    assertNull(execution.getState().toView().error());
  }

  @Test
  void aRecoveredExecutionEnqueuesTheSameTaskAgain() {
    enqueueHangs = true; // the node dies before the task is stored
    start();
    await().until(() -> enqueued.size() == 1);
    enqueueHangs = false;
    execution.restart();
    await().until(() -> enqueued.size() == 2);
    assertEquals(enqueued.get(0).idempotencyKey(), enqueued.get(1).idempotencyKey());
  }

  @Test
  void aStepWhoseTaskIsRefusedFailsTheExecutionWithTheReason() {
    // e.g. this node has no handler for the step's type: the execution must end, not wait
    enqueueRefusal = new ValidationException("type",
        "no handler is registered for task type 'work'");
    start();
    await().until(() -> execution.getState().status() == WorkflowStatus.FAILED);
    WorkflowExecution.StepRun a = execution.getState().toView().step("a");
    assertEquals(WorkflowExecution.StepStatus.FAILED, a.status());
    assertTrue(a.error().contains("no handler is registered"), a.error());
    assertEquals(WorkflowExecution.StepStatus.PENDING,
        execution.getState().toView().step("b").status());
  }
}
