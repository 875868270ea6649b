package io.tasker.node.task;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.TextNode;
import com.typesafe.config.ConfigFactory;
import io.tasker.node.NonRetryableException;
import io.tasker.node.SettableClock;
import io.tasker.node.index.IndexRow;
import io.tasker.node.index.TaskRows;
import io.tasker.node.queue.QueueManager;
import io.tasker.protocol.Backoff;
import io.tasker.protocol.TaskId;
import io.tasker.protocol.TaskSpec;
import io.tasker.protocol.TaskStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * A task of a real {@link TaskPartition} on a {@link MemoryEventStore}, with handlers, a queue
 * manager probe, a settable clock and a recording index: what the partition tests share (they
 * are those of the event-sourced TaskEntity before it, ported).
 */
abstract class TaskPartitionFixture {
  static final Instant NOW = Instant.parse("2026-03-01T09:00:00Z");
  static final Duration RETRY_DELAY = Duration.ofSeconds(7);
  static final Duration START_AHEAD = Duration.ofMillis(200);
  // one of each per test class (JUnit runs a superclass's @BeforeAll/@AfterAll for each)
  static ActorTestKit testKit;
  private static ExecutorService workers;
  private static ScheduledExecutorService watchdog;
  private static final CountDownLatch never = new CountDownLatch(1);
  static final CountDownLatch gate = new CountDownLatch(1);
  private static final Map<String, CountDownLatch> stubborn = new ConcurrentHashMap<>();

  private static final HandlerRegistry registry =
      new HandlerRegistry(
          Map.of(
              "ok", registration("ok", (payload, ctx) -> payload),
              "boom", registration("boom", (payload, ctx) -> {
                throw new IllegalStateException("boom on attempt " + ctx.attempt());
              }),
              "invalid", registration("invalid", (payload, ctx) -> {
                throw new NonRetryableException("cannot ever work");
              }),
              "block", registration("block", (payload, ctx) -> {
                never.await();
                return null;
              }),
              "gate", registration("gate", (payload, ctx) -> {
                gate.await();
                return payload;
              }),
              "stubborn", registration("stubborn", (payload, ctx) -> {
                awaitIgnoringInterrupts(stubbornAttempt(ctx.taskId(), ctx.attempt()));
                return payload;
              })),
          new ObjectMapper());

  /** Records what an entity asks of its index row beyond its events. */
  static final class RecordingIndex implements TaskRows {
    final List<TaskId> removed = new java.util.concurrent.CopyOnWriteArrayList<>();
    final List<Long> leasesExtendedAt = new java.util.concurrent.CopyOnWriteArrayList<>();
    final List<Long> parkedAt = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** The next lease extension throws this (once), as an index failing at the call. */
    final AtomicReference<RuntimeException> failNextExtension = new AtomicReference<>();

    @Override
    public CompletionStage<Done> removeIfNoEvents(TaskId id) {
      removed.add(id);
      return CompletableFuture.completedFuture(Done.getInstance());
    }

    @Override
    public CompletionStage<Done> extendLease(TaskId id, long seqNr, Instant leaseUntil) {
      RuntimeException failure = failNextExtension.getAndSet(null);
      if (failure != null) {
        throw failure;
      }
      leasesExtendedAt.add(seqNr);
      return CompletableFuture.completedFuture(Done.getInstance());
    }

    @Override
    public CompletionStage<Done> park(TaskId id, long seqNr) {
      parkedAt.add(seqNr);
      return CompletableFuture.completedFuture(Done.getInstance());
    }
  }

  final RecordingIndex index = new RecordingIndex();
  final SettableClock clock = new SettableClock(NOW);
  TestProbe<QueueManager.Command> queue;
  PartitionHarness task;
  final TaskId id = TaskId.random("work");

  private static HandlerRegistry.Registration<String> registration(
      String type, io.tasker.node.TaskHandler<String> handler) {
    return new HandlerRegistry.Registration<>(type, String.class, handler,
        new HandlerDefaults("default", 3, Backoff.fixed(RETRY_DELAY), Duration.ofMinutes(1), List.of()));
  }

