package io.tasker.node.queue;

import io.tasker.protocol.QueueLimits;
import io.tasker.protocol.QueueStats;
import io.tasker.protocol.QueueUpdate;
import io.tasker.protocol.TaskerSerializable;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * Hands out run permits for one queue, cluster-wide: at most {@code maxConcurrency} tasks run at
 * once, at most {@code maxConcurrencyPerKey} per concurrency key, and starts follow a token
 * bucket. Waiting tasks are served by priority, then due time, then arrival. Whatever the
 * queue's limits (none included), the tasks on one node hold at most its {@link
 * WorkerNode#maxPermits()}: a node is never handed more attempts than it can soon run.
 *
 * <p>Its settings are event-sourced: the first start of a queue's manager records {@link
 * Opened}, and every run-time change (pause, resume, limits, reset) is one command persisted as
 * one {@link SettingsChanged} before it is answered, with the next version number. Run-time
 * changes are stored as overrides of the configured limits: a field changed at run time wins
 * over the configuration until the queue is reset.
 *
 * <p>Permits are leases, kept in memory only ({@link Permits}): holders renew them while they run
 * and waiters repeat their requests. A manager that starts for a queue opened before (a restart,
 * a rebalance, a crash of its node) therefore grants nothing for its start-up grace, one renewal
 * period plus a margin: by then every running task has renewed its permit, so no limit is ever
 * exceeded. A permit whose holder vanished returns when its lease expires.
 *
 * <p>At most {@code maxWaiting} requests wait in memory. A new request beyond that is answered
 * {@link Parked}: its task marks its index row parked and passivates, so a due backlog of any
 * size costs memory for {@code maxWaiting} tasks only. When the waiting requests fall below half
 * of {@code maxWaiting}, the manager looks up parked tasks of its queue in the index (by
 * priority, then run time) and wakes as many as there is room for; each asks again like any
 * due task. A manager that starts (first start, restart, move) looks once, after its start-up
 * grace. A paused queue wakes no parked tasks and admits new due ones only up to its
 * max-concurrency (more entities in memory would only wait for the resume): the rest stay
 * parked until the resume looks them up. Under overload priorities are therefore approximate: a high-priority newcomer may park
 * while lower-priority requests wait in memory, and parked tasks come back by priority only as
 * room frees up. A parked task is never lost: its row stays {@code SCHEDULED}, and whichever
 * manager serves the queue finds it (see {@link Parking}).
 */
