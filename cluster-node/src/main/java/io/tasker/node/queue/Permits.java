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
 * <p>Times are {@link System#nanoTime()}-style readings passed in by the caller.
 */
final class Permits {
  private static final long RATE_WINDOW_NANOS = 10_000_000_000L;

  /** A request waiting for a permit. */
  record Waiter(
      String holder,
      int priority,
      java.time.Instant dueAt,
      long arrival,
      String key,
      WorkerNode worker,
      ActorRef<QueueManager.PermitReply> replyTo) {

    boolean repeats(QueueManager.RequestPermit request) {
      return priority == request.priority() && dueAt.equals(request.dueAt())
          && Objects.equals(key, request.concurrencyKey()) && worker.equals(request.worker())
          && replyTo.equals(request.replyTo());
    }
  }

  private static final Comparator<Waiter> SERVICE_ORDER =
      Comparator.comparingInt((Waiter w) -> -w.priority())
          .thenComparing(Waiter::dueAt)
          .thenComparingLong(Waiter::arrival);

  private record Held(String key, String node, long leaseUntilNanos) {}

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

  boolean isHeldBy(String holder) {
    return held.containsKey(holder);
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
   * Queues a request, or updates a waiting one (it keeps its place in arrival order). A
   * waiter's repeated request that changes nothing is ignored.
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
    Waiter waiter = new Waiter(request.holder(), request.priority(), request.dueAt(),
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
   */
  void renew(String holder, String key, WorkerNode worker, long now) {
    Held previous = held.get(holder);
    if (previous == null) {
      withdraw(holder);
      hold(holder, key, worker.address(), now);
    } else {
      held.put(holder, new Held(previous.key(), previous.node(), now + leaseNanos));
    }
  }

  /**
   * Returns a held permit, or withdraws a waiting request.
   *
   * @return true if a permit came free
   */
  boolean release(String holder) {
    withdraw(holder);
    Held released = held.remove(holder);
    if (released == null) {
      return false;
    }
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
      if (!hasRoom(waiter.key()) || !nodeHasRoom(waiter.worker().address())) {
        continue; // its key or its node is at its limit; others may still run
      }
      if (!bucket.tryAcquire(now)) {
        return Math.max(bucket.nanosUntilNextToken(now), 1);
      }
      candidates.remove();
      waitingByHolder.remove(waiter.holder());
      decrement(waitingByNode, waiter.worker().address());
      hold(waiter.holder(), waiter.key(), waiter.worker().address(), now);
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
    Waiter waiter = waitingByHolder.remove(holder);
    if (waiter != null) {
      waiting.remove(waiter);
      decrement(waitingByNode, waiter.worker().address());
      forgetNodeIfIdle(waiter.worker().address());
    }
    return waiter;
  }

  private void hold(String holder, String key, String node, long now) {
    held.put(holder, new Held(key, node, now + leaseNanos));
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
