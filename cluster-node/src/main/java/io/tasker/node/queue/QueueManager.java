package io.tasker.node.queue;

import io.tasker.protocol.QueueLimits;
import io.tasker.protocol.TaskerSerializable;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * Hands out run permits for one queue, cluster-wide: at most {@code maxConcurrency} tasks run at
 * once, at most {@code maxConcurrencyPerKey} per concurrency key, and starts follow a token
 * bucket. Waiting tasks are served by priority, then due time, then arrival.
 *
 * <p>It keeps no durable state. Permits are leases: holders renew them while they run and
 * waiters repeat their request, so after a restart or rebalance the manager learns its state
 * again within one renewal period, and a permit whose holder vanished returns when its lease
 * expires.
 */
public final class QueueManager extends AbstractBehavior<QueueManager.Command> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY =
      EntityTypeKey.create(Command.class, "Queue");

  /**
   * Starts the sharded queue managers on this node.
   *
   * @param limitsFor the configured limits of a queue by name
   * @param permitLease how long a permit lives without renewal
   */
  public static void initSharding(
      ActorSystem<?> system, Function<String, QueueLimits> limitsFor, Duration permitLease) {
    ClusterSharding.get(system)
        .init(
            Entity.of(
                    ENTITY_TYPE_KEY,
                    ctx -> create(ctx.getEntityId(), limitsFor.apply(ctx.getEntityId()), permitLease))
                .withRole(io.tasker.node.task.TaskEntity.WORKER_ROLE));
  }

  public static Behavior<Command> create(String queue, QueueLimits limits, Duration permitLease) {
    return Behaviors.setup(
        ctx ->
            Behaviors.withTimers(
                timers -> new QueueManager(ctx, timers, queue, limits, permitLease)));
  }

  // Commands

  public interface Command extends TaskerSerializable {}

  /** Asks for a permit; answered with {@link PermitGranted} when one is free. Repeating it is safe. */
  public record RequestPermit(
      String holder,
      int priority,
      Instant dueAt,
      String concurrencyKey,
      ActorRef<PermitGranted> replyTo)
      implements Command {}

  /** Extends a held permit's lease; re-registers it if this manager did not know it. */
  public record RenewPermit(String holder, String concurrencyKey) implements Command {}

  /** Returns a held permit, or withdraws a waiting request. */
  public record ReleasePermit(String holder) implements Command {}

  /** Replaces the queue's limits until the manager restarts. */
  public record UpdateLimits(QueueLimits limits, ActorRef<QueueStats> replyTo) implements Command {}

  public record GetStats(ActorRef<QueueStats> replyTo) implements Command {}

  private enum Tick implements Command {
    INSTANCE
  }

  // Replies

  public record PermitGranted(String queue, String holder) implements TaskerSerializable {}

  /**
   * @param queue the queue's name
   * @param limits the limits in force
   * @param running permits held
   * @param waiting requests waiting for a permit
   * @param startsPerSecond permits granted per second over the last ten seconds
   */
  public record QueueStats(
      String queue, QueueLimits limits, int running, int waiting, double startsPerSecond)
      implements TaskerSerializable {}

  private static final long RATE_WINDOW_NANOS = 10_000_000_000L;

  // State (in memory only)

  private record Waiter(
      String holder,
      int priority,
      Instant dueAt,
      long arrival,
      String key,
      ActorRef<PermitGranted> replyTo) {

    boolean repeats(RequestPermit request) {
      return priority == request.priority() && dueAt.equals(request.dueAt())
          && Objects.equals(key, request.concurrencyKey()) && replyTo.equals(request.replyTo());
    }
  }

  private static final Comparator<Waiter> SERVICE_ORDER =
      Comparator.comparingInt((Waiter w) -> -w.priority())
          .thenComparing(Waiter::dueAt)
          .thenComparingLong(Waiter::arrival);

  private record Held(String key, long leaseUntilNanos) {}

  private final TimerScheduler<Command> timers;
  private final String queue;
  private final long leaseNanos;
  private final TreeSet<Waiter> waiting = new TreeSet<>(SERVICE_ORDER);
  private final Map<String, Waiter> waitingByHolder = new HashMap<>();
  private final Map<String, Held> held = new HashMap<>();
  private final Map<String, Integer> heldByKey = new HashMap<>();
  private final java.util.ArrayDeque<Long> recentGrants = new java.util.ArrayDeque<>();
  private QueueLimits limits;
  private TokenBucket bucket;
  private long arrivals;

  private QueueManager(
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      String queue,
      QueueLimits limits,
      Duration permitLease) {
    super(context);
    this.timers = timers;
    this.queue = queue;
    this.leaseNanos = permitLease.toNanos();
    applyLimits(limits);
    timers.startTimerWithFixedDelay("lease-sweep", Tick.INSTANCE, permitLease.dividedBy(2));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(RequestPermit.class, this::onRequest)
        .onMessage(RenewPermit.class, this::onRenew)
        .onMessage(ReleasePermit.class, this::onRelease)
        .onMessage(UpdateLimits.class, this::onUpdateLimits)
        .onMessage(GetStats.class, get -> reply(get.replyTo()))
        .onMessageEquals(Tick.INSTANCE, this::onTick)
        .build();
  }

  private Behavior<Command> onRequest(RequestPermit request) {
    if (held.containsKey(request.holder())) {
      // our grant was lost on the way, or the holder repeats itself: same permit again
      request.replyTo().tell(new PermitGranted(queue, request.holder()));
      return this;
    }
    Waiter previous = waitingByHolder.get(request.holder());
    if (previous != null && previous.repeats(request)) {
      // a waiting task's keep-alive (every few seconds for each): nothing changed
      return this;
    }
    if (previous != null) {
      waitingByHolder.remove(request.holder());
      waiting.remove(previous);
    }
    Waiter waiter =
        new Waiter(
            request.holder(),
            request.priority(),
            request.dueAt(),
            previous != null ? previous.arrival() : arrivals++,
            request.concurrencyKey(),
            request.replyTo());
    waiting.add(waiter);
    waitingByHolder.put(waiter.holder(), waiter);
    grantWhilePossible();
    return this;
  }

  private Behavior<Command> onRenew(RenewPermit renew) {
    Held previous = held.get(renew.holder());
    if (previous == null) {
      // a holder this manager lost track of (restart, rebalance): it runs, whatever it asked before
      Waiter stale = waitingByHolder.remove(renew.holder());
      if (stale != null) {
        waiting.remove(stale);
      }
      hold(renew.holder(), renew.concurrencyKey());
    } else {
      held.put(renew.holder(), new Held(previous.key(), System.nanoTime() + leaseNanos));
    }
    return this;
  }

  private Behavior<Command> onRelease(ReleasePermit release) {
    Waiter waiter = waitingByHolder.remove(release.holder());
    if (waiter != null) {
      waiting.remove(waiter);
    }
    if (unhold(release.holder())) {
      grantWhilePossible();
    }
    return this;
  }

  private Behavior<Command> onUpdateLimits(UpdateLimits update) {
    applyLimits(update.limits());
    getContext().getLog().info("queue {}: limits now {}", queue, update.limits());
    grantWhilePossible();
    return reply(update.replyTo());
  }

  private Behavior<Command> onTick() {
    long now = System.nanoTime();
    boolean freed = held.entrySet().removeIf(e -> {
      if (e.getValue().leaseUntilNanos() - now < 0) {
        getContext().getLog().warn("queue {}: permit of {} expired", queue, e.getKey());
        decrementKey(e.getValue().key());
        return true;
      }
      return false;
    });
    if (freed || !waiting.isEmpty()) {
      grantWhilePossible();
    }
    return this;
  }

  private Behavior<Command> reply(ActorRef<QueueStats> replyTo) {
    forgetOldGrants(System.nanoTime());
    replyTo.tell(new QueueStats(queue, limits, held.size(), waiting.size(),
        recentGrants.size() * 1e9 / RATE_WINDOW_NANOS));
    return this;
  }

  private void forgetOldGrants(long now) {
    while (!recentGrants.isEmpty() && now - recentGrants.peekFirst() > RATE_WINDOW_NANOS) {
      recentGrants.pollFirst();
    }
  }

  private void applyLimits(QueueLimits newLimits) {
    boolean rateChanged = limits == null
        || limits.ratePerSecond() != newLimits.ratePerSecond() || limits.burst() != newLimits.burst();
    this.limits = newLimits;
    if (rateChanged) {
      this.bucket = new TokenBucket(newLimits.ratePerSecond(), newLimits.burst(), System.nanoTime());
    }
  }

  private void grantWhilePossible() {
    Iterator<Waiter> candidates = waiting.iterator();
    while (candidates.hasNext() && hasRoom(null)) {
      Waiter waiter = candidates.next();
      if (!hasRoom(waiter.key())) {
        continue; // its key is at its limit; others may still run
      }
      long now = System.nanoTime();
      if (!bucket.tryAcquire(now)) {
        timers.startSingleTimer("refill", Tick.INSTANCE,
            Duration.ofNanos(Math.max(bucket.nanosUntilNextToken(now), 1_000_000)));
        return;
      }
      candidates.remove();
      waitingByHolder.remove(waiter.holder());
      hold(waiter.holder(), waiter.key());
      recentGrants.addLast(now);
      forgetOldGrants(now);
      waiter.replyTo().tell(new PermitGranted(queue, waiter.holder()));
    }
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

  private void hold(String holder, String key) {
    held.put(holder, new Held(key, System.nanoTime() + leaseNanos));
    if (key != null) {
      heldByKey.merge(key, 1, Integer::sum);
    }
  }

  private boolean unhold(String holder) {
    Held released = held.remove(holder);
    if (released == null) {
      return false;
    }
    decrementKey(released.key());
    return true;
  }

  private void decrementKey(String key) {
    if (key != null) {
      heldByKey.computeIfPresent(key, (k, n) -> n > 1 ? n - 1 : null);
    }
  }
}
