package io.tasker.node.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import io.tasker.node.queue.QueueManager.GetStats;
import io.tasker.node.queue.QueueManager.PermitGranted;
import io.tasker.node.queue.QueueManager.QueueStats;
import io.tasker.node.queue.QueueManager.ReleasePermit;
import io.tasker.node.queue.QueueManager.RenewPermit;
import io.tasker.node.queue.QueueManager.RequestPermit;
import io.tasker.node.queue.QueueManager.UpdateLimits;
import io.tasker.protocol.QueueLimits;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The queue manager spawned directly (no cluster, no sharding). Timing asserts are one-sided:
 * "not within a short time" only where the real deadline is clearly later, and "within" only
 * with generous bounds.
 */
class QueueManagerTest {

  /** Long enough that no lease expires during a test that is not about leases. */
  private static final Duration LONG_LEASE = Duration.ofMinutes(5);

  private static final Duration QUIET = Duration.ofMillis(300);
  private static final Duration GENEROUS = Duration.ofSeconds(5);
  private static final Instant DUE = Instant.parse("2024-01-01T00:00:00Z");
  private static final AtomicInteger QUEUES = new AtomicInteger();

  private static ActorTestKit testKit;

  private final List<ActorRef<QueueManager.Command>> spawned = new ArrayList<>();

  @BeforeAll
  static void startTestKit() {
    testKit =
        ActorTestKit.create(
            ConfigFactory.parseString(
                    "pekko.actor.provider = local\npekko.remote.artery.enabled = off")
                .withFallback(ConfigFactory.load()));
  }

  @AfterAll
  static void stopTestKit() {
    testKit.shutdownTestKit();
  }

  @AfterEach
  void stopManagers() {
    spawned.forEach(testKit::stop);
  }

  // helpers

  private final class Queue {
    final String name = "q" + QUEUES.incrementAndGet();
    final ActorRef<QueueManager.Command> manager;
    final TestProbe<PermitGranted> grants = testKit.createTestProbe(PermitGranted.class);
    final TestProbe<QueueStats> stats = testKit.createTestProbe(QueueStats.class);

    Queue(QueueLimits limits, Duration lease) {
      manager = testKit.spawn(QueueManager.create(name, limits, lease));
      spawned.add(manager);
    }

    void request(String holder) {
      request(holder, 0, DUE, null, grants.getRef());
    }

    void request(String holder, String key) {
      request(holder, 0, DUE, key, grants.getRef());
    }

    void request(
        String holder, int priority, Instant dueAt, String key, ActorRef<PermitGranted> replyTo) {
      manager.tell(new RequestPermit(holder, priority, dueAt, key, replyTo));
    }

    void release(String holder) {
      manager.tell(new ReleasePermit(holder));
    }

    void renew(String holder, String key) {
      manager.tell(new RenewPermit(holder, key));
    }

    PermitGranted granted(String holder) {
      return new PermitGranted(name, holder);
    }

    /** Waits for the next grant on the shared probe and checks whom it is for. */
    void expectGrant(String holder) {
      grants.expectMessage(GENEROUS, granted(holder));
    }

    void expectNoGrant() {
      grants.expectNoMessage(QUIET);
    }

    QueueStats stats() {
      manager.tell(new GetStats(stats.getRef()));
      return stats.receiveMessage(GENEROUS);
    }

    void expectCounts(int running, int waiting) {
      QueueStats now = stats();
      assertEquals(running, now.running(), "running, in " + now);
      assertEquals(waiting, now.waiting(), "waiting, in " + now);
    }
  }

  private static final long MILLIS = 1_000_000L;

  /**
   * Expects no grant until the given {@link System#nanoTime()} deadline; checks what time is
   * left, so a stalled test thread makes the check shorter, never wrong.
   */
  private static void expectNoGrantUntil(TestProbe<PermitGranted> probe, long deadlineNanos) {
    long left = deadlineNanos - System.nanoTime();
    if (left > 0) {
      probe.expectNoMessage(Duration.ofNanos(left));
    }
  }

  private static QueueLimits maxConcurrency(int n) {
    return QueueLimits.UNLIMITED.withMaxConcurrency(n);
  }

  // tests

