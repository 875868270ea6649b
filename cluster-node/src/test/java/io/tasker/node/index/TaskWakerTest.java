package io.tasker.node.index;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.tasker.node.journal.JournalSettings;
import io.tasker.node.journal.SchemaMigrations;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The waker's passes over a target: paging through a backlog, and what it wakes when. */
class TaskWakerTest {
  private static final int PAGE = 10;
  private static ActorTestKit testKit;
  private static JdbcTaskIndex index;

  /** Rows in memory, read like the index does: (wake time, id) order, after a cursor. */
  private static final class Rows {
    final List<WakeTarget.Due> rows = new CopyOnWriteArrayList<>();
    final AtomicInteger reads = new AtomicInteger();
    final Map<String, List<Instant>> wakes = new ConcurrentHashMap<>();

    WakeTarget target() {
      Comparator<WakeTarget.Due> order =
          Comparator.comparing(WakeTarget.Due::wakeAt).thenComparing(WakeTarget.Due::id);
      return new WakeTarget("test",
          (from, to, after, until, limit) -> {
            reads.incrementAndGet();
            return CompletableFuture.completedFuture(rows.stream()
                .filter(row -> !row.wakeAt().isAfter(until))
                .filter(row -> after == null || order.compare(row, after) > 0)
                .sorted(order)
                .limit(limit)
                .toList());
          },
          (id, wakeAt) -> wakes.computeIfAbsent(id, k -> new CopyOnWriteArrayList<>())
              .add(Instant.now()));
    }

    int woken(String id) {
      return wakes.getOrDefault(id, List.of()).size();
    }
  }

  @BeforeAll
  static void start() throws Exception {
    testKit = ActorTestKit.create(ConfigFactory.parseString(
            "pekko.actor.provider = cluster\n"
                + "pekko.remote.artery.canonical.port = 0\n"
                + "pekko.cluster.jmx.enabled = off")
        .withFallback(ConfigFactory.load()));
    JournalSettings journal = new JournalSettings(
        JournalSettings.h2Url(Files.createTempDirectory("tasker-waker-")), "", "", 2, JournalSettings.Migrate.ON);
    SchemaMigrations.migrate(journal);
    index = JdbcTaskIndex.open(journal, 2); // only for retention sweeps, which do not run here
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
    index.close();
  }

  private final List<org.apache.pekko.actor.typed.ActorRef<TaskWaker.Command>> wakers =
      new ArrayList<>();

  @AfterEach
  void stopWakers() {
    wakers.forEach(testKit::stop);
  }

  private void startWaker(Rows rows, Duration rewakeAfter) {
    startWaker(rows, Duration.ofMillis(100), Duration.ofSeconds(1), rewakeAfter);
  }

  private void startWaker(
      Rows rows, Duration scanInterval, Duration lookahead, Duration rewakeAfter) {
    TaskWaker.Settings settings = new TaskWaker.Settings(1, scanInterval, lookahead, PAGE,
        rewakeAfter, Map.of(), Duration.ofHours(1));
    wakers.add(testKit.spawn(TaskWaker.create(0, index, List.of(rows.target()), settings,
        Clock.systemUTC())));
  }

  @Test
  void wakesEveryRowOfABacklogLargerThanAPageOnceAndThenReadsOnlyWhatComesDue() {
    Rows rows = new Rows();
    Instant past = Instant.now().minusSeconds(60);
    for (int i = 0; i < 95; i++) {
      // ties on the wake time span pages: the cursor orders them by id
      rows.rows.add(new WakeTarget.Due("task-" + i, past.plusSeconds(i / 30)));
    }
    startWaker(rows, Duration.ofHours(1));

    await().atMost(Duration.ofSeconds(10)).until(() -> rows.wakes.size() == 95);
    rows.rows.forEach(row -> assertEquals(1, rows.woken(row.id()), row.id()));
    // no pass reads the backlog again before rewake-after: each later pass is one short page
    int readsBefore = rows.reads.get();
    await().during(Duration.ofMillis(600)).atMost(Duration.ofSeconds(2))
        .until(() -> rows.reads.get() - readsBefore <= 12);
    rows.rows.forEach(row -> assertEquals(1, rows.woken(row.id()), row.id()));
  }

  @Test
  void wakesARowWhenItComesWithinTheLookAheadAndAgainAfterRewakeAfter() {
    Rows rows = new Rows();
    startWaker(rows, Duration.ofSeconds(2));
    Instant dueAt = Instant.now().plusSeconds(3);
    rows.rows.add(new WakeTarget.Due("later", dueAt));

    await().atMost(Duration.ofSeconds(10)).until(() -> rows.woken("later") == 1);
    Instant firstWake = rows.wakes.get("later").get(0);
    assertTrue(!firstWake.isBefore(dueAt.minusSeconds(1)),
        "woken at " + firstWake + ", more than the look-ahead before " + dueAt);
    // still due (its entity never moved it on): a full pass wakes it again after rewake-after
    await().atMost(Duration.ofSeconds(10)).until(() -> rows.woken("later") == 2);
    Instant secondWake = rows.wakes.get("later").get(1);
    assertTrue(Duration.between(firstWake, secondWake).compareTo(Duration.ofMillis(1900)) >= 0,
        "woken again after " + Duration.between(firstWake, secondWake));
  }

  @Test
  void wakesOfRowsNewlyWithinTheLookAheadAreSpreadNotSentTogether() {
    Rows rows = new Rows();
    Duration interval = Duration.ofSeconds(1);
    Duration lookahead = Duration.ofSeconds(2);
    Instant first = Instant.now().plusMillis(2500);
    for (int i = 0; i < 10; i++) {
      rows.rows.add(new WakeTarget.Due("paced-" + i, first.plusMillis(100L * i)));
    }
    startWaker(rows, interval, lookahead, Duration.ofHours(1));

    await().atMost(Duration.ofSeconds(10)).until(() -> rows.wakes.size() == 10);
    // a pass reads a scan interval's worth of rows at once; each is woken lookahead minus
    // interval ahead of its wake time (timers fire late on a busy machine, never early)
    Duration lead = lookahead.minus(interval).plusMillis(20);
    for (WakeTarget.Due row : rows.rows) {
      Instant woken = rows.wakes.get(row.id()).get(0);
      assertTrue(!woken.isBefore(row.wakeAt().minus(lead)),
          row.id() + " due at " + row.wakeAt() + " was woken at " + woken);
    }
  }
}
