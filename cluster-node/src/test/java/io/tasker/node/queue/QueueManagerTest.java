package io.tasker.node.queue;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.tasker.node.queue.QueueManager.GetStats;
import io.tasker.node.queue.QueueManager.PermitGranted;
import io.tasker.node.queue.QueueManager.PermitReply;
import io.tasker.node.queue.QueueManager.Parked;
import io.tasker.node.queue.QueueManager.ConfirmParked;
import io.tasker.node.queue.QueueManager.AdmitNew;
import io.tasker.node.queue.QueueManager.Admitted;
import io.tasker.protocol.QueueStats;
import io.tasker.node.queue.QueueManager.ReleasePermit;
import io.tasker.node.queue.QueueManager.RenewPermit;
import io.tasker.node.queue.QueueManager.RequestPermit;
import io.tasker.node.queue.QueueManager.ChangeSettings;
import io.tasker.node.queue.QueueManager.ResetSettings;
import io.tasker.protocol.QueueLimits;
import io.tasker.protocol.QueueUpdate;
import com.typesafe.config.Config;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import java.util.concurrent.atomic.AtomicLong;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The queue manager spawned directly (no cluster, no sharding) on the in-memory journal, with
 * serialization checked. Timing asserts of the permit tests are one-sided: "not within a short
 * time" only where the real deadline is clearly later, and "within" only with generous bounds.
 * The lease, start-up grace and settings tests run on manual time and a settable ticker instead.
 */
class QueueManagerTest {

  /** Long enough that no lease expires during a test that is not about leases. */
  private static final Duration LONG_LEASE = Duration.ofMinutes(5);

  private static final Duration QUIET = Duration.ofMillis(300);
  private static final Duration GENEROUS = Duration.ofSeconds(5);
  private static final Instant DUE = Instant.parse("2024-01-01T00:00:00Z");
  /** The incarnation every holder asks as, unless a test says otherwise. */
  private static final long INCARNATION = 1;
  private static final AtomicInteger QUEUES = new AtomicInteger();
  /** The node of the tests' requests unless they say otherwise: it never limits them. */
  private static final WorkerNode NODE = new WorkerNode("node-a", 1_000);

  private static final Config CONFIG = EventSourcedBehaviorTestKit.config()
      .withFallback(ConfigFactory.parseString(
          "pekko.actor.provider = local\npekko.remote.artery.enabled = off"))
      .withFallback(ConfigFactory.load());

  private static ActorTestKit testKit;
  /** Timers run on manual time here, and {@link #ticker} is the managers' clock. */
  private static ActorTestKit manualKit;
  private static ManualTime manualTime;
  private static final AtomicLong ticker = new AtomicLong(1_000_000_000_000L);
  private static final Duration GRACE = Duration.ofSeconds(7);

  /** Stops each manager still running. */
  private final List<Runnable> spawned = new ArrayList<>();

  @BeforeAll
  static void startTestKit() {
    testKit = ActorTestKit.create("queues", CONFIG);
    manualKit = ActorTestKit.create("queues-manual", ManualTime.config().withFallback(CONFIG));
    manualTime = ManualTime.get(manualKit.system());
  }

  @AfterAll
  static void stopTestKit() {
    testKit.shutdownTestKit();
    manualKit.shutdownTestKit();
  }

  @AfterEach
  void stopManagers() {
    spawned.forEach(Runnable::run);
  }

  // helpers

  private final class Queue {
    final String name = "q" + QUEUES.incrementAndGet();
    final TestProbe<PermitReply> grants;
    final TestProbe<QueueStats> stats;

    final ActorTestKit kit;
    final QueueRuntime runtime;
    ActorRef<QueueManager.Command> manager;

    Queue(QueueLimits limits, Duration lease) {
      this(testKit, QueueRuntime.of(lease, GRACE), limits);
    }

    private Queue(ActorTestKit kit, QueueRuntime runtime, QueueLimits limits) {
      this.kit = kit;
      this.runtime = runtime;
      grants = kit.createTestProbe(PermitReply.class);
      stats = kit.createTestProbe(QueueStats.class);
      manager = spawn(limits);
    }

    private ActorRef<QueueManager.Command> spawn(QueueLimits configured) {
      ActorRef<QueueManager.Command> started =
          kit.spawn(QueueManager.create(name, configured, runtime));
      spawned.add(() -> {
        if (started == manager) {
          kit.stop(started);
        }
      });
      return started;
    }