  @Test
  void grantsUpToMaxConcurrencyAtOnceAndTheNextWaiterOnlyAfterARelease() {
    Queue q = new Queue(maxConcurrency(3), LONG_LEASE);

    q.request("a");
    q.request("b");
    q.request("c");
    q.request("d");
    q.expectGrant("a");
    q.expectGrant("b");
    q.expectGrant("c");
    q.expectNoGrant();
    q.expectCounts(3, 1);

    q.release("b");
    q.expectGrant("d");
    q.expectCounts(3, 0);
    q.expectNoGrant();
  }

  @Test
  void statsReportTheQueueNameAndTheLimitsInForce() {
    QueueLimits limits = new QueueLimits(7, 2, 3.5, 4);
    Queue q = new Queue(limits, LONG_LEASE);

    QueueStats stats = q.stats();
    assertEquals(new QueueStats(q.name, limits, 0, 0, 0.0), stats);
  }

  @Test
  void waitersAreServedByPriorityThenEarlierDueAtThenArrival() {
    Queue q = new Queue(maxConcurrency(1), LONG_LEASE);
    q.request("occupier");
    q.expectGrant("occupier");

    q.request("normal-first", 0, DUE, null, q.grants.getRef());
    q.request("normal-second", 0, DUE, null, q.grants.getRef());
    q.request("high-but-late", 5, DUE.plusSeconds(3_600), null, q.grants.getRef());
    q.request("normal-due-earlier", 0, DUE.minusSeconds(60), null, q.grants.getRef());
    q.request("low-due-earliest", -5, DUE.minusSeconds(3_600), null, q.grants.getRef());
    q.expectCounts(1, 5);
    q.expectNoGrant();

    String previous = "occupier";
    for (String next :
        List.of(
            "high-but-late",
            "normal-due-earlier",
            "normal-first",
            "normal-second",
            "low-due-earliest")) {
      q.release(previous);
      q.expectGrant(next);
      previous = next;
    }
    q.expectCounts(1, 0);
  }

  @Test
  void aRepeatedRequestOfAWaiterKeepsItsPlaceInArrivalOrder() {
    Queue q = new Queue(maxConcurrency(1), LONG_LEASE);
    q.request("occupier");
    q.expectGrant("occupier");

    q.request("first");
    q.request("second");
    q.request("first"); // a waiter repeats its request (keep-alive)
    q.expectCounts(1, 2);

    q.release("occupier");
    q.expectGrant("first");
    q.release("first");
    q.expectGrant("second");
    q.expectNoGrant();
  }

  @Test
  void aKeyAtItsLimitDoesNotBlockWaitersOfOtherKeys() {
    Queue q = new Queue(QueueLimits.UNLIMITED.withMaxConcurrencyPerKey(1), LONG_LEASE);
    TestProbe<PermitGranted> a1 = testKit.createTestProbe(PermitGranted.class);
    TestProbe<PermitGranted> a2 = testKit.createTestProbe(PermitGranted.class);
    TestProbe<PermitGranted> b1 = testKit.createTestProbe(PermitGranted.class);

    q.request("a1", 0, DUE, "A", a1.getRef());
    a1.expectMessage(GENEROUS, q.granted("a1"));

    // a2 is served first by priority, but its key is full: b1 must not wait behind it
    q.request("a2", 10, DUE, "A", a2.getRef());
    q.request("b1", 0, DUE, "B", b1.getRef());
    b1.expectMessage(GENEROUS, q.granted("b1"));
    a2.expectNoMessage(QUIET);
    q.expectCounts(2, 1);

    q.release("b1");
    a2.expectNoMessage(QUIET); // a B permit back does not help key A
    q.release("a1");
    a2.expectMessage(GENEROUS, q.granted("a2"));
    q.expectCounts(1, 0);
  }

  @Test
  void requestsWithoutAKeyAreNotLimitedByThePerKeyLimit() {
    Queue q = new Queue(QueueLimits.UNLIMITED.withMaxConcurrencyPerKey(1), LONG_LEASE);

    q.request("x");
    q.request("y");
    q.request("z");
    q.expectGrant("x");
    q.expectGrant("y");
    q.expectGrant("z");
    q.expectCounts(3, 0);
  }