public final class QueueManager
    extends EventSourcedBehaviorWithEnforcedReplies<
        QueueManager.Command, QueueManager.Event, QueueManager.State> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY =
      EntityTypeKey.create(Command.class, "Queue");

  /**
   * Starts the sharded queue managers on this node.
   *
   * @param limitsFor the configured limits of a queue by name
   * @param role the cluster role of the nodes that host managers (the workers)
   */
  public static void initSharding(ActorSystem<?> system, Function<String, QueueLimits> limitsFor,
      QueueRuntime runtime, String role) {
    ClusterSharding.get(system)
        .init(
            Entity.of(
                    ENTITY_TYPE_KEY,
                    ctx -> create(ctx.getEntityId(), limitsFor.apply(ctx.getEntityId()), runtime))
                .withRole(role));
  }

  /**
   * @param configured the queue's limits from the configuration, in force where no run-time
   *     change overrides them
   */
  public static Behavior<Command> create(
      String queue, QueueLimits configured, QueueRuntime runtime) {
    return Behaviors.setup(
        ctx -> Behaviors.withTimers(
            timers -> new QueueManager(ctx, timers, queue, configured, runtime)));
  }

  // Commands

  public interface Command extends TaskerSerializable {}

  /**
   * Asks for a permit; answered with {@link PermitGranted} when one is free, or at once with
   * {@link Parked} if too many requests wait already. Repeating it is safe.
   *
   * <p>{@code holder} is the task; {@code incarnation} tells apart the task's successive
   * holders in memory (a task dropped from memory and taken up again, here or on another node,
   * asks anew while its old attempt may still hold a permit). A permit held by one incarnation
   * is renewed and given back only by it, and a task's next incarnation is granted none before
   * the permit of the previous one is back: attempts of one task never share a permit, and a
   * late release of an old one never frees the new one's.
   */
  public record RequestPermit(
      String holder,
      long incarnation,
      int priority,
      Instant dueAt,
      String concurrencyKey,
      WorkerNode worker,
      ActorRef<PermitReply> replyTo)
      implements Command {}

  /**
   * A task answered {@link Parked} has marked its index row parked, or new tasks not admitted
   * ({@link AdmitNew}) were stored parked: the next look-up for parked tasks finds them, also
   * one that started before the rows were written.
   */
  public record ConfirmParked(String holder) implements Command {}

  /**
   * New tasks due at once are about to be stored: admits as many as may wait in memory (the
   * first of {@code holders}, which come best first), answered with {@link Admitted}. Those
   * are stored to be woken; the rest are stored parked, and {@link ConfirmParked} follows once
   * they are written. So a due backlog beyond {@code maxWaiting} starts no entity only to park.
   */
  public record AdmitNew(List<String> holders, ActorRef<Admitted> replyTo) implements Command {}

  /** @param count how many of the {@link AdmitNew} holders, from the first on, may come */
  public record Admitted(int count) implements TaskerSerializable {}

  /** Extends a held permit's lease; re-registers it if this manager did not know it. */
  public record RenewPermit(
      String holder, long incarnation, String concurrencyKey, WorkerNode worker)
      implements Command {}

  /** Returns a held permit, or withdraws a waiting request. */
  public record ReleasePermit(String holder, long incarnation) implements Command {}

  /**
   * Changes the fields {@code update} sets, at once, and stores the change before answering
   * (e.g. {@link QueueUpdate#pause()} flips only {@code paused}). A change that changes nothing
   * stores nothing and keeps the version.
   */
  public record ChangeSettings(QueueUpdate update, ActorRef<QueueStats> replyTo)
      implements Command {}

  /** Drops every run-time change: the configured limits apply again. */
  public record ResetSettings(ActorRef<QueueStats> replyTo) implements Command {}

  public record GetStats(ActorRef<QueueStats> replyTo) implements Command {}

  /** Lease sweep, rate-limit refill and the end of the start-up grace. */
  private enum Tick implements Command {
    INSTANCE
  }

  /** Sent to itself after the recovery of a queue never opened before. */
  private enum Open implements Command {
    INSTANCE
  }

  /** The answer of a look-up for parked tasks: their ids, or why it failed. */
  private record ParkedFound(Parking.Lookup lookup, List<String> ids, String failure)
      implements Command {}

  // Replies

  /** The answer to a {@link RequestPermit}. */
  public sealed interface PermitReply extends TaskerSerializable permits PermitGranted, Parked {
    String queue();

    String holder();

    /** the {@link RequestPermit#incarnation()} it answers */
    long incarnation();
  }

  public record PermitGranted(String queue, String holder, long incarnation)
      implements PermitReply {}

  /**
   * Too many requests wait already: the task is to drop its request, mark its index row parked
   * (then tell {@link ConfirmParked}) and passivate. The manager wakes it when there is room.
   */
  public record Parked(String queue, String holder, long incarnation) implements PermitReply {}


  // Events

  public interface Event extends TaskerSerializable {}

  /** The queue's manager started for the first time: from now on, permits may be out there. */
  public record Opened(Instant at) implements Event {}

  /**
   * The queue's settings changed at run time.
   *
   * @param overrides every field set at run time, after the change
   * @param version the settings' version after the change
   */
  public record SettingsChanged(QueueUpdate overrides, long version, Instant at)
      implements Event {}

  // State

  /**
   * The queue's durable settings.
   *
   * @param opened whether a manager of this queue ever started (and may have granted permits)
   * @param overrides the fields changed at run time; the configuration supplies the rest
   * @param version the number of run-time changes stored
   */
  public record State(boolean opened, QueueUpdate overrides, long version)
      implements TaskerSerializable {
    static final State NEW = new State(false, QueueUpdate.NONE, 0);

    /** @return the limits in force, given the configured ones */
    public QueueLimits limits(QueueLimits configured) {
      return overrides.applyTo(configured);
    }

    /** @return the event of applying {@code update}, or empty if it changes nothing */
    Optional<Event> change(QueueUpdate update, Instant now) {
      QueueUpdate after = overrides.then(update);
      return after.equals(overrides)
          ? Optional.empty()
          : Optional.of(new SettingsChanged(after, version + 1, now));
    }

    /** @return the event of dropping every run-time change, or empty if there is none */
    Optional<Event> reset(Instant now) {
      return overrides.isEmpty()
          ? Optional.empty()
          : Optional.of(new SettingsChanged(QueueUpdate.NONE, version + 1, now));
    }

    State apply(Event event) {
      if (event instanceof Opened) {
        return new State(true, overrides, version);
      }
      SettingsChanged changed = (SettingsChanged) event;
      return new State(true, changed.overrides(), changed.version());
    }
  }

  // The actor

  private static final String LEASE_SWEEP = "lease-sweep";
  private static final String REFILL = "refill";
  private static final String START_UP = "start-up";

  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final String queue;
  private final QueueLimits configured;
  private final QueueRuntime runtime;
  /** Held and waiting permits: leases, learned again by every incarnation. */
  private Permits permits;
  /** No permit is granted before this {@link QueueRuntime#ticker()} reading. */
  private long grantsFrom;
  /** Parked tasks of this queue: whether any may exist, which were woken. */
  private Parking parking;
  /** The {@link QueueRuntime#ticker()} reading of the last look-up no signal asked for. */
  private long lastParkedRecheck;
  /** Looks for parked tasks no signal announced every two permit leases, at least 30 s. */
  private static final long MIN_PARKED_RECHECK_NANOS =
      java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
  /** Whether waiting requests wait for the rate limit's next token (as of the last grant). */
  private boolean rateLimited;

  private QueueManager(
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      String queue,
      QueueLimits configured,
      QueueRuntime runtime) {
    super(
        PersistenceId.of(ENTITY_TYPE_KEY.name(), queue),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(10), 0.2));
    this.context = context;
    this.timers = timers;
    this.queue = queue;
    this.configured = configured;
    this.runtime = runtime;
  }

  @Override
  public State emptyState() {
    return State.NEW;
  }

  /**
   * Commands wait in the stash while the manager recovers or persists; beyond it they are
   * dropped. New tasks are woken a stored batch at a time, so thousands of permit requests (and
   * a user's settings change behind them) can arrive within one write of the manager.
   */
  @Override
  public java.util.Optional<Integer> stashCapacity() {
    return java.util.Optional.of(STASH_CAPACITY);
  }

  private static final int STASH_CAPACITY = 100_000;

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(100, 2);
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(State::apply);
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), this::onRecovered)
        .onSignal(PostStop.instance(), state -> runtime.metrics().permits(queue, 0, 0, false))
        .build();
  }

  /**
   * Every incarnation (also a restart after a journal failure) starts with an empty permit
   * table. If the queue was opened before, permits granted by an earlier incarnation may still
   * be held: it grants none until their holders have had one renewal period to renew them.
   */
  private void onRecovered(State state) {
    long now = now();
    permits = new Permits(state.limits(configured), runtime.permitLease().toNanos(), now);
    parking = new Parking(runtime.maxWaiting(), runtime.permitLease().toNanos());
    lastParkedRecheck = now;
    timers.startTimerWithFixedDelay(LEASE_SWEEP, Tick.INSTANCE, runtime.permitLease().dividedBy(2));
    if (state.opened()) {
      grantsFrom = now + runtime.startUpGrace().toNanos();
      timers.startSingleTimer(START_UP, Tick.INSTANCE, runtime.startUpGrace());
      context.getLog().info("queue {}: manager started; grants permits after {}, once running"
          + " tasks have renewed theirs", queue, runtime.startUpGrace());
    } else {
      grantsFrom = now;
      context.getSelf().tell(Open.INSTANCE);
    }
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder().forAnyState().onAnyCommand(this::onCommand);
  }

  private ReplyEffect<Event, State> onCommand(State state, Command command) {
    ReplyEffect<Event, State> effect = handle(state, command);
    runtime.metrics().permits(queue, permits.held(), permits.waiting(), rateLimited);
    return effect;
  }

  private ReplyEffect<Event, State> handle(State state, Command command) {
    if (command instanceof RequestPermit request) {
      onRequest(state, request);
      return Effect().noReply();
    }
    if (command instanceof RenewPermit renew) {
      parking.arrived(renew.holder());
      permits.renew(renew.holder(), renew.incarnation(), renew.concurrencyKey(), renew.worker(),
          now());
      return Effect().noReply();
    }
    if (command instanceof AdmitNew admit) {
      int count = Math.min(admit.holders().size(), admissible(state));
      parking.expect(admit.holders().subList(0, count), now());
      if (count < admit.holders().size()) {
        parking.parked();
      }
      return Effect().reply(admit.replyTo(), new Admitted(count));
    }
    if (command instanceof ConfirmParked) {
      parking.parked();
      return Effect().noReply();
    }
    if (command instanceof ParkedFound found) {
      onParkedFound(found);
      return Effect().noReply();
    }
    if (command instanceof ReleasePermit release) {
      parking.left(release.holder());
      if (permits.release(release.holder(), release.incarnation())) {
        grantWhilePossible(state);
      }
      return Effect().noReply();
    }
    if (command instanceof ChangeSettings change) {
      return persistSettings(state, state.change(change.update(), runtime.clock().instant()),
          change.replyTo());
    }
    if (command instanceof ResetSettings reset) {
      return persistSettings(state, state.reset(runtime.clock().instant()), reset.replyTo());
    }
    if (command instanceof GetStats get) {
      return Effect().reply(get.replyTo(), stats(state));
    }
    if (command == Tick.INSTANCE) {
      return onTick(state);
    }
    if (command == Open.INSTANCE) {
      return state.opened()
          ? Effect().noReply()
          : Effect().persist((Event) new Opened(runtime.clock().instant()))
              .thenRun(this::grantWhilePossible)
              .thenNoReply();
    }
    throw new IllegalArgumentException("unknown command " + command);
  }

  private void onRequest(State state, RequestPermit request) {
    String holder = request.holder();
    if (permits.isHeldBy(holder, request.incarnation())) {
      // our grant was lost on the way, or the holder repeats itself: same permit again
      request.replyTo().tell(new PermitGranted(queue, holder, request.incarnation()));
      return;
    }
    parking.arrived(holder);
    boolean newcomer = !permits.isWaiting(holder);
    if (permits.await(request)) {
      grantWhilePossible(state);
    }
    // a newcomer the table has no room for parks (one that can start at once does not)
    if (newcomer && parking.isFull(permits.waiting()) && permits.withdraw(holder) != null) {
      parking.parked();
      request.replyTo().tell(new Parked(queue, holder, request.incarnation()));
    }
  }

  /**
   * @return how many new due tasks may come and wait: as many as there is room for, but for a
   *     paused queue only what it may run at once (the first to start on the resume, which
   *     looks up the rest; more entities in memory would only wait for it)
   */
  private int admissible(State state) {
    int room = parking.room(permits.waiting());
    QueueLimits limits = state.limits(configured);
    if (!limits.paused() || limits.maxConcurrency() == 0) {
      return room;
    }
    int expected = permits.waiting() + parking.woken();
    return Math.min(room, Math.max(0, limits.maxConcurrency() - expected));
  }

  /** Looks up parked tasks if the waiting requests fell below half and some may exist. */
  private void lookForParked(State state) {
    if (!state.opened() || now() - grantsFrom < 0) {
      return; // the waiting requests are not known yet: they repeat during the grace
    }
    if (state.limits(configured).paused()) {
      return; // woken now, they would only wait; the resume looks them up
    }
    Parking.Lookup lookup = parking.lookup(permits.waiting());
    if (lookup != null) {
      context.pipeToSelf(runtime.parked().next(queue, lookup.limit()), (ids, failure) ->
          new ParkedFound(lookup, ids, failure == null ? null : failure.toString()));
    }
  }

  private void onParkedFound(ParkedFound found) {
    if (found.failure() != null) {
      parking.failed();
      context.getLog().warn("queue {}: looking up parked tasks failed, trying again later: {}",
          queue, found.failure());
      return;
    }
    List<String> wake = parking.found(found.lookup(), found.ids(),
        id -> permits.isWaiting(id) || permits.isHeldBy(id), permits.waiting(), now());
    if (!wake.isEmpty()) {
      context.getLog().debug("queue {}: waking {} parked tasks", queue, wake.size());
    }
    wake.forEach(runtime.parked()::wake);
  }

  private ReplyEffect<Event, State> persistSettings(
      State state, Optional<Event> event, ActorRef<QueueStats> replyTo) {
    if (event.isEmpty()) {
      return Effect().reply(replyTo, stats(state));
    }
    return Effect().persist(event.get())
        .thenRun(after -> {
          permits.setLimits(after.limits(configured), now());
          context.getLog().info("queue {}: settings version {}, limits now {}", queue,
              after.version(), after.limits(configured));
          grantWhilePossible(after);
        })
        // answered after granting, so the answer already shows the new permits
        .thenReply(replyTo, this::stats);
  }

  private ReplyEffect<Event, State> onTick(State state) {
    boolean freed = permits.expire(now(), (holder, key) ->
        context.getLog().warn("queue {}: permit of {} expired", queue, holder));
    if (freed || permits.waiting() > 0) {
      grantWhilePossible(state);
    }
    parking.forgetStale(now());
    if (now() - lastParkedRecheck
        > Math.max(MIN_PARKED_RECHECK_NANOS, 2 * runtime.permitLease().toNanos())) {
      lastParkedRecheck = now();
      parking.recheck();
    }
    lookForParked(state);
    return Effect().noReply();
  }

  private void grantWhilePossible(State state) {
    long now = now();
    if (!state.opened()) {
      return; // Opened is being stored: it must be on disk before the first permit goes out
    }
    if (now - grantsFrom < 0) {
      if (!timers.isTimerActive(START_UP)) {
        timers.startSingleTimer(START_UP, Tick.INSTANCE, Duration.ofNanos(grantsFrom - now));
      }
      return;
    }
    long untilNextToken = permits.grant(now,
        waiter -> waiter.replyTo().tell(
            new PermitGranted(queue, waiter.holder(), waiter.incarnation())));
    rateLimited = untilNextToken > 0;
    if (untilNextToken > 0) {
      timers.startSingleTimer(REFILL, Tick.INSTANCE,
          Duration.ofNanos(Math.max(untilNextToken, 1_000_000)));
    }
    lookForParked(state);
  }

  private QueueStats stats(State state) {
    long now = now();
    return new QueueStats(queue, state.limits(configured), state.version(), permits.held(),
        permits.waiting(), permits.startsPerSecond(now), !state.opened() || now - grantsFrom < 0);
  }

  private long now() {
    return runtime.ticker().getAsLong();
  }
}
