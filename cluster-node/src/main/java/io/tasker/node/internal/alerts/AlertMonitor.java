package io.tasker.node.internal.alerts;

import io.tasker.node.AlertEvent;
import io.tasker.node.index.JdbcTaskIndex.FinishedAttempts;
import io.tasker.protocol.QueueCounts;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.SingletonActor;

/**
 * Checks the alert thresholds every {@code tasker.alerts.check-interval}, once for the cluster:
 * a cluster singleton reads the task index (one count query, plus one query on the finished
 * tasks per error-rate window) and hands the changes {@link AlertRules} finds to {@link
 * AlertEffects}. A check still waiting for the database skips the next one.
 *
 * <p>Its firing set lives in memory: when the singleton moves (or the cluster restarts) the new
 * one starts with every alert resolved, so an alert still above its threshold fires once more
 * on the new node, once per move, not per check.
 */
public final class AlertMonitor extends AbstractBehavior<AlertMonitor.Command> {
  /** Where the signals come from: the task index. */
  public interface Signals {
    CompletionStage<List<QueueCounts>> counts(Instant now);

    CompletionStage<List<FinishedAttempts>> finishedAttempts(Instant since);
  }

  sealed interface Command {}

  private enum Check implements Command { INSTANCE }

  private record Checked(
      List<QueueCounts> counts, Map<String, Double> errorRates, Instant at, Throwable failure)
      implements Command {}

  private final AlertSettings settings;
  private final Signals signals;
  private final Clock clock;
  private final AlertEffects effects;
  private final AlertRules rules;
  private boolean checking;

  /** Starts the singleton on this node's side (a no-op when no threshold is on). */
  public static void init(ActorSystem<?> system, AlertSettings settings, Signals signals,
      Clock clock, AlertEffects effects) {
    if (!settings.enabled()) {
      return;
    }
    Behavior<Command> monitor = Behaviors.supervise(Behaviors.<Command>setup(context ->
            Behaviors.withTimers(timers -> {
              timers.startTimerWithFixedDelay(Check.INSTANCE, settings.checkInterval());
              return new AlertMonitor(context, settings, signals, clock, effects);
            })))
        .onFailure(SupervisorStrategy.restartWithBackoff(
            Duration.ofSeconds(1), Duration.ofSeconds(30), 0.2));
    ClusterSingleton.get(system).init(SingletonActor.of(monitor, "tasker-alerts"));
  }

  private AlertMonitor(ActorContext<Command> context, AlertSettings settings, Signals signals,
      Clock clock, AlertEffects effects) {
    super(context);
    this.settings = settings;
    this.signals = signals;
    this.clock = clock;
    this.effects = effects;
    this.rules = new AlertRules(settings);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessageEquals(Check.INSTANCE, this::onCheck)
        .onMessage(Checked.class, this::onChecked)
        .onSignal(PostStop.class, stop -> {
          effects.stopped();
          return this;
        })
        .build();
  }

  private Behavior<Command> onCheck() {
    if (checking) {
      return this;
    }
    checking = true;
    Instant now = clock.instant();
    CompletableFuture<List<QueueCounts>> counts =
        signals.counts(now).toCompletableFuture();
    Map<Duration, CompletableFuture<List<FinishedAttempts>>> finished = new HashMap<>();
    for (AlertSettings.Thresholds t : thresholds()) {
      if (t.errorRate() > 0) {
        finished.computeIfAbsent(t.errorRateWindow(),
            window -> signals.finishedAttempts(now.minus(window)).toCompletableFuture());
      }
    }
    CompletableFuture<?> all = CompletableFuture.allOf(
        java.util.stream.Stream.concat(java.util.stream.Stream.of(counts),
            finished.values().stream()).toArray(CompletableFuture[]::new));
    getContext().pipeToSelf(all, (ignored, failure) -> {
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

  private List<AlertSettings.Thresholds> thresholds() {
    List<AlertSettings.Thresholds> all = new java.util.ArrayList<>(settings.queues().values());
    all.add(settings.defaults());
    return all;
  }

  private java.util.Optional<Double> errorRate(
      String queue, Map<Duration, CompletableFuture<List<FinishedAttempts>>> finished) {
    CompletableFuture<List<FinishedAttempts>> inWindow =
        finished.get(settings.of(queue).errorRateWindow());
    if (inWindow == null) {
      return java.util.Optional.empty();
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
      effects.deliver(event);
    }
    return this;
  }
}