  @Test
  void rateLimitGrantsTheBurstAtOnceAndTheNextStartOnlyAfterARefill() {
    // 5/s: one token every 200 ms after the burst of 2
    Queue q = new Queue(QueueLimits.UNLIMITED.withRate(5, 2), LONG_LEASE);

    long sent = System.nanoTime();
    q.request("a");
    q.request("b");
    q.request("c");
    q.expectGrant("a");
    q.expectGrant("b");
    // a took the first token after `sent`; the third token is whole 200 ms after that, so
    // nothing may come until sent + 180 ms, however slowly this thread got here
    expectNoGrantUntil(q.grants, sent + 180 * MILLIS);
    q.expectGrant("c"); // about 200 ms after b; GENEROUS allows for a slow machine
    q.expectCounts(3, 0);
  }

  @Test
  void aPermitNotRenewedReturnsAfterItsLeaseAndGoesToTheWaiter() {
    Queue q = new Queue(maxConcurrency(1), Duration.ofMillis(300));

    long sent = System.nanoTime();
    q.request("silent");
    q.expectGrant("silent");
    q.request("waiter");
    // the lease of "silent" runs 300 ms from its grant, which came after `sent`
    expectNoGrantUntil(q.grants, sent + 280 * MILLIS);
    q.expectGrant("waiter");
    q.expectCounts(1, 0);
  }

  @Test
  void aRenewedPermitIsKeptPastItsLease() {
    Duration lease = Duration.ofSeconds(1);
    Queue q = new Queue(maxConcurrency(1), lease);
    TestProbe<PermitGranted> holder = testKit.createTestProbe(PermitGranted.class);
    TestProbe<PermitGranted> waiter = testKit.createTestProbe(PermitGranted.class);

    q.request("holder", 0, DUE, null, holder.getRef());
    holder.expectMessage(GENEROUS, q.granted("holder"));
    q.request("waiter", 0, DUE, null, waiter.getRef());

    // renew every ~100 ms for three leases; the waiter hears nothing meanwhile
    long until = System.nanoTime() + 3 * lease.toNanos();
    while (System.nanoTime() - until < 0) {
      q.renew("holder", null);
      waiter.expectNoMessage(Duration.ofMillis(100));
    }
    q.expectCounts(1, 1);

    q.release("holder");
    waiter.expectMessage(GENEROUS, q.granted("waiter"));
  }

  @Test
  void renewFromAnUnknownHolderRegistersItsPermitAsAfterAManagerRestart() {
    Queue q = new Queue(maxConcurrency(2), LONG_LEASE);

    q.renew("survivor-1", null);
    q.renew("survivor-2", "tenant");
    q.expectCounts(2, 0);

    q.request("newcomer");
    q.expectNoGrant(); // the two re-registered permits fill maxConcurrency
    q.expectCounts(2, 1);

    q.release("survivor-1");
    q.expectGrant("newcomer");
    q.expectCounts(2, 0);
  }

  @Test
  void renewFromAnUnknownHolderCountsAgainstItsKeyLimit() {
    Queue q = new Queue(QueueLimits.UNLIMITED.withMaxConcurrencyPerKey(1), LONG_LEASE);

    q.renew("survivor", "tenant");
    q.request("same-tenant", "tenant");
    q.request("other-tenant", "other");
    q.expectGrant("other-tenant");
    q.expectNoGrant();

    q.release("survivor");
    q.expectGrant("same-tenant");
  }

  @Test
  void renewOfAKnownHolderDoesNotTakeASecondPermit() {
    Queue q = new Queue(maxConcurrency(2), LONG_LEASE);
    q.request("a");
    q.expectGrant("a");

    q.renew("a", null);
    q.renew("a", null);
    q.expectCounts(1, 0);
    q.request("b");
    q.expectGrant("b");
  }

  @Test
  void aRepeatedRequestFromTheHolderIsAnsweredWithTheGrantAgainWithoutASecondPermit() {
    Queue q = new Queue(maxConcurrency(1), LONG_LEASE);
    q.request("holder");
    q.expectGrant("holder");

    q.request("holder");
    q.expectGrant("holder");
    q.expectCounts(1, 0);

    q.request("other");
    q.expectNoGrant(); // the single permit is still the holder's one, not two
    q.expectCounts(1, 1);

    q.release("holder");
    q.expectGrant("other");
  }

