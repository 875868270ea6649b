package io.tasker.node.internal.alerts;

import io.tasker.node.AlertEvent;
import io.tasker.node.index.JdbcTaskIndex.FinishedAttempts;
import io.tasker.protocol.QueueCounts;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.stream.Stream;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.ddata.Key;
import org.apache.pekko.cluster.ddata.ORSet;
import org.apache.pekko.cluster.ddata.ORSetKey;
import org.apache.pekko.cluster.ddata.SelfUniqueAddress;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;
import org.apache.pekko.cluster.ddata.typed.javadsl.ReplicatorMessageAdapter;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.SingletonActor;

/**
 * Checks the alert thresholds every {@code tasker.alerts.check-interval}, once for the cluster:
 * a cluster singleton reads the task index (one count query, plus one query on the finished
 * tasks per error-rate window) and hands the changes {@link AlertRules} finds to {@link
 * AlertEffects}. A check still waiting for the database skips the next one.
 *
 * <p>The alerts firing are also kept in a replicated set (Distributed Data, written locally and
 * gossiped): a singleton that starts on another node (its predecessor left or crashed) takes
 * them over instead of firing them again. The set is in memory only, so after a restart of the
 * whole cluster, or a crash within a gossip round of a change, an alert still above its
 * threshold fires once more.
 */
public final class AlertMonitor extends AbstractBehavior<AlertMonitor.Command> {
  /** The alerts firing, as {@link AlertRules#id}s, replicated to every node. */
  public static final Key<ORSet<String>> FIRING = ORSetKey.create("tasker-alerts-firing");

  /** Where the signals come from: the task index. */
  public interface Signals {
    CompletionStage<List<QueueCounts>> counts(Instant now);

    CompletionStage<List<FinishedAttempts>> finishedAttempts(Instant since);
  }

  sealed interface Command {}

  private enum Check implements Command { INSTANCE }

  private record Resumed(Set<String> firing) implements Command {}

  private record Checked(
      List<QueueCounts> counts, Map<String, Double> errorRates, Instant at, Throwable failure)
      implements Command {}

  private record Replicated() implements Command {}

  private final AlertSettings settings;
  private final Signals signals;
  private final Clock clock;
  private final AlertEffects effects;
  private final AlertRules rules;
  private final TimerScheduler<Command> timers;
  private final ReplicatorMessageAdapter<Command, ORSet<String>> replicator;
  private final SelfUniqueAddress self;
  private boolean checking;

  /** Starts the singleton on this node's side (a no-op when no threshold is on). */
  public static void init(ActorSystem<?> system, AlertSettings settings, Signals signals,
      Clock clock, AlertEffects effects) {
    if (!settings.enabled()) {
      return;
    }
    Behavior<Command> monitor = Behaviors.supervise(Behaviors.<Command>setup(context ->
            Behaviors.withTimers(timers -> DistributedData.withReplicatorMessageAdapter(
                (ReplicatorMessageAdapter<Command, ORSet<String>> replicator) ->
                    new AlertMonitor(context, settings, signals, clock, effects, timers,
                        replicator)))))
        .onFailure(SupervisorStrategy.restartWithBackoff(
            Duration.ofSeconds(1), Duration.ofSeconds(30), 0.2));
    ClusterSingleton.get(system).init(SingletonActor.of(monitor, "tasker-alerts"));
  }

  private AlertMonitor(ActorContext<Command> context, AlertSettings settings, Signals signals,
      Clock clock, AlertEffects effects, TimerScheduler<Command> timers,
      ReplicatorMessageAdapter<Command, ORSet<String>> replicator) {
    super(context);
    this.settings = settings;
    this.signals = signals;
    this.clock = clock;
    this.effects = effects;
    this.rules = new AlertRules(settings);
    this.timers = timers;
    this.replicator = replicator;
    this.self = DistributedData.get(context.getSystem()).selfUniqueAddress();
    // checks start once the firing set is read: none may fire what a predecessor fired
    replicator.askGet(replyTo -> new Replicator.Get<>(FIRING, Replicator.readLocal(), replyTo),
        response -> new Resumed(response instanceof Replicator.GetSuccess<ORSet<String>> found
            ? found.get(FIRING).getElements() : Set.of()));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Resumed.class, this::onResumed)
        .onMessageEquals(Check.INSTANCE, this::onCheck)
        .onMessage(Checked.class, this::onChecked)
        .onMessage(Replicated.class, replicated -> this)
        .onSignal(PostStop.class, stop -> {
          effects.stopped();
          return this;
        })
        .build();
  }

  private Behavior<Command> onResumed(Resumed resumed) {
    rules.resume(resumed.firing(), clock.instant()).forEach(effects::resumed);
    timers.startTimerWithFixedDelay(Check.INSTANCE, Duration.ZERO, settings.checkInterval());
    return this;
  }

  private Behavior<Command> onCheck() {
    if (checking) {
      return this;
    }
    checking = true;
    Instant now = clock.instant();
    CompletableFuture<List<QueueCounts>> counts = signals.counts(now).toCompletableFuture();
    Map<Duration, CompletableFuture<List<FinishedAttempts>>> finished = new HashMap<>();
    List<AlertSettings.Thresholds> all = new ArrayList<>(settings.queues().values());
    all.add(settings.defaults());
    for (AlertSettings.Thresholds thresholds : all) {
      if (thresholds.errorRate() > 0) {
        finished.computeIfAbsent(thresholds.errorRateWindow(),
            window -> signals.finishedAttempts(now.minus(window)).toCompletableFuture());
      }
    }
    CompletableFuture<?> both = CompletableFuture.allOf(
        Stream.concat(Stream.of(counts), finished.values().stream())
            .toArray(CompletableFuture[]::new));
    getContext().pipeToSelf(both, (ignored, failure) -> {
      if (failure != null) {
        return new Checked(List.of(), Map.of(), now, failure);
      }
      Map<String, Double> rates = new HashMap<>();
      for (QueueCounts queue : counts.join()) {
        errorRate(queue.queue(), finished).ifPresent(rate -> rates.put(queue.queue(), rate));
      }
      return new Checked(counts.join(), rates, now, null);
    });
    return this;
  }

  private Optional<Double> errorRate(
      String queue, Map<Duration, CompletableFuture<List<FinishedAttempts>>> finished) {
    CompletableFuture<List<FinishedAttempts>> inWindow =
        finished.get(settings.of(queue).errorRateWindow());
    if (inWindow == null) {
      return Optional.empty();
    }
    return inWindow.join().stream().filter(f -> f.queue().equals(queue)).findFirst()
        .map(FinishedAttempts::errorRate);
  }

  private Behavior<Command> onChecked(Checked checked) {
    checking = false;
    if (checked.failure() != null) {
      getContext().getLog().debug("alerts not checked: {}", checked.failure().toString());
      return this;
    }
    for (AlertEvent event : rules.check(checked.counts(), checked.errorRates(), checked.at())) {
      String id = AlertRules.id(event);
      boolean firing = event.state() == AlertEvent.State.FIRING;
      replicator.askUpdate(replyTo -> new Replicator.Update<>(FIRING, ORSet.empty(),
              Replicator.writeLocal(), replyTo,
              set -> firing ? set.add(self, id) : set.remove(self, id)),
          response -> new Replicated());
      effects.deliver(event);
    }
    return this;
  }
}