  @BeforeEach
  void createTask() {
    queue = testKit.createTestProbe();
    TaskRuntime runtime = new TaskRuntime(
        new HandlerRuntime(registry, workers, watchdog, clock),
        name -> queue.ref(),
        clock,
        () -> 0.5,
        "node-1",
        new io.tasker.node.queue.WorkerNode("pekko://tasker@node-1#1", 8),
        Duration.ofSeconds(30),
        Duration.ofSeconds(30),
        index,
        Duration.ofMillis(300),
        Duration.ofHours(2),
        START_AHEAD,
        TaskMetrics.NONE);
    task = new PartitionHarness(testKit, runtime, new MemoryEventStore(), id);
  }

  @AfterEach
  void stopPartition() {
    task.stop();
  }

  @BeforeAll
  static void start() {
    testKit = ActorTestKit.create(
        ConfigFactory.parseString("pekko.actor.provider = local")
            .withFallback(ConfigFactory.load()));
    workers = Executors.newCachedThreadPool();
    watchdog = Executors.newScheduledThreadPool(1);
  }

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
    workers.shutdownNow();
    watchdog.shutdownNow();
  }

  static TaskSpec spec(String type, Instant runAt, int maxAttempts, Duration timeout) {
    return new TaskSpec(type, "default", TextNode.valueOf("hi"), 0, runAt, maxAttempts,
        Backoff.fixed(RETRY_DELAY).withoutJitter(), timeout, null, null, Map.of());
  }

  static TaskSpec spec(String type, int maxAttempts) {
    return spec(type, NOW, maxAttempts, Duration.ofMinutes(1));
  }

  PartitionHarness.Result enqueue(TaskSpec spec) {
    String requestId = java.util.UUID.randomUUID().toString(); // a new enqueue each time
    return task.runCommand(replyTo -> new TaskEntity.Enqueue(spec, requestId, replyTo));
  }

  /**
   * Answers the task's permit request, as its queue manager would.
   *
   * @return the request answered
   */
  QueueManager.RequestPermit grantPermit() {
    // patient: on a loaded machine a restart or a lease timer may take a while
    QueueManager.RequestPermit request =
        queue.expectMessageClass(QueueManager.RequestPermit.class, Duration.ofSeconds(30));
    assertEquals(id.value(), request.holder());
    request.replyTo().tell(
        new QueueManager.PermitGranted("default", request.holder(), request.incarnation()));
    return request;
  }

  TaskEntity.State awaitStatus(TaskStatus status) {
    await().atMost(Duration.ofSeconds(30)).until(() -> task.getState().status() == status);
    return task.getState();
  }

  /** @return the event without the index row it was persisted with */
  static TaskEntity.Event bare(Object event) {
    return assertInstanceOf(TaskEntity.Indexed.class, event).event();
  }

  /** @return the index rows persisted with the task's events so far, in order */
  List<IndexRow> rows() {
    return task.rows();
  }

  IndexRow lastRow() {
    List<IndexRow> rows = rows();
    return rows.get(rows.size() - 1);
  }

  TestProbe<TaskEntity.Reply> awaitOutcome(Duration upTo) {
    TestProbe<TaskEntity.Reply> waiter = testKit.createTestProbe();
    task.runCommand(new TaskEntity.AwaitOutcome(upTo, waiter.ref()));
    return waiter;
  }

  /** @return what attempt {@code attempt} of a "stubborn" task waits for, interrupted or not */
  static CountDownLatch stubbornAttempt(TaskId task, int attempt) {
    return stubborn.computeIfAbsent(task + "#" + attempt, key -> new CountDownLatch(1));
  }

  private static void awaitIgnoringInterrupts(CountDownLatch latch) {
    while (true) {
      try {
        latch.await();
        return;
      } catch (InterruptedException ignored) {
        // a handler that ignores its interrupt: it runs on, holding its permit
      }
    }
  }

  @SuppressWarnings("unused")
  private static void unused() throws InterruptedException {
    never.await(1, TimeUnit.MILLISECONDS);
  }
}