  @Test
  void releaseOfAWaitingRequestWithdrawsIt() {
    Queue q = new Queue(maxConcurrency(1), LONG_LEASE);
    TestProbe<PermitGranted> withdrawn = testKit.createTestProbe(PermitGranted.class);
    q.request("holder");
    q.expectGrant("holder");
    q.request("withdrawn", 0, DUE, null, withdrawn.getRef());
    q.request("later");
    q.expectCounts(1, 2);

    q.release("withdrawn");
    q.expectCounts(1, 1);

    q.release("holder");
    q.expectGrant("later");
    withdrawn.expectNoMessage(QUIET);
    q.release("later");
    q.expectCounts(0, 0);
    withdrawn.expectNoMessage(QUIET);
  }

  @Test
  void releaseFromAnUnknownHolderChangesNothing() {
    Queue q = new Queue(maxConcurrency(1), LONG_LEASE);
    q.request("holder");
    q.expectGrant("holder");
    q.request("waiter");

    q.release("nobody");
    q.expectNoGrant();
    q.expectCounts(1, 1);
  }

  @Test
  void updateLimitsRaisingMaxConcurrencyGrantsWaitingRequestsAtOnce() {
    Queue q = new Queue(maxConcurrency(1), LONG_LEASE);
    q.request("a");
    q.request("b");
    q.request("c");
    q.request("d");
    q.expectGrant("a");
    q.expectCounts(1, 3);

    QueueLimits raised = maxConcurrency(3);
    q.manager.tell(new UpdateLimits(raised, q.stats.getRef()));
    // the reply is sent after granting, so it already shows the new permits
    QueueStats stats = q.stats.receiveMessage(GENEROUS);
    assertEquals(raised, stats.limits());
    assertEquals(3, stats.running());
    assertEquals(1, stats.waiting());
    assertEquals(0.3, stats.startsPerSecond(), 1e-9, "3 grants in the last 10 s");
    q.expectGrant("b");
    q.expectGrant("c");
    q.expectNoGrant();
  }

  @Test
  void updateLimitsLoweringMaxConcurrencyRevokesNothingButHoldsBackNewGrants() {
    Queue q = new Queue(maxConcurrency(3), LONG_LEASE);
    q.request("a");
    q.request("b");
    q.request("c");
    q.expectGrant("a");
    q.expectGrant("b");
    q.expectGrant("c");

    q.manager.tell(new UpdateLimits(maxConcurrency(1), q.stats.getRef()));
    assertEquals(3, q.stats.receiveMessage(GENEROUS).running());
    q.request("d");
    q.release("a");
    q.release("b");
    q.expectNoGrant(); // still one running, the new limit
    q.release("c");
    q.expectGrant("d");
  }

  /**
   * After a restart or rebalance the new manager may get a task's last repeated RequestPermit
   * before its first RenewPermit. The renewal proves the holder runs: its request is withdrawn,
   * so it is never counted twice and its key never keeps a phantom permit.
   */
  @Test
  void renewFromAHolderThatIsAlsoWaitingWithdrawsItsRequest() {
    Queue q = new Queue(QueueLimits.UNLIMITED.withMaxConcurrencyPerKey(2), LONG_LEASE);
    q.request("k1", "k");
    q.request("k2", "k");
    q.expectGrant("k1");
    q.expectGrant("k2");

    q.request("h", "k"); // waits: key k is full
    q.renew("h", "k"); // the holder turns out to be running (its permit came from elsewhere)
    q.expectCounts(3, 0);

    q.release("k1");
    q.release("k2");
    q.release("h");
    q.expectCounts(0, 0);

    q.request("n1", "k");
    q.request("n2", "k");
    q.expectGrant("n1");
    q.expectGrant("n2");
  }

  @Test
  void aPausedQueueGrantsNothingUntilResumed() {
    Queue q = new Queue(QueueLimits.UNLIMITED.withPaused(true), LONG_LEASE);
    q.request("a");
    q.expectNoGrant();
    q.expectCounts(0, 1);
    q.manager.tell(new UpdateLimits(QueueLimits.UNLIMITED, q.stats.getRef()));
    q.stats.receiveMessage(GENEROUS);
    q.expectGrant("a");
  }
}