    /**
     * Stops the manager and starts a new one (as after a crash or a move to another node),
     * configured with {@code configured}: it recovers the stored settings, not the permits.
     */
    void restart(QueueLimits configured) {
      kit.stop(manager);
      manager = spawn(configured);
      stats(); // answered once recovered: its start-up grace runs from before this
    }

    QueueStats change(QueueUpdate update) {
      manager.tell(new ChangeSettings(update, stats.getRef()));
      return stats.receiveMessage(GENEROUS);
    }

    QueueStats reset() {
      manager.tell(new ResetSettings(stats.getRef()));
      return stats.receiveMessage(GENEROUS);
    }

    void request(String holder) {
      request(holder, 0, DUE, null, grants.getRef());
    }

    void request(String holder, String key) {
      request(holder, 0, DUE, key, grants.getRef());
    }

    void request(
        String holder, int priority, Instant dueAt, String key, ActorRef<PermitReply> replyTo) {
      manager.tell(new RequestPermit(holder, INCARNATION, priority, dueAt, key, NODE, replyTo));
    }

    void requestOn(WorkerNode node, String holder, int priority, String key,
        ActorRef<PermitReply> replyTo) {
      manager.tell(new RequestPermit(holder, INCARNATION, priority, DUE, key, node, replyTo));
    }

    void release(String holder) {
      manager.tell(new ReleasePermit(holder, INCARNATION));
    }

    void renew(String holder, String key) {
      renewOn(NODE, holder, key);
    }

    void renewOn(WorkerNode node, String holder, String key) {
      manager.tell(new RenewPermit(holder, INCARNATION, key, node));
    }

