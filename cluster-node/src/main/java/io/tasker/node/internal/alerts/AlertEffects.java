package io.tasker.node.internal.alerts;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.tasker.node.AlertEvent;
import io.tasker.protocol.EnqueueRequest;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What an alert event does: one structured log line (logger {@code io.tasker.alerts}, WARN when
 * firing, INFO when resolved), the meters {@code tasker_alerts_fired_total{queue,alert}} and
 * {@code tasker_alert_active{queue,alert}}, the listeners, and, when {@code
 * tasker.alerts.task-type} is set, a task of that type.
 */
public final class AlertEffects {
  private static final Logger log = LoggerFactory.getLogger("io.tasker.alerts");

  private record Key(String queue, String alert) {}

  private final MeterRegistry registry;
  private final List<Consumer<AlertEvent>> listeners;
  private final String taskType;
  private final Function<EnqueueRequest, CompletionStage<?>> enqueue;
  private final Map<Key, AtomicInteger> active = new ConcurrentHashMap<>();

  public AlertEffects(MeterRegistry registry, List<Consumer<AlertEvent>> listeners,
      String taskType, Function<EnqueueRequest, CompletionStage<?>> enqueue) {
    this.registry = registry;
    this.listeners = List.copyOf(listeners);
    this.taskType = taskType;
    this.enqueue = enqueue;
  }

  /** Logs, counts and hands on one event. Listener failures are logged, never thrown. */
  public void deliver(AlertEvent event) {
    String alert = event.alert().key();
    String line = "alert=" + alert + " queue=" + event.queue()
        + " state=" + event.state().name().toLowerCase(Locale.ROOT)
        + " value=" + number(event.value()) + " threshold=" + number(event.threshold());
    Key key = new Key(event.queue(), alert);
    if (event.state() == AlertEvent.State.FIRING) {
      log.warn(line);
      Counter.builder("tasker.alerts.fired").description("Alerts fired (threshold crossings)")
          .tag("queue", event.queue()).tag("alert", alert).register(registry).increment();
      gauge(key).set(1);
    } else {
      log.info(line);
      gauge(key).set(0);
    }
    for (Consumer<AlertEvent> listener : listeners) {
      try {
        listener.accept(event);
      } catch (RuntimeException failure) {
        log.warn("alert listener failed on {}: {}", line, failure.toString());
      }
    }
    if (!taskType.isEmpty()) {
      enqueueTask(event, line);
    }
  }

  /** This node took over an alert that fired elsewhere: its gauge reads 1, nothing else. */
  void resumed(AlertEvent event) {
    log.info("alert={} queue={} state=firing (taken over from the previous node)",
        event.alert().key(), event.queue());
    gauge(new Key(event.queue(), event.alert().key())).set(1);
  }

  /** The node no longer evaluates alerts (singleton moved or stopped): its gauges read 0. */
  void stopped() {
    active.values().forEach(value -> value.set(0));
  }

  private void enqueueTask(AlertEvent event, String line) {
    ObjectNode payload = JsonNodeFactory.instance.objectNode()
        .put("queue", event.queue())
        .put("alert", event.alert().key())
        .put("value", event.value())
        .put("threshold", event.threshold())
        .put("state", event.state().name().toLowerCase(Locale.ROOT))
        .put("at", event.at().toString());
    try {
      enqueue.apply(EnqueueRequest.of(taskType, payload)).whenComplete((done, failure) -> {
        if (failure != null) {
          log.warn("alert task of type {} not enqueued for {}: {}", taskType, line,
              failure.toString());
        }
      });
    } catch (RuntimeException failure) {
      log.warn("alert task of type {} not enqueued for {}: {}", taskType, line,
          failure.toString());
    }
  }

  private AtomicInteger gauge(Key key) {
    return active.computeIfAbsent(key, k -> {
      AtomicInteger value = new AtomicInteger();
      Gauge.builder("tasker.alert.active", value, AtomicInteger::get)
          .description("1 while the alert fires (on the node that evaluates alerts)")
          .tag("queue", k.queue()).tag("alert", k.alert()).register(registry);
      return value;
    });
  }

  private static String number(double value) {
    return value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value);
  }
}
