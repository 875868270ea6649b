package io.tasker.node;


import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.tasker.protocol.AttemptOutcome;
import io.tasker.protocol.AttemptRecord;
import io.tasker.protocol.Backoff;
import io.tasker.protocol.EnqueueRequest;
import io.tasker.protocol.QueueStats;
import io.tasker.protocol.OutcomeUnknownException;
import io.tasker.protocol.QueueCounts;
import io.tasker.protocol.QueueLimits;
import io.tasker.protocol.QueueUpdate;
import com.typesafe.config.ConfigFactory;
import io.tasker.protocol.TaskId;
import io.tasker.protocol.TaskNotFoundException;
import io.tasker.protocol.TaskQuery;
import io.tasker.protocol.TaskStateConflictException;
import io.tasker.protocol.TaskStatus;
import io.tasker.protocol.TaskView;
import io.tasker.protocol.ValidationException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.TestInstance;

/**
 * The behaviour of a real node (cluster sharding, persistence, queue managers, handlers) as a
 * user of the Java API sees it. Subclasses run it on each journal Tasker supports.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class TaskerContractTest {
  private static final Duration PATIENCE = Duration.ofSeconds(30);
  private static final Backoff QUICK = Backoff.fixed(Duration.ofMillis(50)).withoutJitter();

  private Tasker tasker;

  /** @return {@code builder} with a journal named {@code name}: same name, same journal */
  abstract TaskerBuilder withJournal(TaskerBuilder builder, String name);

  TaskerBuilder node(String journal) {
    return withJournal(Probe.register(Tasker.builder()), journal)
        .queue("serial", q -> q.maxConcurrency(1))
        .queue("limited", q -> q.maxConcurrency(2))
        .queue("per-key", q -> q.maxConcurrency(10).maxConcurrencyPerKey(1))
        .queue("rated", q -> q.rate(10, 2));
  }

  @BeforeAll
  void startNode() {
    tasker = node("contract").start();
  }

  /** A test that failed while tasks were held lets them go: a node stops without waiting. */
  @AfterEach
  void openGates() {
    Probe.openAllGates();
  }

  @AfterAll
  void stopNode() {
    if (tasker != null) {
      tasker.close();
    }
  }

  private static <T> T join(CompletionStage<T> stage) {
    try {
      return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new CompletionException(e.getCause());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static <E extends Throwable> E failure(Class<E> type, CompletionStage<?> stage) {
    CompletionException thrown = assertThrows(CompletionException.class, () -> join(stage));
    return assertInstanceOf(type, thrown.getCause());
  }

  private TaskView awaitStatus(Tasker on, TaskId id, TaskStatus status) {
    await().atMost(PATIENCE).until(() -> join(on.get(id)).status() == status);
    return join(on.get(id));
  }

  private TaskView awaitStatus(TaskId id, TaskStatus status) {
    return awaitStatus(tasker, id, status);
  }

  private TaskId enqueue(TaskRequest<Probe> request) {
    return join(tasker.enqueue(request));
  }

  private static String name(TestInfo info) {
    return info.getTestClass().orElseThrow().getSimpleName() + "." + info.getDisplayName();
  }

  private static List<AttemptOutcome> outcomes(TaskView task) {
    return task.history().stream().map(AttemptRecord::outcome).toList();
  }

  @Test
  void runsATaskAndStoresItsResult(TestInfo info) {
    TaskId id = enqueue(Probe.WORK.with(Probe.of(name(info), "only")));
    TaskView done = awaitStatus(id, TaskStatus.SUCCEEDED);
    assertEquals(TextNode.valueOf("only"), done.result());
    assertEquals(List.of(AttemptOutcome.SUCCEEDED), outcomes(done));
    assertFalse(done.history().get(0).node().isBlank());
  }

  @Test
  void listsTheTasksCreatedInATimeRange(TestInfo info) {
    TaskId first = enqueue(Probe.WORK.with(Probe.of(name(info), "first")).queue("ranged"));
    Instant between = awaitStatus(first, TaskStatus.SUCCEEDED).createdAt().plusMillis(1);
    await().atMost(PATIENCE).until(() -> Instant.now().isAfter(between));
    TaskId second = enqueue(Probe.WORK.with(Probe.of(name(info), "second")).queue("ranged"));
    TaskQuery ranged = TaskQuery.all().inQueue("ranged");
    await().atMost(PATIENCE).until(() -> join(tasker.list(ranged)).tasks().size() == 2);
    assertEquals(List.of(second), join(tasker.list(ranged.createdBetween(between, null)))
        .tasks().stream().map(t -> t.id()).toList());
    assertEquals(List.of(first), join(tasker.list(ranged.createdBetween(null, between)))
        .tasks().stream().map(t -> t.id()).toList());
    assertEquals(List.of(), join(tasker.list(ranged.createdBetween(between, between.plusNanos(1))))
        .tasks());
  }

  @Test
  void retriesAFailingTaskWithBackoffUntilItSucceeds(TestInfo info) {
    TaskId id = enqueue(Probe.WORK.with(Probe.of(name(info), "flaky").failing(2))
        .backoff(QUICK).maxAttempts(5));
    TaskView done = awaitStatus(id, TaskStatus.SUCCEEDED);
    assertEquals(3, done.attempts());
    assertEquals(List.of(AttemptOutcome.FAILED, AttemptOutcome.FAILED, AttemptOutcome.SUCCEEDED),
        outcomes(done));
    for (int i = 1; i < done.history().size(); i++) {
      Instant failedAt = done.history().get(i - 1).finishedAt();
      Instant retriedAt = done.history().get(i).startedAt();
      assertFalse(retriedAt.isBefore(failedAt.plusMillis(50)),
          "retry " + i + " started before its backoff elapsed: " + failedAt + " → " + retriedAt);
    }
  }

  @Test
  void deadLettersAfterMaxAttemptsAndCanBeRerun(TestInfo info) {
    TaskId id = enqueue(Probe.WORK.with(Probe.of(name(info), "stubborn").failing(3))
        .backoff(QUICK).maxAttempts(3));
    TaskView dead = awaitStatus(id, TaskStatus.DEAD);
    assertEquals(3, dead.attempts());
    assertEquals("java.lang.IllegalStateException", dead.lastAttempt().errorType());

    TaskView rerun = join(tasker.retry(id));
    assertTrue(rerun.status() == TaskStatus.SCHEDULED || rerun.status() == TaskStatus.RUNNING);
    TaskView done = awaitStatus(id, TaskStatus.SUCCEEDED);
    assertEquals(4, done.attempts());
    assertEquals(4, done.history().size());
  }

  @Test
  void rejectsRetryOfATaskThatIsNotDead(TestInfo info) {
    TaskId id = enqueue(Probe.WORK.with(Probe.of(name(info), "fine")));
    awaitStatus(id, TaskStatus.SUCCEEDED);
    assertEquals(TaskStatus.SUCCEEDED, failure(TaskStateConflictException.class, tasker.retry(id)).status());
  }

  @Test
  void nonRetryableErrorTypesGoStraightToDead(TestInfo info) {
    TaskId id = enqueue(Probe.STRICT.with(Probe.of(name(info), "strict")).maxAttempts(5));
    TaskView dead = awaitStatus(id, TaskStatus.DEAD);
    assertEquals(1, dead.attempts());
    assertEquals("java.lang.IllegalArgumentException", dead.lastAttempt().errorType());
  }

  @Test
  void timeoutCountsAsAFailedAttemptAndInterruptsTheHandler(TestInfo info) {
    String test = name(info);
    TaskId id = enqueue(Probe.BLOCK.with(Probe.of(test, "slow")) // its gate never opens
        .timeout(Duration.ofMillis(200)).maxAttempts(2).backoff(QUICK));
    TaskView dead = awaitStatus(id, TaskStatus.DEAD);
    assertEquals(List.of(AttemptOutcome.TIMED_OUT, AttemptOutcome.TIMED_OUT), outcomes(dead));
    await().atMost(PATIENCE).until(() -> Probe.record(test).interrupted.contains("slow"));
  }

  @Test
  void cancelsAScheduledTaskBeforeItRuns(TestInfo info) {
    String test = name(info);
    TaskId id = enqueue(Probe.WORK.with(Probe.of(test, "later")).delay(Duration.ofHours(1)));
    TaskView cancelled = join(tasker.cancel(id));
    assertEquals(TaskStatus.CANCELLED, cancelled.status());
    assertEquals(TaskStatus.CANCELLED, join(tasker.get(id)).status());
    assertTrue(Probe.record(test).started.isEmpty());
  }

  @Test
  void cancelsARunningTaskAndSignalsItsHandler(TestInfo info) {
    String test = name(info);
    TaskId id = enqueue(Probe.BLOCK.with(Probe.of(test, "blocked")));
    awaitStatus(id, TaskStatus.RUNNING);
    assertEquals(TaskStatus.CANCELLED, join(tasker.cancel(id)).status());
    await().atMost(PATIENCE).until(() -> Probe.record(test).interrupted.contains("blocked"));
    TaskView cancelled = join(tasker.get(id));
    assertEquals(TaskStatus.CANCELLED, cancelled.status());
    assertEquals(List.of(AttemptOutcome.CANCELLED), outcomes(cancelled));
  }

  @Test
  void rejectsCancelOfAFinishedTask(TestInfo info) {
    TaskId id = enqueue(Probe.WORK.with(Probe.of(name(info), "quick")));
    awaitStatus(id, TaskStatus.SUCCEEDED);
    TaskStateConflictException conflict = failure(TaskStateConflictException.class, tasker.cancel(id));
    assertEquals(TaskStatus.SUCCEEDED, conflict.status());
    assertTrue(conflict.getMessage().contains("already finished"), conflict.getMessage());
  }

  @Test
  void reschedulesAScheduledTask(TestInfo info) {
    String test = name(info);
    TaskId id = enqueue(Probe.WORK.with(Probe.of(test, "moved")).delay(Duration.ofHours(1)));
    Instant soon = Instant.now().plusMillis(100);
    TaskView moved = join(tasker.reschedule(id, soon, 42));
    assertEquals(soon, moved.runAt());
    assertEquals(42, moved.priority());
    TaskView done = awaitStatus(id, TaskStatus.SUCCEEDED);
    assertFalse(done.history().get(0).startedAt().isBefore(soon), "started before its run time");
  }

  @Test
  void neverStartsATaskBeforeItsRunTime(TestInfo info) {
    Instant runAt = Instant.now().plusMillis(300);
    TaskId id = enqueue(Probe.WORK.with(Probe.of(name(info), "punctual")).runAt(runAt));
    TaskView done = awaitStatus(id, TaskStatus.SUCCEEDED);
    assertFalse(done.history().get(0).startedAt().isBefore(runAt));
  }

  @Test
  void countsDueTasksThatWaitApartFromLaterOnes(TestInfo info) {
    String test = name(info);
    String queue = "due-waiting";
    join(tasker.pauseQueue(queue));
    for (int i = 0; i < 3; i++) {
      enqueue(Probe.WORK.with(Probe.of(test, "due" + i)).queue(queue));
    }
    for (int i = 0; i < 2; i++) {
      enqueue(Probe.WORK.with(Probe.of(test, "later" + i)).queue(queue)
          .runAt(Instant.now().plus(Duration.ofHours(1))));
    }
    QueueCounts counts = join(tasker.counts()).stream()
        .filter(c -> c.queue().equals(queue)).findFirst().orElseThrow();
    assertEquals(5, counts.scheduled());
    assertEquals(3, counts.dueWaiting(), "the paused queue holds back the due ones only");
    assertEquals(5, counts.depth());
  }

  @Test
  void idempotencyKeyReturnsTheExistingTask(TestInfo info) {
    String test = name(info);
    EnqueueResult first = join(tasker.enqueue(
        Probe.WORK.with(Probe.of(test, "once")).idempotencyKey("order-42")
            .toEnqueueRequest(Json.MAPPER)));
    EnqueueResult second = join(tasker.enqueue(
        Probe.WORK.with(Probe.of(test, "twice")).idempotencyKey("order-42")
            .toEnqueueRequest(Json.MAPPER)));
    assertTrue(first.created());
    assertFalse(second.created());
    assertEquals(first.task().id(), second.task().id());
    awaitStatus(first.task().id(), TaskStatus.SUCCEEDED);
    assertEquals(List.of("once"), Probe.record(test).started);
  }

  @Test
  void aTaskDueInAMomentIsStoredTogetherAndStartsAtItsRunTimeNotBefore(TestInfo info) {
    String test = name(info);
    Instant runAt = Instant.now().plusMillis(300);
    TaskId single = enqueue(Probe.WORK.with(Probe.of(test, "single")).runAt(runAt));
    List<EnqueueResult> listed = join(tasker.enqueueAll(List.of(
        Probe.WORK.with(Probe.of(test, "listed")).runAt(runAt).toEnqueueRequest(Json.MAPPER))));
    for (TaskId id : List.of(single, listed.get(0).task().id())) {
      TaskView done = awaitStatus(id, TaskStatus.SUCCEEDED);
      Instant started = done.history().get(0).startedAt();
      assertFalse(started.isBefore(done.spec().runAt()), "started early: " + started);
      // a hang guard only: a wake left to the waker's periodic full pass would come seconds late
      assertTrue(started.isBefore(done.spec().runAt().plusSeconds(5)), "started " + started);
    }
  }

  @Test
  void repeatedIdempotencyKeysWithinAndAcrossBatchesGiveOneTaskEach(TestInfo info) {
    String test = name(info);
    EnqueueRequest a = Probe.WORK.with(Probe.of(test, "a")).idempotencyKey(test + "-1")
        .toEnqueueRequest(Json.MAPPER);
    EnqueueRequest b = Probe.WORK.with(Probe.of(test, "b")).idempotencyKey(test + "-2")
        .toEnqueueRequest(Json.MAPPER);
    EnqueueRequest aAgain = Probe.WORK.with(Probe.of(test, "a-again"))
        .idempotencyKey(test + "-1").toEnqueueRequest(Json.MAPPER);
    EnqueueRequest bAgain = Probe.WORK.with(Probe.of(test, "b-again"))
        .idempotencyKey(test + "-2").toEnqueueRequest(Json.MAPPER);
    EnqueueRequest c = Probe.WORK.with(Probe.of(test, "c")).idempotencyKey(test + "-3")
        .toEnqueueRequest(Json.MAPPER);
    EnqueueRequest cAgain = Probe.WORK.with(Probe.of(test, "c-again"))
        .idempotencyKey(test + "-3").toEnqueueRequest(Json.MAPPER);
    List<EnqueueResult> first = join(tasker.enqueueAll(List.of(a, b, aAgain)));
    List<EnqueueResult> second = join(tasker.enqueueAll(List.of(bAgain, c, a)));
    EnqueueResult single = join(tasker.enqueue(cAgain));
    assertEquals(List.of(true, true, false), first.stream().map(EnqueueResult::created).toList());
    assertEquals(List.of(false, true, false),
        second.stream().map(EnqueueResult::created).toList());
    assertFalse(single.created());
    assertEquals(first.get(0).task().id(), first.get(2).task().id());
    assertEquals(first.get(0).task().id(), second.get(2).task().id());
    assertEquals(first.get(1).task().id(), second.get(0).task().id());
    assertEquals(second.get(1).task().id(), single.task().id());
    assertEquals("a", first.get(2).task().spec().payload().get("label").asText(),
        "a repeat answers with the stored task");
    for (EnqueueResult result : List.of(first.get(0), first.get(1), second.get(1))) {
      awaitStatus(result.task().id(), TaskStatus.SUCCEEDED);
    }
    assertEquals(List.of("a", "b", "c"),
        Probe.record(test).started.stream().sorted().toList());
  }

  @Test
  void concurrentSingleEnqueuesAreAllStoredAndRunOnce(TestInfo info) throws Exception {
    String test = name(info);
    int tasks = 200;
    java.util.concurrent.ExecutorService callers =
        java.util.concurrent.Executors.newFixedThreadPool(8);
    try {
      java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
      List<java.util.concurrent.Future<EnqueueResult>> calls = new ArrayList<>();
      for (int i = 0; i < tasks; i++) {
        EnqueueRequest request = Probe.WORK.with(Probe.of(test, "t" + i))
            .toEnqueueRequest(Json.MAPPER);
        calls.add(callers.submit(() -> {
          go.await();
          return join(tasker.enqueue(request));
        }));
      }
      go.countDown();
      java.util.Set<TaskId> ids = new java.util.HashSet<>();
      for (java.util.concurrent.Future<EnqueueResult> call : calls) {
        EnqueueResult result = call.get(30, TimeUnit.SECONDS);
        assertTrue(result.created());
        ids.add(result.task().id());
      }
      assertEquals(tasks, ids.size());
    } finally {
      callers.shutdownNow();
    }
    await().atMost(PATIENCE).until(() -> Probe.record(test).started.size() >= tasks);
    List<String> started = new ArrayList<>(Probe.record(test).started);
    assertEquals(tasks, started.size());
    assertEquals(tasks, new java.util.HashSet<>(started).size(), "each ran once");
  }

  @Test
  void rejectsUnknownTypesAndPayloadsThatDoNotDecode() {
    ValidationException unknown = failure(ValidationException.class,
        tasker.enqueue(EnqueueRequest.of("no-such-type", TextNode.valueOf("x"))));
    assertEquals("type", unknown.field());
    ObjectNode wrong = JsonNodeFactory.instance.objectNode().put("failures", "not a number");
    ValidationException badPayload = failure(ValidationException.class,
        tasker.enqueue(EnqueueRequest.of("probe", wrong)));
    assertEquals("payload", badPayload.field());
    ValidationException badQueue = failure(ValidationException.class,
        tasker.enqueue(EnqueueRequest.of("probe", JsonNodeFactory.instance.objectNode())
            .withQueue("no spaces allowed")));
    assertEquals("queue", badQueue.field());
  }

  @Test
  void unknownTaskIsNotFound() {
    TaskId id = TaskId.random("echo");
    assertEquals(id, failure(TaskNotFoundException.class, tasker.get(id)).taskId());
    failure(TaskNotFoundException.class, tasker.cancel(id));
  }

  @Test
  void servesWaitingTasksByPriorityWhenPermitsAreScarce(TestInfo info) {
    String test = name(info);
    TaskId blocker = enqueue(Probe.BLOCK.with(Probe.of(test, "blocker")).queue("serial"));
    awaitStatus(blocker, TaskStatus.RUNNING);
    List<TaskId> waiting = new ArrayList<>();
    waiting.add(enqueue(Probe.WORK.with(Probe.of(test, "low")).queue("serial").priority(0)));
    waiting.add(enqueue(Probe.WORK.with(Probe.of(test, "high")).queue("serial").priority(10)));
    waiting.add(enqueue(Probe.WORK.with(Probe.of(test, "mid")).queue("serial").priority(5)));
    await().atMost(PATIENCE).until(() -> join(tasker.queueStats("serial")).waiting() == 3);
    Probe.record(test).gate("blocker").countDown();
    waiting.forEach(id -> awaitStatus(id, TaskStatus.SUCCEEDED));
    assertEquals(List.of("blocker", "high", "mid", "low"), Probe.record(test).started);
  }

  @Test
  void neverExceedsTheQueueConcurrencyLimit(TestInfo info) {
    String test = name(info);
    List<TaskId> ids = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      ids.add(enqueue(Probe.BLOCK.with(Probe.of(test, "t" + i)).queue("limited")));
    }
    Probe.record(test).finishOneByOne(8, 2, PATIENCE);
    ids.forEach(id -> awaitStatus(id, TaskStatus.SUCCEEDED));
    assertEquals(2, Probe.record(test).maxRunning.get());
  }

  @Test
  void limitsConcurrencyPerKey(TestInfo info) {
    String test = name(info);
    List<TaskId> ids = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      String key = i % 2 == 0 ? "tenant-a" : "tenant-b";
      ids.add(enqueue(Probe.BLOCK.with(Probe.of(test, "t" + i).keyed(key))
          .queue("per-key").concurrencyKey(key)));
    }
    Probe.record(test).finishOneByOne(6, 2, PATIENCE); // one of each key at a time
    ids.forEach(id -> awaitStatus(id, TaskStatus.SUCCEEDED));
    assertEquals(1, Probe.record(test).maxFor("tenant-a"));
    assertEquals(1, Probe.record(test).maxFor("tenant-b"));
  }

  @Test
  void respectsTheQueueRateLimit(TestInfo info) {
    String test = name(info);
    List<TaskId> ids = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      ids.add(enqueue(Probe.WORK.with(Probe.of(test, "t" + i)).queue("rated")));
    }
    ids.forEach(id -> awaitStatus(id, TaskStatus.SUCCEEDED));
    List<Long> starts = new ArrayList<>(Probe.record(test).startNanos);
    long spanMillis = (starts.stream().mapToLong(Long::longValue).max().orElseThrow()
        - starts.stream().mapToLong(Long::longValue).min().orElseThrow()) / 1_000_000;
    // 12 starts at 10/s with a burst of 2 need at least 1 s; allow for clock reads
    assertTrue(spanMillis >= 800, "12 starts took only " + spanMillis + " ms");
  }

  @Test
  void queueLimitsChangeAtRunTime(TestInfo info) {
    String test = name(info);
    var stats = join(tasker.updateQueue("adjustable", new QueueLimits(1, 0, 0, 0)));
    assertEquals(1, stats.limits().maxConcurrency());
    List<TaskId> ids = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      ids.add(enqueue(Probe.BLOCK.with(Probe.of(test, "t" + i)).queue("adjustable")));
    }
    Probe.record(test).finishOneByOne(4, 1, PATIENCE);
    ids.forEach(id -> awaitStatus(id, TaskStatus.SUCCEEDED));
    assertEquals(1, Probe.record(test).maxRunning.get());
  }

  @Test
  void tasksSurviveARestartOfTheNode(TestInfo info) {
    String test = name(info);
    TaskId finished;
    TaskId pending;
    Instant pendingRunAt = Instant.now().plus(Duration.ofHours(1));
    try (Tasker first = node("restart").start()) {
      finished = join(first.enqueue(Probe.WORK.with(Probe.of(test, "before").failing(1))
          .backoff(QUICK)));
      pending = join(first.enqueue(Probe.WORK.with(Probe.of(test, "after")).runAt(pendingRunAt)));
      awaitStatus(first, finished, TaskStatus.SUCCEEDED);
    }
    try (Tasker second = node("restart").start()) {
      TaskView done = join(second.get(finished));
      assertEquals(TaskStatus.SUCCEEDED, done.status());
      assertEquals(List.of(AttemptOutcome.FAILED, AttemptOutcome.SUCCEEDED), outcomes(done));
      assertEquals(TextNode.valueOf("before"), done.result());
      TaskView waiting = join(second.get(pending));
      assertEquals(TaskStatus.SCHEDULED, waiting.status());
      assertEquals(pendingRunAt, waiting.runAt());
      join(second.reschedule(pending, Instant.now()));
      awaitStatus(second, pending, TaskStatus.SUCCEEDED);
    }
  }

  @Test
  void anEnqueueNotConfirmedInTimeNamesTheTaskItMayHaveStored(TestInfo info) {
    String test = name(info);
    com.typesafe.config.Config impatient = ConfigFactory
        .parseString("tasker.ask-timeout = 1ms").withFallback(ConfigFactory.load());
    try (Tasker node = node("impatient").config(impatient).start()) {
      // one commit may take less than 1 ms on an idle machine; of 200 concurrent enqueues,
      // those that wait for the commit before theirs do not
      List<CompletionStage<TaskId>> enqueues = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        enqueues.add(node.enqueue(Probe.WORK.with(Probe.of(test, "late" + i))));
      }
      List<OutcomeUnknownException> unknown = new ArrayList<>();
      for (CompletionStage<TaskId> enqueue : enqueues) {
        try {
          join(enqueue);
        } catch (CompletionException failure) {
          unknown.add(assertInstanceOf(OutcomeUnknownException.class, failure.getCause()));
        }
      }
      assertFalse(unknown.isEmpty(), "every one of 200 enqueues was confirmed within 1 ms");
      OutcomeUnknownException first = unknown.get(0);
      assertTrue(first.getMessage().contains("idempotencyKey"), first.getMessage());
      // the write went on after the wait ended: the task it names is stored (and runs)
      await().atMost(PATIENCE).until(() -> join(node.list(TaskQuery.all().limit(500))).tasks()
          .stream().anyMatch(t -> t.id().equals(first.taskId())));
    }
  }

  /** Renewals every second: a restarted queue manager waits 1.5 s before it grants. */
  private TaskerBuilder quickRenewals(String journal) {
    return node(journal).config(ConfigFactory.parseString(
            "tasker.permits.keep-alive = 1s\ntasker.permits.start-up-margin = 500ms")
        .withFallback(ConfigFactory.load()));
  }

  @Test
  void aPausedQueueAndItsChangedLimitsSurviveARestartOfTheNode(TestInfo info) {
    String test = name(info);
    List<TaskId> ids = new ArrayList<>();
    try (Tasker first = quickRenewals("queue-settings").start()) {
      QueueStats paused = join(first.pauseQueue("settings"));
      assertTrue(paused.limits().paused());
      assertEquals(1, paused.version());
      QueueStats limited = join(first.updateQueue("settings",
          new QueueUpdate(1, null, null, null, null)));
      assertEquals(new QueueLimits(1, 0, 0, 0, true), limited.limits(), "still paused");
      assertEquals(2, limited.version());
      for (int i = 0; i < 3; i++) {
        ids.add(join(first.enqueue(Probe.BLOCK.with(Probe.of(test, "t" + i))
            .queue("settings"))));
      }
      // due at once, they ask for permits and wait
      await().atMost(PATIENCE).until(() -> join(first.queueStats("settings")).waiting() == 3);
    }
    try (Tasker second = quickRenewals("queue-settings").start();
        Probe.Record record = Probe.record(test)) {
      QueueStats recovered = join(second.queueStats("settings"));
      assertEquals(new QueueLimits(1, 0, 0, 0, true), recovered.limits(), "as changed, paused");
      assertEquals(2, recovered.version());
      await().atMost(PATIENCE).until(() -> join(second.queueStats("settings")).waiting() == 3);
      ids.forEach(id -> assertEquals(TaskStatus.SCHEDULED, join(second.get(id)).status()));

      QueueStats resumed = join(second.resumeQueue("settings"));
      assertFalse(resumed.limits().paused());
      assertEquals(3, resumed.version());
      record.finishOneByOne(3, 1, PATIENCE);
      ids.forEach(id -> awaitStatus(second, id, TaskStatus.SUCCEEDED));
      assertEquals(1, record.maxRunning.get(), "the stored limit of 1 held");
    }
  }

  /** @return the tasks held in memory on {@code node} (a single-node cluster: all of them) */
  private static int liveTasks(Tasker node) {
    org.apache.pekko.actor.typed.ActorSystem<Void> system = ((TaskerNode) node).system();
    org.apache.pekko.cluster.sharding.ShardRegion.CurrentShardRegionState state = join(
        org.apache.pekko.actor.typed.javadsl.AskPattern.<
            org.apache.pekko.cluster.sharding.typed.ClusterShardingQuery,
            org.apache.pekko.cluster.sharding.ShardRegion.CurrentShardRegionState>ask(
            org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding.get(system)
                .shardState(),
            replyTo -> new org.apache.pekko.cluster.sharding.typed.GetShardRegionState(
                io.tasker.node.task.TaskPartition.ENTITY_TYPE_KEY, replyTo),
            Duration.ofSeconds(10), system.scheduler()));
    org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding sharding =
        org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding.get(system);
    return state.getShards().stream().map(shard -> sharding // all asked at once
            .entityRefFor(io.tasker.node.task.TaskPartition.ENTITY_TYPE_KEY, shard.shardId())
            .<Integer>ask(io.tasker.node.task.TaskPartition.CountHeld::new, Duration.ofSeconds(10)))
        .toList().stream().mapToInt(TaskerContractTest::join).sum();
  }

  @Test
  void aDueBacklogParksBeyondMaxWaitingAndEveryTaskRunsOnce(TestInfo info) {
    int maxWaiting = 5;
    TaskerBuilder builder = node("parking").queue("backlog", q -> q.maxConcurrency(1))
        .config(ConfigFactory.parseString("tasker.permits.max-waiting = " + maxWaiting)
            .withFallback(ConfigFactory.load()));
    drainBacklog(name(info), builder, maxWaiting, 1);
  }

  /**
   * A batch of due tasks for a paused queue is stored with only what the queue may run at once
   * to be woken: the rest are parked in the same transaction (no entity starts only to wait for
   * the resume). The resume looks them up, {@code max-waiting} at a time, and every task runs
   * once. (Admission as far as a running queue has room: {@code QueueManagerTest}.)
   */
  @Test
  void aBatchOfDueTasksForAPausedQueueIsStoredParkedAndEveryTaskRunsOnceAfterTheResume(
      TestInfo info) {
    String test = name(info);
    int maxWaiting = 5;
    int maxConcurrency = 4;
    int tasks = 200;
    TaskerBuilder builder =
        node("admit").queue("backlog", q -> q.maxConcurrency(maxConcurrency).pause())
            .config(ConfigFactory.parseString("tasker.permits.max-waiting = " + maxWaiting)
                .withFallback(ConfigFactory.load()));
    try (Tasker node = builder.start()) {
      List<EnqueueRequest> batch = new ArrayList<>();
      for (int i = 0; i < tasks; i++) {
        batch.add(Probe.WORK.with(Probe.of(test, "t" + i)).queue("backlog")
            .toEnqueueRequest(Json.MAPPER));
      }
      // the manager up first: an admission it cannot answer within 2 s (a start on a loaded
      // machine) wakes every task, as without admission
      join(node.queueStats("backlog"));
      List<TaskId> ids = join(node.enqueueAll(batch)).stream().map(r -> r.task().id()).toList();
      // parked when the enqueue returns, not later by their entities
      int parked = join(((TaskerNode) node).index().parked("backlog", tasks)).size();
      assertEquals(tasks - maxConcurrency, parked, "parked as they were stored");
      await().atMost(PATIENCE)
          .until(() -> join(node.queueStats("backlog")).waiting() == maxConcurrency);
      assertTrue(liveTasks(node) <= maxConcurrency, "live task entities: " + liveTasks(node));

      join(node.resumeQueue("backlog"));
      ids.forEach(id -> awaitStatus(node, id, TaskStatus.SUCCEEDED));
      List<String> started = Probe.record(test).started;
      assertEquals(tasks, started.size(), "each task ran exactly once");
      assertEquals(tasks, new java.util.HashSet<>(started).size());
    }
  }

  /**
   * A queue without limits is bounded by the node: it grants this node no more than
   * max-started permits, so the rest of a due backlog waits as requests and parks.
   */
  @Test
  void aQueueWithoutLimitsStartsNoMoreOnANodeThanItsMaxStartedAndParksTheRest(TestInfo info) {
    int maxWaiting = 5;
    int maxStarted = 3;
    TaskerBuilder builder = node("node-bound").queue("backlog", q -> q.maxConcurrency(0))
        .config(ConfigFactory.parseString("tasker.permits.max-waiting = " + maxWaiting
                + "\ntasker.worker.max-started = " + maxStarted)
            .withFallback(ConfigFactory.load()));
    drainBacklog(name(info), builder, maxWaiting, maxStarted);
  }

  /**
   * Enqueues 100 due tasks on a node started from {@code builder} and checks, while they drain:
   * every task runs once, at most {@code maxRunning} at a time, at most {@code maxWaiting}
   * requests wait in memory, most of the backlog parks, and live task entities stay bounded.
   */
  private void drainBacklog(String test, TaskerBuilder builder, int maxWaiting, int maxRunning) {
    int tasks = 100;
    // the record closes first: held tasks go, so the node stops without waiting for them
    try (Tasker node = builder.start(); Probe.Record record = Probe.record(test)) {
      List<CompletionStage<TaskId>> enqueued = new ArrayList<>();
      for (int i = 0; i < tasks; i++) {
        enqueued.add(node.enqueue(Probe.BLOCK.with(Probe.of(test, "t" + i))
            .queue("backlog")));
      }
      List<TaskId> ids = enqueued.stream().map(TaskerContractTest::join).toList();
      var seen = new Object() {
        int maxWaiting = 0;
        int maxParked = 0;
        int maxLiveAfterParking = 0;
        int maxHeld = 0;
        int live = Integer.MAX_VALUE;
        boolean burstOver = false;
      };
      // the backlog drains one task at a time, each step looked at with the node's slots full
      record.finishOneByOne(tasks, maxRunning, PATIENCE, () -> {
        QueueStats stats = join(node.queueStats("backlog"));
        seen.maxWaiting = Math.max(seen.maxWaiting, stats.waiting());
        seen.maxHeld = Math.max(seen.maxHeld, stats.running());
        int parked = join(((TaskerNode) node).index().parked("backlog", tasks)).size();
        seen.maxParked = Math.max(seen.maxParked, parked);
        // stored tasks are woken after their enqueue returns: the burst of their entities is
        // over once each task is parked, waiting or started
        seen.burstOver |= parked + stats.waiting() + record.started.size() >= tasks;
        int previous = seen.live;
        seen.live = liveTasks(node);
        if (seen.burstOver && previous <= tasks / 4) { // the burst has parked
          seen.maxLiveAfterParking = Math.max(seen.maxLiveAfterParking, seen.live);
        }
      });
      ids.forEach(id -> awaitStatus(node, id, TaskStatus.SUCCEEDED));
      List<String> started = record.started;
      assertEquals(tasks, started.size(), "each task ran exactly once: " + started);
      assertEquals(tasks, new java.util.HashSet<>(started).size());
      assertTrue(record.maxRunning.get() <= maxRunning,
          "ran " + record.maxRunning.get() + " at once");
      assertTrue(seen.maxHeld <= maxRunning, "permits held reached " + seen.maxHeld);
      assertTrue(seen.maxWaiting <= maxWaiting, "waiting reached " + seen.maxWaiting);
      assertTrue(seen.maxParked >= tasks / 2, "only " + seen.maxParked + " were seen parked");
      // waiting in memory, running, woken on their way, and finishing ones passivating
      assertTrue(seen.maxLiveAfterParking <= 4 * maxWaiting + maxRunning,
          "live task entities reached " + seen.maxLiveAfterParking + " while draining");
      System.out.println("parking: max parked " + seen.maxParked + ", max waiting "
          + seen.maxWaiting + ", max live task entities while draining "
          + seen.maxLiveAfterParking);
    }
  }
}