    PermitGranted granted(String holder) {
      return new PermitGranted(name, holder, INCARNATION);
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
  void aNodeHoldsNoMorePermitsThanItsMaxWhatTheQueueAllowsAndOtherNodesStillGetTheirs() {
    Queue q = new Queue(QueueLimits.UNLIMITED, LONG_LEASE);
    WorkerNode a = new WorkerNode("node-a", 2);
    WorkerNode b = new WorkerNode("node-b", 1);
    TestProbe<PermitReply> onA = testKit.createTestProbe(PermitReply.class);
    TestProbe<PermitReply> onB = testKit.createTestProbe(PermitReply.class);

    q.requestOn(a, "a1", 0, null, onA.getRef());
    q.requestOn(a, "a2", 0, null, onA.getRef());
    onA.expectMessage(GENEROUS, q.granted("a1"));
    onA.expectMessage(GENEROUS, q.granted("a2"));
    q.requestOn(a, "a3", 9, null, onA.getRef()); // first in service order, but node-a is full
    q.requestOn(b, "b1", 0, null, onB.getRef());
    q.requestOn(b, "b2", 0, null, onB.getRef());
    onB.expectMessage(GENEROUS, q.granted("b1")); // a3 waits for node-a, not for the queue
    onA.expectNoMessage(QUIET);
    onB.expectNoMessage(QUIET);
    q.expectCounts(3, 2);

    q.release("b1");
    onB.expectMessage(GENEROUS, q.granted("b2")); // node-b's permit back goes to node-b
    onA.expectNoMessage(QUIET);
    q.release("a1");
    onA.expectMessage(GENEROUS, q.granted("a3"));
    q.expectCounts(3, 0);
  }

  @Test
  void renewalsFromAnUnknownHolderCountAgainstItsNodeAfterAManagerRestart() {
    Queue q = new Queue(QueueLimits.UNLIMITED, LONG_LEASE);
    WorkerNode a = new WorkerNode("node-a", 1);
    TestProbe<PermitReply> onA = testKit.createTestProbe(PermitReply.class);
    q.renewOn(a, "running", null); // a task that ran before this manager started
    q.requestOn(a, "next", 0, null, onA.getRef());
    onA.expectNoMessage(QUIET);
    q.expectCounts(1, 1);
    q.release("running");
    onA.expectMessage(GENEROUS, q.granted("next"));
  }

  @Test
  void statsReportTheQueueNameAndTheLimitsInForce() {
    QueueLimits limits = new QueueLimits(7, 2, 3.5, 4);
    Queue q = new Queue(limits, LONG_LEASE);

    QueueStats stats = q.stats();
    assertEquals(q.name, stats.queue());
    assertEquals(limits, stats.limits());
    assertEquals(0, stats.version(), "no run-time change yet");
    assertEquals(0, stats.running());
    assertEquals(0, stats.waiting());
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
    TestProbe<PermitReply> a1 = testKit.createTestProbe(PermitReply.class);
    TestProbe<PermitReply> a2 = testKit.createTestProbe(PermitReply.class);
    TestProbe<PermitReply> b1 = testKit.createTestProbe(PermitReply.class);

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
    // 5/s: one token every 200 ms after the burst of 2 (on manual time and ticker)
    ManualQueue m = new ManualQueue(QueueLimits.UNLIMITED.withRate(5, 2));
    m.request("a", null);
    m.request("b", null);
    m.request("c", null);
    m.statsAfterGrants("a", "b");
    advance(Duration.ofMillis(199));
    assertEquals(1, m.statsAfterGrants().waiting(), "no whole token yet");
    advance(Duration.ofMillis(1)); // the refill timer fires with the third token
    assertEquals(m.q.granted("c"), m.inbox.receiveMessage(GENEROUS));
    m.q.expectCounts(3, 0);
  }

  @Test
  void aPermitNotRenewedReturnsAfterItsLeaseAndGoesToTheWaiter() {
    Duration lease = Duration.ofMillis(300);
    ManualQueue m = new ManualQueue(maxConcurrency(1), lease);
    m.request("silent");
    m.request("waiter");
    m.statsAfterGrants("silent");

    advance(lease); // the sweeps (every half lease) find the lease of "silent" just not over
    assertEquals(1, m.statsAfterGrants().waiting());
    advance(lease.dividedBy(2)); // the next sweep finds it over
    QueueStats after = m.statsAfterGrants("waiter");
    assertEquals(1, after.running());
    assertEquals(0, after.waiting());
  }

  @Test
  void aRenewedPermitIsKeptPastItsLease() {
    Duration lease = Duration.ofSeconds(1);
    ManualQueue m = new ManualQueue(maxConcurrency(1), lease);
    m.request("holder");
    m.request("waiter");
    m.statsAfterGrants("holder");

    // renewed every quarter lease for three leases; the waiter hears nothing meanwhile
    for (int i = 0; i < 12; i++) {
      advance(lease.dividedBy(4));
      m.q.renew("holder", null);
      QueueStats stats = m.statsAfterGrants();
      assertEquals(1, stats.running());
      assertEquals(1, stats.waiting());
    }

    m.q.release("holder");
    m.statsAfterGrants("waiter");
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
    TestProbe<PermitReply> withdrawn = testKit.createTestProbe(PermitReply.class);
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
    // the reply is sent after granting, so it already shows the new permits
    QueueStats stats = q.change(QueueUpdate.of(raised));
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

    assertEquals(3, q.change(QueueUpdate.of(maxConcurrency(1))).running());
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

  /**
   * A task taken up again (its slot dropped after a failure, or moved to another node) asks
   * anew while its old attempt, whose handler ignores its interrupt, still holds the permit.
   * The new incarnation waits for that permit, and the old one's late release frees only its
   * own: the limit holds throughout.
   */
  @Test
  void aTasksNextIncarnationWaitsForThePermitItsPreviousOneHolds() {
    Queue q = new Queue(QueueLimits.UNLIMITED.withMaxConcurrency(2), LONG_LEASE);
    long next = INCARNATION + 1;
    q.request("a");
    q.expectGrant("a");

    q.manager.tell(new RequestPermit("a", next, 0, DUE, null, NODE, q.grants.getRef()));
    q.expectNoGrant();
    q.manager.tell(new RenewPermit("a", next, null, NODE)); // not its permit: changes nothing
    q.expectCounts(1, 1);

    q.release("a"); // the old handler returned
    q.grants.expectMessage(GENEROUS, new PermitGranted(q.name, "a", next));
    q.release("a"); // the old slot's release, repeated late
    q.expectCounts(1, 0);

    q.request("b");
    q.expectGrant("b");
    q.request("c");
    q.expectNoGrant(); // "a" (its next incarnation) and "b" run
    q.manager.tell(new ReleasePermit("a", next));
    q.expectGrant("c");
  }

  @Test
  void aPausedQueueGrantsNothingUntilResumed() {
    Queue q = new Queue(QueueLimits.UNLIMITED.withPaused(true), LONG_LEASE);
    q.request("a");
    q.expectNoGrant();
    q.expectCounts(0, 1);
    q.change(QueueUpdate.resume());
    q.expectGrant("a");
  }

  // Settings (stored) and the start-up grace, on manual time

  /**
   * A queue on manual time. Grants and stats replies go to one inbox, in the order the manager
   * sent them: a stats reply with no grant before it proves no grant was made.
   */
  private final class ManualQueue {
    final Queue q;
    final TestProbe<Object> inbox = manualKit.createTestProbe();

    ManualQueue(QueueLimits configured) {
      this(configured, QueueRuntime.DEFAULT_MAX_WAITING, ParkedTasks.NONE);
    }

    ManualQueue(QueueLimits configured, Duration lease) {
      this(configured, lease, QueueRuntime.DEFAULT_MAX_WAITING, ParkedTasks.NONE);
    }

    ManualQueue(QueueLimits configured, int maxWaiting, ParkedTasks parked) {
      this(configured, LONG_LEASE, maxWaiting, parked);
    }

    ManualQueue(QueueLimits configured, Duration lease, int maxWaiting, ParkedTasks parked) {
      q = new Queue(manualKit,
          new QueueRuntime(lease, GRACE, maxWaiting, parked, ticker::get,
              java.time.Clock.systemUTC()),
          configured);
      // a new queue's manager stores that it opened before its first grant
      await().atMost(GENEROUS).until(() -> !q.stats().settling());
    }

    void request(String holder) {
      request(holder, null);
    }

    /** Expects {@code reply} as the next message, then returns the stats after it. */
    QueueStats statsAfter(Object reply) {
      assertEquals(reply, inbox.receiveMessage(GENEROUS));
      return statsAfterGrants();
    }

    Parked parked(String holder) {
      return new Parked(q.name, holder, INCARNATION);
    }

    void request(String holder, String key) {
      q.request(holder, 0, DUE, key, inbox.getRef().narrow());
    }

    /** @return the stats, after checking that the given grants, and no other, came first */
    QueueStats statsAfterGrants(String... holders) {
      q.manager.tell(new GetStats(inbox.getRef().narrow()));
      for (String holder : holders) {
        assertEquals(q.granted(holder), inbox.receiveMessage(GENEROUS));
      }
      Object next = inbox.receiveMessage(GENEROUS);
      return assertInstanceOf(QueueStats.class, next, "expected no other grant");
    }
  }

  /** Moves manual time and the managers' ticker on together. */
  private static void advance(Duration duration) {
    ticker.addAndGet(duration.toNanos());
    manualTime.timePasses(duration);
  }

  @Test
  void aBrandNewQueueGrantsAtOnce() {
    ManualQueue m = new ManualQueue(maxConcurrency(2));
    m.request("a", null);
    m.request("b", null);
    m.request("c", null);
    QueueStats stats = m.statsAfterGrants("a", "b");
    assertFalse(stats.settling());
    assertEquals(2, stats.running());
  }

  @Test
  void aRestartedManagerGrantsNothingUntilRunningTasksHadOneRenewalPeriodToRenew() {
    ManualQueue m = new ManualQueue(maxConcurrency(2));
    m.request("a", null);
    m.request("b", null);
    m.statsAfterGrants("a", "b");

    m.q.restart(maxConcurrency(2)); // a and b run on; the new manager knows nothing of them
    m.request("newcomer", null);
    QueueStats settling = m.statsAfterGrants();
    assertTrue(settling.settling());
    assertEquals(0, settling.running());
    assertEquals(1, settling.waiting());

    advance(GRACE.minusSeconds(3)); // a renewal period: both renew
    m.q.renew("a", null);
    m.q.renew("b", null);
    assertEquals(2, m.statsAfterGrants().running());
    advance(Duration.ofSeconds(3)); // the grace ends: full, the newcomer still waits
    QueueStats settled = m.statsAfterGrants();
    assertFalse(settled.settling());
    assertEquals(2, settled.running());
    assertEquals(1, settled.waiting());

    m.q.release("a");
    m.statsAfterGrants("newcomer");
  }

  @Test
  void aRestartedManagerGrantsWhenTheGraceEndsIfNobodyRenewed() {
    ManualQueue m = new ManualQueue(maxConcurrency(1));
    m.request("a", null);
    m.statsAfterGrants("a");
    m.q.release("a");

    m.q.restart(maxConcurrency(1));
    m.request("b", null);
    m.statsAfterGrants();
    advance(GRACE.minusMillis(1));
    assertTrue(m.statsAfterGrants().settling());
    advance(Duration.ofMillis(1)); // the start-up timer fires: no further message needed
    assertEquals(m.q.granted("b"), m.inbox.receiveMessage(GENEROUS));
  }

  @Test
  void renewalsDuringTheGraceCountAgainstTheirKeyLimit() {
    ManualQueue m = new ManualQueue(QueueLimits.UNLIMITED.withMaxConcurrencyPerKey(1));
    m.request("a1", "A");
    m.statsAfterGrants("a1");

    m.q.restart(QueueLimits.UNLIMITED.withMaxConcurrencyPerKey(1));
    m.request("a2", "A");
    m.request("b1", "B");
    m.q.renew("a1", "A");
    m.statsAfterGrants();
    advance(GRACE);
    QueueStats stats = m.statsAfterGrants("b1"); // a2 waits: a1 holds key A
    assertEquals(2, stats.running());
    assertEquals(1, stats.waiting());
  }

  @Test
  void aPauseIsStoredAndOutlivesARestart() {
    ManualQueue m = new ManualQueue(maxConcurrency(3));
    QueueStats paused = m.q.change(QueueUpdate.pause());
    assertTrue(paused.limits().paused());
    assertEquals(maxConcurrency(3).withPaused(true), paused.limits(), "nothing else changed");
    assertEquals(1, paused.version());

    m.q.restart(maxConcurrency(3));
    m.request("a", null);
    advance(GRACE);
    QueueStats recovered = m.statsAfterGrants();
    assertTrue(recovered.limits().paused(), "still paused after the restart");
    assertEquals(1, recovered.version());

    QueueStats resumed = m.q.change(QueueUpdate.resume());
    assertFalse(resumed.limits().paused());
    assertEquals(2, resumed.version());
    m.statsAfterGrants("a");
  }

  @Test
  void aChangeThatChangesNothingStoresNothing() {
    ManualQueue m = new ManualQueue(maxConcurrency(3));
    assertEquals(1, m.q.change(QueueUpdate.pause()).version());
    assertEquals(1, m.q.change(QueueUpdate.pause()).version());
    assertEquals(1, m.q.change(QueueUpdate.NONE).version());
  }

  @Test
  void aRunTimeChangeWinsOverTheConfigurationUntilReset() {
    ManualQueue m = new ManualQueue(maxConcurrency(3));
    QueueStats changed = m.q.change(new QueueUpdate(1, null, null, null, null));
    assertEquals(maxConcurrency(1), changed.limits());

    // a new release configures other limits: the field changed at run time keeps its value,
    // the others follow the configuration
    QueueLimits reconfigured = new QueueLimits(5, 2, 0, 0);
    m.q.restart(reconfigured);
    QueueStats recovered = m.q.stats();
    assertEquals(new QueueLimits(1, 2, 0, 0), recovered.limits());
    assertEquals(1, recovered.version());

    QueueStats reset = m.q.reset();
    assertEquals(reconfigured, reset.limits());
    assertEquals(2, reset.version());
    assertEquals(2, m.q.reset().version(), "nothing left to reset");
  }

  // Parking: at most maxWaiting requests wait in memory (manual time, stubbed index)

  /** Parked tasks as a test controls them: each look-up waits for the test's answer. */
  private static final class StubParked implements ParkedTasks {
    record Lookup(String queue, int limit, CompletableFuture<List<String>> answer) {}

    final BlockingQueue<Lookup> lookups = new LinkedBlockingQueue<>();
    final List<String> woken = new CopyOnWriteArrayList<>();

    @Override
    public CompletionStage<List<String>> next(String queue, int limit) {
      CompletableFuture<List<String>> answer = new CompletableFuture<>();
      lookups.add(new Lookup(queue, limit, answer));
      return answer;
    }

    @Override
    public void wake(String taskId) {
      woken.add(taskId);
    }

    Lookup expectLookup() throws InterruptedException {
      Lookup lookup = lookups.poll(GENEROUS.toMillis(), TimeUnit.MILLISECONDS);
      assertNotNull(lookup, "expected a look-up for parked tasks");
      return lookup;
    }
  }

  /**
   * A queue of max concurrency 1 that keeps at most 4 requests waiting, "run" holding its one
   * permit, after the look-up of a brand-new manager found no parked task.
   */
  private ManualQueue parkingQueue(StubParked parked) throws InterruptedException {
    ManualQueue m = new ManualQueue(maxConcurrency(1), 4, parked);
    StubParked.Lookup first = parked.expectLookup();
    assertEquals(m.q.name, first.queue());
    first.answer().complete(List.of());
    m.request("run");
    m.statsAfterGrants("run");
    return m;
  }

  @Test
  void aNewRequestBeyondMaxWaitingIsAnsweredParkedAndARepeatOfAWaiterIsNot()
      throws InterruptedException {
    StubParked parked = new StubParked();
    ManualQueue m = parkingQueue(parked);
    for (String waiter : List.of("w1", "w2", "w3", "w4")) {
      m.request(waiter);
    }
    m.request("w5");
    QueueStats stats = m.statsAfter(m.parked("w5"));
    assertEquals(4, stats.waiting(), "the parked request does not wait");
    m.request("w1"); // a waiter repeats its request: it keeps its place
    assertEquals(4, m.statsAfterGrants().waiting());

    m.q.release("run");
    m.statsAfterGrants("w1");
    assertTrue(parked.lookups.isEmpty(), "3 waiting of 4 is not below half: no look-up yet");
  }

  @Test
  void belowHalfOfMaxWaitingTheManagerWakesParkedTasksByTheIndexsOrderAsRoomAllows()
      throws InterruptedException {
    StubParked parked = new StubParked();
    ManualQueue m = parkingQueue(parked);
    for (String waiter : List.of("w1", "w2", "w3", "w4", "p1")) {
      m.request(waiter);
    }
    m.statsAfter(m.parked("p1"));
    m.q.release("run");
    m.q.release("w1");
    m.statsAfterGrants("w1", "w2"); // w3, w4 wait: 2 of 4 is not below half
    assertTrue(parked.lookups.isEmpty());
    m.q.release("w2");
    m.statsAfterGrants("w3"); // w4 waits alone: below half

    StubParked.Lookup lookup = parked.expectLookup();
    assertEquals(m.q.name, lookup.queue());
    // the index may list a woken task still waiting here (its row stays marked until it runs)
    lookup.answer().complete(List.of("w4", "p1", "p2", "p3", "p4"));
    await().atMost(GENEROUS).until(() -> parked.woken.size() == 3);
    assertEquals(List.of("p1", "p2", "p3"), parked.woken, "as many as there is room for");
    m.request("p1");
    m.request("p2");
    m.request("p3");
    assertEquals(4, m.statsAfterGrants().waiting());
    assertTrue(parked.lookups.isEmpty(), "woken tasks on their way count as waiting");

    // p4 was left in the index: the next time the table drains, the manager looks again
    m.q.release("w3");
    m.q.release("w4");
    m.statsAfterGrants("w4", "p1");
    assertTrue(parked.lookups.isEmpty(), "p2, p3 wait: 2 of 4 is not below half");
    m.q.release("p1");
    m.statsAfterGrants("p2");
    parked.expectLookup().answer().complete(List.of("p4"));
    await().atMost(GENEROUS).until(() -> parked.woken.contains("p4"));
  }

  @Test
  void aTaskThatGaveBackItsPermitWhileALookUpRanIsNotWokenAsParked()
      throws InterruptedException {
    StubParked parked = new StubParked();
    ManualQueue m = parkingQueue(parked);
    for (String waiter : List.of("w1", "w2", "w3", "w4", "p1")) {
      m.request(waiter);
    }
    m.statsAfter(m.parked("p1"));
    m.q.release("run");
    m.q.release("w1");
    m.statsAfterGrants("w1", "w2");
    m.q.release("w2");
    m.statsAfterGrants("w3"); // w4 waits alone: below half
    StubParked.Lookup lookup = parked.expectLookup();

    m.q.release("w3"); // w3 ran and finished while the look-up read the index
    assertEquals(0, m.statsAfterGrants("w4").waiting());
    // read before w3's start was stored, the index still lists its row as parked
    lookup.answer().complete(List.of("w3", "w4", "p1", "p2"));
    await().atMost(GENEROUS).until(() -> !parked.woken.isEmpty());
    assertEquals(List.of("p1", "p2"), parked.woken,
        "a finished task would never ask for its permit, holding back the next look-ups");
  }

  @Test
  void newDueTasksAreAdmittedAsFarAsThereIsRoomAndTheRestAreLookedUpLikeParkedOnes()
      throws InterruptedException {
    StubParked parked = new StubParked();
    ManualQueue m = parkingQueue(parked);
    m.request("w1");
    m.q.manager.tell(new AdmitNew(List.of("n1", "n2", "n3", "n4"), m.inbox.getRef().narrow()));
    assertEquals(new Admitted(3), m.inbox.receiveMessage(GENEROUS), "4 may wait, 1 does");
    m.q.manager.tell(new AdmitNew(List.of("x1"), m.inbox.getRef().narrow()));
    assertEquals(new Admitted(0), m.inbox.receiveMessage(GENEROUS),
        "admitted tasks on their way take room");
    m.q.manager.tell(new ConfirmParked("new tasks")); // n4 and x1 were stored parked

    for (String admitted : List.of("n1", "n2", "n3")) {
      m.request(admitted);
    }
    m.request("late");
    assertEquals(4, m.statsAfter(m.parked("late")).waiting());
    m.q.release("run");
    m.statsAfterGrants("w1");
    m.q.release("w1");
    m.statsAfterGrants("n1");
    assertTrue(parked.lookups.isEmpty(), "2 waiting of 4 is not below half");
    m.q.release("n1");
    m.statsAfterGrants("n2");
    parked.expectLookup().answer().complete(List.of("n4", "x1", "late"));
    await().atMost(GENEROUS).until(() -> parked.woken.size() == 3);
    assertEquals(List.of("n4", "x1", "late"), parked.woken);
  }

  @Test
  void aPausedQueueAdmitsOnlyWhatItMayRunAtOnceAndLooksUpTheRestWhenResumed()
      throws InterruptedException {
    StubParked parked = new StubParked();
    ManualQueue m = parkingQueue(parked); // max concurrency 1, max waiting 4
    m.q.change(QueueUpdate.pause());
    m.q.manager.tell(new AdmitNew(List.of("n1", "n2", "n3"), m.inbox.getRef().narrow()));
    assertEquals(new Admitted(1), m.inbox.receiveMessage(GENEROUS),
        "more entities in memory would only wait for the resume");
    m.q.manager.tell(new ConfirmParked("new tasks"));
    m.request("n1");
    m.q.release("run");
    assertEquals(1, m.statsAfterGrants().waiting(), "paused: n1 waits");
    assertTrue(parked.lookups.isEmpty(), "paused: the parked tasks are not woken");

    m.q.change(QueueUpdate.resume());
    m.statsAfterGrants("n1");
    parked.expectLookup().answer().complete(List.of("n2", "n3"));
    await().atMost(GENEROUS).until(() -> parked.woken.size() == 2);
    assertEquals(List.of("n2", "n3"), parked.woken);
  }

  @Test
  void aLookUpThatFindsFewerThanItAskedForEndsTheLookingUntilTheNextPark()
      throws InterruptedException {
    StubParked parked = new StubParked();
    ManualQueue m = parkingQueue(parked);
    for (String waiter : List.of("w1", "w2", "w3", "w4", "p1")) {
      m.request(waiter);
    }
    m.statsAfter(m.parked("p1"));
    m.q.release("run");
    m.q.release("w1");
    m.q.release("w2");
    m.statsAfterGrants("w1", "w2", "w3");
    parked.expectLookup().answer().complete(List.of("p1"));
    await().atMost(GENEROUS).until(() -> parked.woken.equals(List.of("p1")));
    m.request("p1");

    m.q.release("w3");
    m.q.release("w4");
    m.statsAfterGrants("w4", "p1");
    advance(LONG_LEASE); // lease sweeps come and go
    m.statsAfterGrants();
    assertTrue(parked.lookups.isEmpty(), "every parked task was found: nothing to look up");
  }

  @Test
  void aManagerLooksForParkedTasksAgainAfterTwoLeasesThoughNoParkWasSignalled()
      throws InterruptedException {
    StubParked parked = new StubParked();
    ManualQueue m = parkingQueue(parked);
    m.q.release("run");
    m.statsAfterGrants();
    advance(LONG_LEASE);
    m.statsAfterGrants();
    assertTrue(parked.lookups.isEmpty(), "nothing parked, no signal: no look-up yet");
    // a row marked parked whose confirmation was lost (its node died after the mark)
    advance(LONG_LEASE.plusSeconds(1));
    parked.expectLookup().answer().complete(List.of("lost-signal"));
    await().atMost(GENEROUS).until(() -> parked.woken.equals(List.of("lost-signal")));
  }

  @Test
  void aParkConfirmedWhileALookUpRunsKeepsTheManagerLooking() throws InterruptedException {
    StubParked parked = new StubParked();
    ManualQueue m = parkingQueue(parked);
    for (String waiter : List.of("w1", "w2", "w3", "w4", "late")) {
      m.request(waiter);
    }
    m.statsAfter(m.parked("late"));
    m.q.release("run");
    m.q.release("w1");
    m.q.release("w2");
    m.statsAfterGrants("w1", "w2", "w3");
    StubParked.Lookup lookup = parked.expectLookup();
    // the look-up ran before the row of "late" was marked; its confirmation comes after
    m.q.manager.tell(new ConfirmParked("late"));
    m.statsAfterGrants();
    lookup.answer().complete(List.of());
    m.statsAfterGrants();

    m.q.release("w3");
    m.statsAfterGrants("w4");
    parked.expectLookup().answer().complete(List.of("late"));
    await().atMost(GENEROUS).until(() -> parked.woken.equals(List.of("late")));
  }

  @Test
  void aRestartedManagerLooksForParkedTasksOnceItsGraceEnds() throws InterruptedException {
    StubParked parked = new StubParked();
    ManualQueue m = parkingQueue(parked);
    m.q.release("run");
    m.statsAfterGrants();

    m.q.restart(maxConcurrency(1));
    assertTrue(parked.lookups.isEmpty(), "waiting tasks repeat their requests during the grace");
    advance(GRACE);
    StubParked.Lookup lookup = parked.expectLookup();
    assertEquals(4, lookup.limit());
    lookup.answer().complete(List.of("p1", "p2"));
    await().atMost(GENEROUS).until(() -> parked.woken.equals(List.of("p1", "p2")));
    m.request("p1");
    m.request("p2");
    m.statsAfterGrants("p1");
    m.q.release("p1");
    m.statsAfterGrants("p2");
    advance(LONG_LEASE);
    m.statsAfterGrants();
    assertTrue(parked.lookups.isEmpty(), "it looks once: the look-up found fewer than asked");
  }

  // The settings commands on the behavior test kit: reply, events, state

  /** A manager on the behavior test kit, once it has stored that its queue opened. */
  private EventSourcedBehaviorTestKit<QueueManager.Command, QueueManager.Event, QueueManager.State>
      behaviorKit(QueueLimits configured) {
    EventSourcedBehaviorTestKit<QueueManager.Command, QueueManager.Event, QueueManager.State> kit =
        EventSourcedBehaviorTestKit.create(testKit.system(), QueueManager.create(
            "q" + QUEUES.incrementAndGet(), configured, QueueRuntime.of(LONG_LEASE, GRACE)));
    await().atMost(GENEROUS).until(() -> kit.getState().opened());
    return kit;
  }

  @Test
  void pauseIsOneStoredEventThatFlipsOnlyPaused() {
    var kit = behaviorKit(new QueueLimits(4, 1, 2.0, 3));
    var result = kit.<QueueStats>runCommand(replyTo -> new ChangeSettings(QueueUpdate.pause(), replyTo));
    QueueManager.SettingsChanged event =
        assertInstanceOf(QueueManager.SettingsChanged.class, result.event());
    assertEquals(QueueUpdate.pause(), event.overrides());
    assertEquals(1, event.version());
    assertEquals(new QueueLimits(4, 1, 2.0, 3, true), result.reply().limits());
    assertEquals(1, result.reply().version());
    assertEquals(new QueueManager.State(true, QueueUpdate.pause(), 1), result.state());

    var again = kit.<QueueStats>runCommand(replyTo -> new ChangeSettings(QueueUpdate.pause(), replyTo));
    assertTrue(again.hasNoEvents(), "paused already: nothing stored");
    assertEquals(1, again.reply().version());
  }

  @Test
  void aLimitsChangeKeepsEarlierChangesOfOtherFields() {
    var kit = behaviorKit(new QueueLimits(4, 0, 0, 0));
    kit.<QueueStats>runCommand(replyTo -> new ChangeSettings(QueueUpdate.pause(), replyTo));
    var result = kit.<QueueStats>runCommand(replyTo ->
        new ChangeSettings(new QueueUpdate(8, 2, null, null, null), replyTo));
    assertEquals(new QueueUpdate(8, 2, null, null, true),
        ((QueueManager.SettingsChanged) result.event()).overrides());
    assertEquals(new QueueLimits(8, 2, 0, 0, true), result.reply().limits());
    assertEquals(2, result.reply().version());

    var restarted = kit.restart();
    assertEquals(new QueueManager.State(true, new QueueUpdate(8, 2, null, null, true), 2),
        restarted.state());
  }

  @Test
  void aNewQueueIsStoredAsOpenedBeforeItsFirstGrant() {
    var kit = EventSourcedBehaviorTestKit.<QueueManager.Command, QueueManager.Event,
        QueueManager.State>create(testKit.system(), QueueManager.create(
            "q" + QUEUES.incrementAndGet(), maxConcurrency(1), QueueRuntime.of(LONG_LEASE, GRACE)));
    TestProbe<PermitReply> grant = testKit.createTestProbe(PermitReply.class);
    kit.runCommand(new RequestPermit("a", INCARNATION, 0, DUE, null, NODE, grant.getRef()));
    grant.expectMessageClass(PermitGranted.class, GENEROUS);
    assertTrue(kit.getState().opened());
    assertEquals(0, kit.getState().version());
  }
}
