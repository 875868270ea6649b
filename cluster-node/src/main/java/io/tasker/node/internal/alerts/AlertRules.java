package io.tasker.node.internal.alerts;

import io.tasker.node.AlertEvent;
import io.tasker.node.AlertEvent.Alert;
import io.tasker.node.AlertEvent.State;
import io.tasker.protocol.QueueCounts;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The alerts' hysteresis, in values: an alert of a queue is firing from the check whose value
 * exceeds its threshold to the first check whose value does not. {@link #check} answers only
 * the changes, so a signal that stays above its threshold fires once, and fires again only
 * after it was resolved. One instance per checker (the cluster's singleton, each node's
 * lateness watch), used from one thread at a time.
 */
public final class AlertRules {
  private record Key(String queue, Alert alert) {}

  private final AlertSettings settings;
  private final Set<Key> firing = new HashSet<>();

  public AlertRules(AlertSettings settings) {
    this.settings = settings;
  }

  /**
   * Takes over alerts a predecessor reported firing (as {@link #id}s), without events: they
   * resolve, or fire again, only through later checks. Unknown ids are ignored.
   *
   * @return the alerts taken over, as events in state {@code FIRING}
   */
  public List<AlertEvent> resume(Set<String> ids, Instant now) {
    List<AlertEvent> resumed = new ArrayList<>();
    for (String id : ids) {
      int bar = id.lastIndexOf('|');
      if (bar < 0) {
        continue;
      }
      String queue = id.substring(0, bar);
      try {
        Alert alert = Alert.valueOf(id.substring(bar + 1));
        if (firing.add(new Key(queue, alert))) {
          resumed.add(new AlertEvent(queue, alert, State.FIRING, Double.NaN,
              settings.of(queue).of(alert), now));
        }
      } catch (IllegalArgumentException unknown) {
        // an alert this version no longer has
      }
    }
    return resumed;
  }

  /** @return how an alert is named in the replicated set of firing alerts */
  public static String id(AlertEvent event) {
    return event.queue() + "|" + event.alert().name();
  }

  /**
   * @param counts the index's counts per queue (a queue absent has no tasks)
   * @param errorRates per queue, the share of failed attempts in its window (absent: no data)
   * @param now the time of the check
   * @return the alerts that start or end with this check
   */
  public List<AlertEvent> check(
      List<QueueCounts> counts, Map<String, Double> errorRates, Instant now) {
    Map<String, QueueCounts> byQueue = new HashMap<>();
    counts.forEach(c -> byQueue.put(c.queue(), c));
    Set<String> queues = new TreeSet<>(byQueue.keySet());
    queues.addAll(settings.queues().keySet());
    firing.forEach(key -> queues.add(key.queue()));
    List<AlertEvent> changes = new ArrayList<>();
    for (String queue : queues) {
      QueueCounts count = byQueue.getOrDefault(queue, new QueueCounts(queue, Map.of()));
      observe(queue, Alert.DEPTH, count.depth(), now).ifPresent(changes::add);
      observe(queue, Alert.DUE_WAITING, count.dueWaiting(), now).ifPresent(changes::add);
      observe(queue, Alert.DEAD, count.dead(), now).ifPresent(changes::add);
      observe(queue, Alert.ERROR_RATE, errorRates.getOrDefault(queue, 0.0), now)
          .ifPresent(changes::add);
    }
    return changes;
  }

  /**
   * @param lateness per queue, this node's p99 lateness in seconds (absent: no attempts)
   * @return the lateness alerts that start or end with this check
   */
  public List<AlertEvent> checkLateness(Map<String, Double> lateness, Instant now) {
    Set<String> queues = new TreeSet<>(lateness.keySet());
    firing.forEach(key -> queues.add(key.queue()));
    List<AlertEvent> changes = new ArrayList<>();
    for (String queue : queues) {
      observe(queue, Alert.LATENESS_P99, lateness.getOrDefault(queue, 0.0), now)
          .ifPresent(changes::add);
    }
    return changes;
  }

  private Optional<AlertEvent> observe(String queue, Alert alert, double value, Instant now) {
    double threshold = settings.of(queue).of(alert);
    Key key = new Key(queue, alert);
    boolean above = threshold > 0 && value > threshold;
    if (above && firing.add(key)) {
      return Optional.of(new AlertEvent(queue, alert, State.FIRING, value, threshold, now));
    } else if (!above && firing.remove(key)) {
      return Optional.of(new AlertEvent(queue, alert, State.RESOLVED, value, threshold, now));
    }
    return Optional.empty();
  }
}
