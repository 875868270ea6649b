package io.tasker.node;


import static io.tasker.node.Stages.join;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.tasker.node.index.IndexRow;
import io.tasker.protocol.AttemptOutcome;
import io.tasker.protocol.AttemptRecord;
import io.tasker.protocol.Backoff;
import io.tasker.protocol.QueueCounts;
import io.tasker.protocol.TaskId;
import io.tasker.protocol.TaskNotFoundException;
import io.tasker.protocol.TaskPage;
import io.tasker.protocol.TaskQuery;
import io.tasker.protocol.TaskStatus;
import io.tasker.protocol.TaskSummary;
import io.tasker.protocol.TaskView;
import io.tasker.protocol.ValidationException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * Nothing lost: tasks survive stops and crashes of their node through the journal and the task
 * index, and the index agrees with the tasks. Subclasses run it on each journal.
 */
abstract class DurabilityContractTest {
  private static final Duration PATIENCE = Duration.ofSeconds(60);
  private static final Duration LEASE = Duration.ofSeconds(2);

  /** Node settings that make leases, scans and sweeps quick enough for tests. */
  private static final Config QUICK = ConfigFactory.parseString(String.join("\n",
      "tasker.task.lease = 2s",
      "tasker.task.keep-alive-window = 5s",
      "tasker.waker.scan-interval = 200ms",
      "tasker.waker.lookahead = 2s",
      "tasker.retention.sweep-interval = 200ms"));

  /** As when a process is killed: no coordinated shutdown, no shard hand-off, no leave. */
  private static final Config CRASHING = ConfigFactory.parseString(
      "pekko.coordinated-shutdown.run-by-actor-system-terminate = off");

  abstract TaskerBuilder withJournal(TaskerBuilder builder, String name);

  private TaskerBuilder node(String journal, Config extra) {
    return withJournal(Probe.register(Tasker.builder()), journal)
        .config(extra.withFallback(QUICK).withFallback(ConfigFactory.load()));
  }

  private TaskerBuilder node(String journal) {
    return node(journal, ConfigFactory.empty());
  }

  private static String name(TestInfo info) {
    return info.getTestClass().orElseThrow().getSimpleName() + "." + info.getDisplayName();
  }

  private static TaskView awaitStatus(Tasker tasker, TaskId id, TaskStatus status) {
    await().atMost(PATIENCE).until(() -> join(tasker.get(id)).status() == status);
    return join(tasker.get(id));
  }

  private static long count(Tasker tasker, String queue, TaskStatus status) {
    return join(tasker.counts()).stream().filter(c -> c.queue().equals(queue))
        .mapToLong(c -> c.byStatus().get(status)).sum();
  }

  @Test
  void everyScheduledTaskRunsOnceAfterAFullStop(TestInfo info) {
    String test = name(info);
    String journal = "stop_" + Math.abs(test.hashCode());
    int tasks = 1000;
    List<TaskId> ids = new ArrayList<>();
    Instant start = Instant.now().plusSeconds(2);
    try (Tasker first = node(journal).start()) {
      List<CompletionStage<TaskId>> accepted = new ArrayList<>();
      for (int i = 0; i < tasks; i++) {
        Instant runAt = start.plusMillis(i * 4L); // spread over 4 s
        accepted.add(first.enqueue(Probe.WORK.with(Probe.of(test, "t" + i))
            .queue("restart").runAt(runAt)));
      }
      accepted.forEach(stage -> ids.add(join(stage)));
    } // the whole node stops, most tasks not yet due
    try (Tasker second = node(journal).start()) {
      await().atMost(PATIENCE).until(() -> count(second, "restart", TaskStatus.SUCCEEDED) == tasks);
      Map<String, Integer> runs = new HashMap<>();
      Probe.record(test).started.forEach(label -> runs.merge(label, 1, Integer::sum));
      for (int i = 0; i < tasks; i++) {
        TaskView task = join(second.get(ids.get(i)));
        assertEquals(TaskStatus.SUCCEEDED, task.status());
        assertFalse(task.history().get(0).startedAt().isBefore(task.spec().runAt()),
            "started early: " + task.id());
        int ran = runs.getOrDefault("t" + i, 0);
        boolean inFlightAtStop = task.history().stream()
            .anyMatch(a -> a.outcome() != AttemptOutcome.SUCCEEDED);
        if (inFlightAtStop) {
          // its handler may or may not have begun before the stop interrupted the attempt
          assertTrue(ran >= 1 && ran <= task.attempts(), "runs of task t" + i + ": " + ran);
        } else {
          assertEquals(1, ran, "runs of task t" + i);
        }
      }
    }
  }

