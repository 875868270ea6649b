package io.tasker.node.queue;

import io.tasker.protocol.QueueLimits;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.function.BiConsumer;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * A queue manager's table of permits: who holds one (a lease, renewed by its holder while its
 * task runs) and who waits for one (served by priority, then due time, then arrival). Besides
 * the queue's limits, a node's tasks hold at most {@link WorkerNode#maxPermits()} permits. It is
 * deliberately not persisted: holders renew and waiters repeat their requests, so a new manager
 * learns the table again within one renewal period. Not thread-safe: one actor owns it.
 *
 * <p>A holder (a task) has one permit at most, held by one of its incarnations (see {@link
 * QueueManager.RequestPermit}); only that one renews and returns it. Another incarnation of the
 * same task waits until it is back.
 *
 * <p>Times are {@link System#nanoTime()}-style readings passed in by the caller.
 */
final class Permits {
  private static final long RATE_WINDOW_NANOS = 10_000_000_000L;

  /** A request waiting for a permit. */
  record Waiter(
      String holder,
      long incarnation,
      int priority,
      java.time.Instant dueAt,
      long arrival,
      String key,
      WorkerNode worker,
      ActorRef<QueueManager.PermitReply> replyTo) {

    boolean repeats(QueueManager.RequestPermit request) {
      return incarnation == request.incarnation()
          && priority == request.priority() && dueAt.equals(request.dueAt())
          && Objects.equals(key, request.concurrencyKey()) && worker.equals(request.worker())
          && replyTo.equals(request.replyTo());
    }
  }

  private static final Comparator<Waiter> SERVICE_ORDER =
      Comparator.comparingInt((Waiter w) -> -w.priority())
          .thenComparing(Waiter::dueAt)
          .thenComparingLong(Waiter::arrival);

  private record Held(long incarnation, String key, String node, long leaseUntilNanos) {}

  private final long leaseNanos;
  private final TreeSet<Waiter> waiting = new TreeSet<>(SERVICE_ORDER);
  private final Map<String, Waiter> waitingByHolder = new HashMap<>();
  private final Map<String, Held> held = new HashMap<>();
  private final Map<String, Integer> heldByKey = new HashMap<>();
  private final Map<String, Integer> heldByNode = new HashMap<>();
  /** Per node with waiting requests: how many, and its permit limit as its latest request said. */
  private final Map<String, Integer> waitingByNode = new HashMap<>();
  private final Map<String, Integer> nodeLimits = new HashMap<>();
  private final ArrayDeque<Long> recentGrants = new ArrayDeque<>();
  private QueueLimits limits;
  private TokenBucket bucket;
  private long arrivals;

  Permits(QueueLimits limits, long leaseNanos, long now) {
    this.leaseNanos = leaseNanos;
    setLimits(limits, now);
  }

  int held() {
    return held.size();
  }

  int waiting() {
    return waiting.size();
  }

  /** @return true if any incarnation of {@code holder} holds a permit */
  boolean isHeldBy(String holder) {
    return held.containsKey(holder);
  }

  boolean isHeldBy(String holder, long incarnation) {
    Held permit = held.get(holder);
    return permit != null && permit.incarnation() == incarnation;
  }

  boolean isWaiting(String holder) {
    return waitingByHolder.containsKey(holder);
  }

  /** @return permits granted per second over the last ten seconds */
  double startsPerSecond(long now) {
    forgetOldGrants(now);
    return recentGrants.size() * 1e9 / RATE_WINDOW_NANOS;
  }

  /** Applies new limits; held permits above a lowered limit stay until released. */
  void setLimits(QueueLimits newLimits, long now) {
    boolean rateChanged = limits == null
        || limits.ratePerSecond() != newLimits.ratePerSecond() || limits.burst() != newLimits.burst();
    this.limits = newLimits;
    if (rateChanged) {
      this.bucket = new TokenBucket(newLimits.ratePerSecond(), newLimits.burst(), now);
    }
  }

  /**
   * Queues a request, or updates a waiting one (it keeps its place in arrival order; a later
   * incarnation's request replaces its task's earlier one). A waiter's repeated request that
   * changes nothing is ignored.
   *
   * @return true if the waiting requests changed
   */
  boolean await(QueueManager.RequestPermit request) {
    Waiter previous = waitingByHolder.get(request.holder());
    if (previous != null && previous.repeats(request)) {
      return false;
    }
    if (previous != null) {
      withdraw(request.holder());
    }
    Waiter waiter = new Waiter(request.holder(), request.incarnation(), request.priority(),
        request.dueAt(),
        previous != null ? previous.arrival() : arrivals++, request.concurrencyKey(),
        request.worker(), request.replyTo());
    waiting.add(waiter);
    waitingByHolder.put(waiter.holder(), waiter);
    waitingByNode.merge(waiter.worker().address(), 1, Integer::sum);
    nodeLimits.put(waiter.worker().address(), waiter.worker().maxPermits());
    return true;
  }

  /**
   * Extends a held permit's lease. A holder this table does not know (the manager restarted or
   * moved) runs whatever it asked before: its permit is registered as held, its request
   * withdrawn, even above the limits (it runs already; new grants wait until it is back under).
   * A renewal from another incarnation than the one holding the permit changes nothing: the
   * permit counts once, and the holding incarnation's release lets the other one's next
   * renewal register it.
   */
  void renew(String holder, long incarnation, String key, WorkerNode worker, long now) {
    Held previous = held.get(holder);
    if (previous == null) {
      withdraw(holder, incarnation);
      hold(holder, incarnation, key, worker.address(), now);
    } else if (previous.incarnation() == incarnation) {
      held.put(holder, new Held(incarnation, previous.key(), previous.node(), now + leaseNanos));
    }
  }

  /**
   * Returns a held permit, or withdraws a waiting request, of this incarnation only.
   *
   * @return true if a permit came free
   */
  boolean release(String holder, long incarnation) {
    withdraw(holder, incarnation);
    Held released = held.get(holder);
    if (released == null || released.incarnation() != incarnation) {
      return false;
    }
    held.remove(holder);
    forget(released);
    return true;
  }

  /**
   * Frees the permits whose lease ended.
   *
   * @param onExpiry told each holder whose permit expired, and its key
   * @return true if any did
   */
  boolean expire(long now, BiConsumer<String, String> onExpiry) {
    return held.entrySet().removeIf(e -> {
      if (e.getValue().leaseUntilNanos() - now < 0) {
        onExpiry.accept(e.getKey(), e.getValue().key());
        forget(e.getValue());
        return true;
      }
      return false;
    });
  }

  /**
   * Grants permits to waiters, in service order, while the limits allow.
   *
   * @param onGrant told each waiter granted a permit (it holds it from now on)
   * @return nanoseconds until the rate limit allows the next grant, or 0 if it does not hold any
   *     waiter back
   */
  long grant(long now, java.util.function.Consumer<Waiter> onGrant) {
    Iterator<Waiter> candidates = waiting.iterator();
    while (candidates.hasNext() && hasRoom(null) && anyWaitingNodeHasRoom()) {
      Waiter waiter = candidates.next();
      if (!hasRoom(waiter.key()) || !nodeHasRoom(waiter.worker().address())
          || held.containsKey(waiter.holder())) {
        continue; // its key or its node is at its limit, or its task's old incarnation holds
      }
      if (!bucket.tryAcquire(now)) {
        return Math.max(bucket.nanosUntilNextToken(now), 1);
      }
      candidates.remove();
      waitingByHolder.remove(waiter.holder());
      decrement(waitingByNode, waiter.worker().address());
      hold(waiter.holder(), waiter.incarnation(), waiter.key(), waiter.worker().address(), now);
      recentGrants.addLast(now);
      forgetOldGrants(now);
      onGrant.accept(waiter);
    }
    return 0;
  }

  /** @param key a concurrency key, or null to ask about the queue as a whole */
  private boolean hasRoom(String key) {
    if (key == null) {
      return !limits.paused()
          && (limits.maxConcurrency() == 0 || held.size() < limits.maxConcurrency());
    }
    return limits.maxConcurrencyPerKey() == 0
        || heldByKey.getOrDefault(key, 0) < limits.maxConcurrencyPerKey();
  }

  private boolean nodeHasRoom(String node) {
    return heldByNode.getOrDefault(node, 0) < nodeLimits.getOrDefault(node, Integer.MAX_VALUE);
  }

  /** Saves scanning every waiter when each one's node is at its limit (a backlog, typically). */
  private boolean anyWaitingNodeHasRoom() {
    for (String node : waitingByNode.keySet()) {
      if (nodeHasRoom(node)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Withdraws a waiting request; a held permit stays.
   *
   * @return the request withdrawn, or null if {@code holder} was not waiting
   */
  Waiter withdraw(String holder) {
    Waiter waiter = waitingByHolder.get(holder);
    return waiter == null ? null : withdraw(holder, waiter.incarnation());
  }

  private Waiter withdraw(String holder, long incarnation) {
    Waiter waiter = waitingByHolder.get(holder);
    if (waiter == null || waiter.incarnation() != incarnation) {
      return null;
    }
    waitingByHolder.remove(holder);
    waiting.remove(waiter);
    decrement(waitingByNode, waiter.worker().address());
    forgetNodeIfIdle(waiter.worker().address());
    return waiter;
  }

  private void hold(String holder, long incarnation, String key, String node, long now) {
    held.put(holder, new Held(incarnation, key, node, now + leaseNanos));
    if (key != null) {
      heldByKey.merge(key, 1, Integer::sum);
    }
    heldByNode.merge(node, 1, Integer::sum);
  }

  private void forget(Held released) {
    if (released.key() != null) {
      decrement(heldByKey, released.key());
    }
    decrement(heldByNode, released.node());
    forgetNodeIfIdle(released.node());
  }

  /** A node gone (or idle) leaves nothing behind: addresses are new with every node start. */
  private void forgetNodeIfIdle(String node) {
    if (!heldByNode.containsKey(node) && !waitingByNode.containsKey(node)) {
      nodeLimits.remove(node);
    }
  }

  private static void decrement(Map<String, Integer> counts, String key) {
    counts.computeIfPresent(key, (k, n) -> n > 1 ? n - 1 : null);
  }

  private void forgetOldGrants(long now) {
    while (!recentGrants.isEmpty() && now - recentGrants.peekFirst() > RATE_WINDOW_NANOS) {
      recentGrants.pollFirst();
    }
  }
}
