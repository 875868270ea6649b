package io.tasker.node.index;

import io.tasker.node.task.TaskEntity;
import io.tasker.node.task.TaskPartition;
import io.tasker.protocol.TaskId;
import io.tasker.protocol.TaskStatus;
import io.tasker.protocol.TaskerSerializable;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiConsumer;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.sharding.typed.ShardedDaemonProcessSettings;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.ShardedDaemonProcess;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * Wakes entities whose time has come although no actor of theirs is alive: after a restart, a
 * passivation of a far-off task, or a node's death. It serves every {@link WakeTarget} (tasks,
 * schedules) the same way: one worker per slice of the buckets runs somewhere in the cluster (a
 * sharded daemon process, so the slices move with the nodes). Each scans its slice of every
 * target for rows whose wake time falls within the look-ahead and sends their entities a wake
 * message; the entity's own timer then acts on the dot. Finished tasks have no wake time and are
 * never woken. The worker also removes finished tasks older than their retention from its slice.
 *
 * <p>Scans read pages in (wake time, id) order. Most passes read only the rows that came within
 * the look-ahead since the previous pass: an entity whose row is already due is alive (it wrote
 * the row, or an earlier pass woke it). Every {@code rewakeAfter}, and once a node was removed,
 * a full pass reads every due row and wakes again those woken longer ago, for wakes that were
 * lost (a shard hand-off drops buffered messages; a dead node's entities are gone). So a large
 * backlog of due tasks waiting for their queue costs one read per row per full pass, not one per
 * scan.
 *
 * <p>A pass that reads only newly due rows reads about one scan interval's worth of them at
 * once; their wakes are paced (each sent one scan interval after the row came within the
 * look-ahead, i.e. {@code lookahead - scanInterval} ahead of its wake time) so the entities
 * start as a stream, not as a burst once a second that would hold up tasks due meanwhile.
 * Full passes wake at once: their rows may be due already.
 */
public final class TaskWaker extends AbstractBehavior<TaskWaker.Command> {

  /**
   * @param workers slices of the index, each scanned by one worker
   * @param scanInterval pause between scans
   * @param lookahead how far ahead of a wake time the entity is woken
   * @param batchSize rows per page of a scan
   * @param rewakeAfter how often a scan reads every due row; a row still due this long after
   *     its wake is woken again
   * @param retention per finished status, how long tasks are kept
   * @param sweepInterval pause between retention sweeps
   */
  public record Settings(
      int workers,
      Duration scanInterval,
      Duration lookahead,
      int batchSize,
      Duration rewakeAfter,
      Map<TaskStatus, Duration> retention,
      Duration sweepInterval) {}

  /** The target of the task index: tasks are woken with {@link TaskEntity.Wake}. */
  public static WakeTarget tasks(
      JdbcTaskIndex index, BiConsumer<TaskId, TaskEntity.Command> tasks) {
    return new WakeTarget("task", index::due,
        (id, wakeAt) -> tasks.accept(TaskId.of(id), new TaskEntity.Wake(wakeAt)));
  }

  /**
   * @param targets the kinds of entity to wake, each scanned by every worker in its slice
   */
  public static void init(
      ActorSystem<?> system,
      JdbcTaskIndex index,
      List<WakeTarget> targets,
      Settings settings,
      Clock clock) {
    ShardedDaemonProcess.get(system)
        .init(
            Command.class,
            "task-waker",
            settings.workers(),
            worker -> create(worker, index, targets, settings, clock),
            ShardedDaemonProcessSettings.create(system).withRole(TaskPartition.WORKER_ROLE),
            Optional.of(Tick.STOP));
  }

  static Behavior<Command> create(
      int worker, JdbcTaskIndex index, List<WakeTarget> targets, Settings settings, Clock clock) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers ->
        new TaskWaker(ctx, timers, worker, index, targets, settings, clock)));
  }

  // Commands

  public interface Command extends TaskerSerializable {}

  private enum Tick implements Command {
    SCAN,
    /** Forget what was woken, and scan: wakes sent to a removed node's shards were lost. */
    REWAKE,
    SWEEP,
    /** Sends the paced wakes whose time has come. */
    PACE,
    STOP
  }

  private record Scanned(int target, List<WakeTarget.Due> page, Throwable failure)
      implements Command {}

  private record Swept(Integer removed, Throwable failure) implements Command {}

  /** A node left or was downed: wakes sent to its shards may have been lost. */
  private record NodeRemoved(ClusterEvent.MemberRemoved event) implements Command {}

  // State

  private record Woken(Instant wakeAt, long atNanos) {}

  /** A wake held back until {@code sendAtNanos} (a {@link System#nanoTime()} reading). */
  private record Paced(int target, String id, Instant wakeAt, long sendAtNanos) {}

  /** A pass under way: all due rows, or those that came due since the previous pass. */
  private record Pass(boolean full, Instant until) {}

  /** Per target: what was woken lately (not to wake a due row at every pass) and the passes. */
  private static final class Progress {
    final Map<String, Woken> woken = new HashMap<>();
    Set<String> seenInFullPass = new HashSet<>();
    Pass pass;
    /** The end of the window the last finished pass covered; null before the first. */
    Instant coveredUntil;
    long nextFullPassNanos;
  }

  private final int fromBucket;
  private final int toBucket;
  private final JdbcTaskIndex index;
  private final List<WakeTarget> targets;
  private final Settings settings;
  private final Clock clock;
  private final List<Progress> progress = new ArrayList<>();
  private final TimerScheduler<Command> timers;
  private final Duration shardsMoveAfter;
  /** How far ahead of its wake time a paced wake is sent. */
  private final Duration pacedLead;
  private final java.util.PriorityQueue<Paced> paced =
      new java.util.PriorityQueue<>(java.util.Comparator.comparingLong(Paced::sendAtNanos));

  private TaskWaker(
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      int worker,
      JdbcTaskIndex index,
      List<WakeTarget> targets,
      Settings settings,
      Clock clock) {
    super(context);
    this.fromBucket = worker * IndexRow.BUCKETS / settings.workers();
    this.toBucket = (worker + 1) * IndexRow.BUCKETS / settings.workers();
    this.index = index;
    this.targets = List.copyOf(targets);
    targets.forEach(t -> progress.add(new Progress()));
    this.settings = settings;
    this.clock = clock;
    this.timers = timers;
    this.shardsMoveAfter = removalMargin(context.getSystem().settings().config());
    this.pacedLead = settings.lookahead().compareTo(settings.scanInterval()) > 0
        ? settings.lookahead().minus(settings.scanInterval())
        : settings.lookahead();
    Cluster.get(context.getSystem()).subscriptions().tell(Subscribe.create(
        context.messageAdapter(ClusterEvent.MemberRemoved.class, NodeRemoved::new),
        ClusterEvent.MemberRemoved.class));
    timers.startTimerWithFixedDelay(Tick.SCAN, Duration.ZERO, settings.scanInterval());
    timers.startTimerWithFixedDelay(Tick.SWEEP, settings.sweepInterval(), settings.sweepInterval());
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessageEquals(Tick.SCAN, this::scan)
        .onMessageEquals(Tick.REWAKE, this::rewake)
        .onMessageEquals(Tick.SWEEP, this::sweep)
        .onMessageEquals(Tick.PACE, this::pace)
        .onMessageEquals(Tick.STOP, Behaviors::stopped)
        .onMessage(Scanned.class, this::onScanned)
        .onMessage(Swept.class, this::onSwept)
        .onMessage(NodeRemoved.class, this::onNodeRemoved)
        .build();
  }

  private Behavior<Command> scan() {
    for (int i = 0; i < targets.size(); i++) {
      scan(i);
    }
    return this;
  }

  private void scan(int target) {
    Progress of = progress.get(target);
    if (of.pass == null) {
      boolean full = of.coveredUntil == null || System.nanoTime() - of.nextFullPassNanos >= 0;
      of.pass = new Pass(full, clock.instant().plus(settings.lookahead()));
      // rows due exactly at the previous window's end are read again; the woken map skips them
      readPage(target, full ? null : new WakeTarget.Due("", of.coveredUntil));
    }
  }

  private void readPage(int target, WakeTarget.Due after) {
    getContext().pipeToSelf(
        targets.get(target).scan().due(fromBucket, toBucket, after, progress.get(target).pass.until(),
            settings.batchSize()),
        (page, failure) -> new Scanned(target, page, failure));
  }

  private Behavior<Command> onScanned(Scanned scanned) {
    WakeTarget target = targets.get(scanned.target());
    Progress of = progress.get(scanned.target());
    Pass pass = of.pass;
    if (scanned.failure() != null) {
      getContext().getLog().warn("{} index scan failed: {}", target.name(),
          scanned.failure().toString());
      of.pass = null; // the next tick starts the pass again
      return this;
    }
    long now = System.nanoTime();
    for (WakeTarget.Due due : scanned.page()) {
      if (pass.full()) {
        of.seenInFullPass.add(due.id());
      }
      Woken last = of.woken.get(due.id());
      if (last == null || !last.wakeAt().equals(due.wakeAt())
          || now - last.atNanos() > settings.rewakeAfter().toNanos()) {
        wakeOrPace(scanned.target(), due, pass.full());
        of.woken.put(due.id(), new Woken(due.wakeAt(), now));
      }
    }
    if (scanned.page().size() >= settings.batchSize()) {
      readPage(scanned.target(), scanned.page().get(scanned.page().size() - 1));
      return this;
    }
    of.pass = null;
    of.coveredUntil = pass.until();
    if (pass.full()) {
      of.woken.keySet().retainAll(of.seenInFullPass); // rows no longer due
      of.seenInFullPass = new HashSet<>();
      of.nextFullPassNanos = now + settings.rewakeAfter().toNanos();
    }
    return this;
  }

  /**
   * Wakes {@code due} now, or holds it back until {@link #pacedLead} before its wake time. The
   * hold is measured in elapsed time (not on the clock, which tests may stop): it is never
   * longer than one scan interval.
   */
  private void wakeOrPace(int target, WakeTarget.Due due, boolean fullPass) {
    long holdNanos = Duration.between(clock.instant(), due.wakeAt().minus(pacedLead)).toNanos();
    if (fullPass || holdNanos <= 0) {
      targets.get(target).wake().wake(due.id(), due.wakeAt());
      return;
    }
    holdNanos = Math.min(holdNanos, settings.scanInterval().toNanos());
    Paced next = new Paced(target, due.id(), due.wakeAt(), System.nanoTime() + holdNanos);
    if (paced.isEmpty() || next.sendAtNanos() < paced.peek().sendAtNanos()) {
      timers.startSingleTimer(Tick.PACE, Duration.ofNanos(holdNanos));
    }
    paced.add(next);
  }

  private Behavior<Command> pace() {
    long now = System.nanoTime();
    while (!paced.isEmpty() && paced.peek().sendAtNanos() - now <= 0) {
      Paced due = paced.poll();
      targets.get(due.target()).wake().wake(due.id(), due.wakeAt());
    }
    if (!paced.isEmpty()) {
      timers.startSingleTimer(Tick.PACE, Duration.ofNanos(paced.peek().sendAtNanos() - now));
    }
    return this;
  }

  private Behavior<Command> onNodeRemoved(NodeRemoved removed) {
    // its shards start elsewhere on the first message after the removal margin: wake everything
    // due again then
    timers.startSingleTimer(Tick.REWAKE, shardsMoveAfter.plus(settings.scanInterval()));
    return this;
  }

  private Behavior<Command> rewake() {
    for (Progress of : progress) {
      of.woken.clear();
      of.nextFullPassNanos = System.nanoTime(); // the next pass reads everything due
    }
    return scan();
  }

  /** How long after a node's removal its shards may start elsewhere (Pekko's removal margin). */
  private static Duration removalMargin(com.typesafe.config.Config config) {
    String margin = "pekko.cluster.down-removal-margin";
    return config.getString(margin).equals("off")
        ? config.getDuration("pekko.cluster.split-brain-resolver.stable-after")
        : config.getDuration(margin);
  }

  private Behavior<Command> sweep() {
    Map<TaskStatus, java.time.Instant> finishedBefore = new HashMap<>();
    settings.retention().forEach((status, age) -> finishedBefore.put(status, clock.instant().minus(age)));
    getContext().pipeToSelf(
        index.purgeFinished(fromBucket, toBucket, finishedBefore, settings.batchSize()), Swept::new);
    return this;
  }

  private Behavior<Command> onSwept(Swept swept) {
    if (swept.failure() != null) {
      getContext().getLog().warn("retention sweep failed: {}", swept.failure().toString());
    } else if (swept.removed() > 0) {
      getContext().getLog().info("retention removed {} finished tasks", swept.removed());
      if (swept.removed() >= settings.batchSize()) {
        getContext().getSelf().tell(Tick.SWEEP);
      }
    }
    return this;
  }
}