  @Test
  void aBatchOfTasksDueLaterIsStoredTogetherAndRunsOnceAfterAFullStop(TestInfo info) {
    String test = name(info);
    String journal = "batch_" + Math.abs(test.hashCode());
    // beyond the keep-alive window (5 s): stored in one transaction, no entity started
    Instant later = Instant.now().plusSeconds(7);
    List<io.tasker.protocol.EnqueueRequest> requests = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      requests.add(Probe.WORK.with(Probe.of(test, "later" + i)).queue("batch")
          .runAt(later.plusMillis(i * 5L)).toEnqueueRequest(Json.MAPPER));
      if (i % 100 == 0) { // through their entities: due now, or keyed (twice: stored once)
        requests.add(Probe.WORK.with(Probe.of(test, "now" + i)).queue("batch")
            .toEnqueueRequest(Json.MAPPER));
        requests.add(Probe.WORK.with(Probe.of(test, "keyed" + i)).queue("batch")
            .runAt(later).idempotencyKey("k" + i).toEnqueueRequest(Json.MAPPER));
        requests.add(requests.get(requests.size() - 1));
      }
    }
    List<EnqueueResult> results;
    try (Tasker first = node(journal).start()) {
      results = join(first.enqueueAll(requests));
    } // stopped before the later tasks are due
    assertEquals(requests.size(), results.size());
    Set<TaskId> distinct = new HashSet<>();
    for (int i = 0; i < results.size(); i++) {
      EnqueueResult result = results.get(i);
      // as JSON: a repeat is answered with the task as read back (0 decodes as an int node)
      assertEquals(requests.get(i).payload().toString(), result.task().spec().payload().toString(),
          "order kept");
      assertEquals(TaskStatus.SCHEDULED, result.task().status());
      boolean repeat = !distinct.add(result.task().id());
      assertEquals(!repeat, result.created(), "created once per task: " + result.task().id());
    }
    assertEquals(requests.size() - 3, distinct.size());
    try (Tasker second = node(journal).start()) {
      await().atMost(PATIENCE)
          .until(() -> count(second, "batch", TaskStatus.SUCCEEDED) == distinct.size());
      Map<String, Integer> runs = new HashMap<>();
      Probe.record(test).started.forEach(label -> runs.merge(label, 1, Integer::sum));
      assertEquals(distinct.size(), runs.size());
      runs.forEach((label, ran) -> assertEquals(1, ran, "runs of " + label));
      for (TaskId id : distinct) {
        TaskView task = join(second.get(id));
        assertEquals(TaskStatus.SUCCEEDED, task.status());
        assertFalse(task.history().get(0).startedAt().isBefore(task.spec().runAt()),
            "started early: " + id);
      }
    }
  }

  @Test
  void attemptOfACrashedNodeRunsAgainAfterItsLease(TestInfo info) {
    String test = name(info);
    String journal = "crash_" + Math.abs(test.hashCode());
    TaskId id;
    try (Tasker first = node(journal, CRASHING).start()) {
      id = join(first.enqueue(Probe.BLOCK.with(Probe.of(test, "stuck"))));
      awaitStatus(first, id, TaskStatus.RUNNING);
    } // killed mid-attempt: the journal says RUNNING, nobody reports an outcome
    Probe.record(test).gate("stuck").countDown();
    Instant restart = Instant.now();
    try (Tasker second = node(journal).start()) {
      TaskView done = awaitStatus(second, id, TaskStatus.SUCCEEDED);
      assertEquals(2, done.attempts());
      assertEquals(List.of(AttemptOutcome.LOST, AttemptOutcome.SUCCEEDED),
          done.history().stream().map(AttemptRecord::outcome).toList());
      AttemptRecord lost = done.history().get(0);
      Instant leaseEnd = lost.startedAt().plus(LEASE);
      assertFalse(done.history().get(1).startedAt().isBefore(leaseEnd),
          "re-run before the lease of the lost attempt ended");
      assertTrue(done.history().get(1).startedAt().isAfter(restart.minusSeconds(1)));
    }
  }

  @Test
  void retryWaitingForItsBackoffKeepsAttemptsAndRunTimeAcrossARestart(TestInfo info) {
    String test = name(info);
    String journal = "retry_" + Math.abs(test.hashCode());
    TaskId id;
    TaskView waiting;
    try (Tasker first = node(journal).start()) {
      id = join(first.enqueue(Probe.WORK.with(Probe.of(test, "flaky").failing(1))
          .backoff(Backoff.fixed(Duration.ofSeconds(3)).withoutJitter())));
      await().atMost(PATIENCE).until(() -> join(first.get(id)).attempts() == 1
          && join(first.get(id)).status() == TaskStatus.SCHEDULED);
      waiting = join(first.get(id));
    }
    try (Tasker second = node(journal).start()) {
      TaskView recovered = join(second.get(id));
      assertEquals(1, recovered.attempts());
      assertEquals(waiting.runAt(), recovered.runAt());
      TaskView done = awaitStatus(second, id, TaskStatus.SUCCEEDED);
      assertEquals(2, done.attempts());
      assertFalse(done.history().get(1).startedAt().isBefore(waiting.runAt()));
    }
  }

  @Test
  void indexAgreesWithTheTasksAfterMixedOperations(TestInfo info) {
    String test = name(info);
    try (Tasker tasker = node("agree_" + Math.abs(test.hashCode())).start()) {
      List<TaskId> ids = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        Probe probe = Probe.of(test, "t" + i);
        TaskRequest<Probe> request = switch (i % 5) {
          case 0 -> Probe.WORK.with(probe);
          case 1 -> Probe.WORK.with(probe.failing(9)).maxAttempts(2)
              .backoff(Backoff.fixed(Duration.ofMillis(20)));
          case 2 -> Probe.WORK.with(probe).delay(Duration.ofHours(1));
          case 3 -> Probe.WORK.with(probe).delay(Duration.ofHours(2)).priority(3);
          default -> Probe.WORK.with(probe.failing(1)).backoff(Backoff.fixed(Duration.ofMillis(20)));
        };
        ids.add(join(tasker.enqueue(request.queue("mixed"))));
      }
      for (int i = 0; i < ids.size(); i++) {
        if (i % 5 == 2) {
          join(tasker.cancel(ids.get(i)));
        } else if (i % 5 == 3 && i % 2 == 0) {
          join(tasker.reschedule(ids.get(i), Instant.now().plus(Duration.ofDays(1)), 7));
        }
      }
      await().atMost(PATIENCE).until(() -> ids.stream().allMatch(id -> {
        TaskStatus status = join(tasker.get(id)).status();
        return status != TaskStatus.RUNNING
            && (status != TaskStatus.SCHEDULED || join(tasker.get(id)).runAt().isAfter(Instant.now()));
      }));
      TaskerNode node = (TaskerNode) tasker;
      await().atMost(PATIENCE).untilAsserted(() -> {
        for (TaskId id : ids) {
          TaskView task = join(tasker.get(id));
          IndexRow row = join(node.index().row(id));
          assertNotNull(row, "no index row for " + id);
          TaskSummary indexed = row.task();
          assertEquals(task.status(), indexed.status(), id + " status");
          assertEquals(task.attempts(), indexed.attempts(), id + " attempts");
          assertEquals(task.priority(), indexed.priority(), id + " priority");
          assertEquals(task.runAt().truncatedTo(ChronoUnit.MICROS), indexed.runAt(), id + " runAt");
          assertEquals(task.spec().queue(), indexed.queue());
          assertEquals(task.spec().type(), indexed.type());
          assertEquals(task.status().isTerminal(), row.wakeAt() == null, id + " wakeAt");
        }
      });
      QueueCounts counts = join(tasker.counts()).stream()
          .filter(c -> c.queue().equals("mixed")).findFirst().orElseThrow();
      assertEquals(16, counts.byStatus().get(TaskStatus.SUCCEEDED)); // i % 5 in {0, 4}
      assertEquals(8, counts.byStatus().get(TaskStatus.DEAD));
      assertEquals(8, counts.byStatus().get(TaskStatus.CANCELLED));
      assertEquals(8, counts.scheduled());
    }
  }

  @Test
  void listsTasksPageByPageWithFilters(TestInfo info) {
    String test = name(info);
    try (Tasker tasker = node("list_" + Math.abs(test.hashCode())).start()) {
      Set<TaskId> later = new HashSet<>();
      for (int i = 0; i < 25; i++) {
        later.add(join(tasker.enqueue(Probe.WORK.with(Probe.of(test, "l" + i))
            .queue("listing").delay(Duration.ofMinutes(10 + i)))));
      }
      TaskId done = join(tasker.enqueue(Probe.WORK.with(Probe.of(test, "done")).queue("listing")));
      awaitStatus(tasker, done, TaskStatus.SUCCEEDED);
      TaskQuery scheduled = TaskQuery.all().inQueue("listing").withStatus(TaskStatus.SCHEDULED)
          .orderBy(TaskQuery.Order.RUN_AT).limit(10);
      await().atMost(PATIENCE).until(() -> {
        Set<TaskId> seen = new HashSet<>();
        List<Instant> runTimes = new ArrayList<>();
        TaskPage page = join(tasker.list(scheduled));
        int pages = 1;
        page.tasks().forEach(t -> { seen.add(t.id()); runTimes.add(t.runAt()); });
        while (page.nextCursor() != null) {
          page = join(tasker.list(scheduled.after(page.nextCursor())));
          pages++;
          page.tasks().forEach(t -> { seen.add(t.id()); runTimes.add(t.runAt()); });
        }
        List<Instant> sorted = new ArrayList<>(runTimes);
        sorted.sort(null);
        return seen.equals(later) && pages == 3 && runTimes.equals(sorted);
      });
      TaskPage succeeded = join(tasker.list(TaskQuery.all().inQueue("listing")
          .withStatus(TaskStatus.SUCCEEDED)));
      assertEquals(List.of(done), succeeded.tasks().stream().map(TaskSummary::id).toList());
      CompletionException bad = assertThrows(CompletionException.class,
          () -> join(tasker.list(TaskQuery.all().after("not-a-cursor"))));
      assertEquals("cursor", assertInstanceOf(ValidationException.class, bad.getCause()).field());
    }
  }

  @Test
  void retentionRemovesOldFinishedTasksAndKeepsUnfinishedOnes(TestInfo info) {
    String test = name(info);
    SettableClock clock = SettableClock.startingNow();
    try (Tasker tasker = node("retention_" + Math.abs(test.hashCode())).clock(clock).start()) {
      TaskId succeeded = join(tasker.enqueue(Probe.WORK.with(Probe.of(test, "ok"))));
      TaskId dead = join(tasker.enqueue(Probe.STRICT.with(Probe.of(test, "strict"))));
      TaskId pending = join(tasker.enqueue(Probe.WORK.with(Probe.of(test, "next-year"))
          .delay(Duration.ofDays(365))));
      awaitStatus(tasker, succeeded, TaskStatus.SUCCEEDED);
      awaitStatus(tasker, dead, TaskStatus.DEAD);

      clock.advance(Duration.ofDays(8)); // past 7 days for succeeded, not 30 for dead
      Function<TaskId, Boolean> gone = id -> {
        try {
          join(tasker.get(id));
          return false;
        } catch (CompletionException e) {
          return e.getCause() instanceof TaskNotFoundException;
        }
      };
      await().atMost(PATIENCE).until(() -> gone.apply(succeeded));
      assertEquals(TaskStatus.DEAD, join(tasker.get(dead)).status());

      clock.advance(Duration.ofDays(30));
      await().atMost(PATIENCE).until(() -> gone.apply(dead));
      assertEquals(TaskStatus.SCHEDULED, join(tasker.get(pending)).status());
      assertNull(join(((TaskerNode) tasker).index().row(succeeded)));
      assertNotNull(join(((TaskerNode) tasker).index().row(pending)));
    }
  }
}
