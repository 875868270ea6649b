package io.tasker.node.internal.alerts;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import io.tasker.node.AlertEvent.Alert;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * The {@code tasker.alerts} section: how often to check, which task type (if any) to enqueue
 * per alert event, and per-queue thresholds (0 switches a threshold off).
 */
public record AlertSettings(
    Duration checkInterval, String taskType, Thresholds defaults, Map<String, Thresholds> queues) {

  /** One queue's thresholds; a threshold of 0 is off. */
  public record Thresholds(long depth, long dueWaiting, long dead, double errorRate,
      Duration errorRateWindow, Duration latenessP99, Duration latenessWindow) {

    /** @return the threshold of {@code alert}, 0 when off */
    public double of(Alert alert) {
      return switch (alert) {
        case DEPTH -> depth;
        case DUE_WAITING -> dueWaiting;
        case DEAD -> dead;
        case ERROR_RATE -> errorRate;
        case LATENESS_P99 -> latenessP99.toNanos() / 1e9;
      };
    }

    /** @return whether any threshold checked on the task index is on */
    public boolean any() {
      return depth > 0 || dueWaiting > 0 || dead > 0 || errorRate > 0;
    }

    /** @return whether the per-node lateness alert is on */
    public boolean latenessOn() {
      return !latenessP99.isZero();
    }

    static Thresholds read(Config config, String path) {
      try {
        Thresholds read = new Thresholds(config.getLong("depth"), config.getLong("due-waiting"),
            config.getLong("dead"), config.getDouble("error-rate"),
            config.getDuration("error-rate-window"), config.getDuration("lateness-p99"),
            config.getDuration("lateness-window"));
        if (read.depth < 0 || read.dueWaiting < 0 || read.dead < 0 || read.errorRate < 0
            || read.errorRate > 1) {
          throw new IllegalArgumentException(path
              + ": thresholds must not be negative, and error-rate is a share (0 to 1)");
        }
        if (read.errorRate > 0 && (read.errorRateWindow.isNegative() || read.errorRateWindow.isZero())) {
          throw new IllegalArgumentException(path + ".error-rate-window must be positive");
        }
        if (read.latenessP99.isNegative() || (read.latenessOn()
            && (read.latenessWindow.isNegative() || read.latenessWindow.isZero()))) {
          throw new IllegalArgumentException(
              path + ": lateness-p99 must not be negative, lateness-window must be positive");
        }
        return read;
      } catch (ConfigException.WrongType | ConfigException.BadValue wrong) {
        throw new ConfigException.BadValue(wrong.origin(), path, wrong.getMessage(), wrong);
      }
    }
  }

  /** @param alerts the {@code tasker.alerts} section */
  public static AlertSettings create(Config alerts) {
    Duration interval = alerts.getDuration("check-interval");
    if (interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException("tasker.alerts.check-interval must be positive");
    }
    Config defaultsSection = alerts.getConfig("defaults");
    Thresholds defaults = Thresholds.read(defaultsSection, "tasker.alerts.defaults");
    Map<String, Thresholds> queues = new HashMap<>();
    Config queueSection = alerts.getConfig("queues");
    for (String name : queueSection.root().keySet()) {
      String path = "tasker.alerts.queues." + name;
      try {
        queues.put(name, Thresholds.read(
            queueSection.getConfig("\"" + name + "\"").withFallback(defaultsSection), path));
      } catch (ConfigException.WrongType wrong) {
        throw new ConfigException.BadValue(wrong.origin(), path, wrong.getMessage(), wrong);
      }
    }
    return new AlertSettings(interval, alerts.getString("task-type").trim(), defaults,
        Map.copyOf(queues));
  }

  /** @return the thresholds of {@code queue}: its own entry, else the defaults */
  public Thresholds of(String queue) {
    return queues.getOrDefault(queue, defaults);
  }

  /** @return whether any queue has a lateness threshold (checked by each node) */
  public boolean latenessEnabled() {
    return defaults.latenessOn() || queues.values().stream().anyMatch(Thresholds::latenessOn);
  }

  /** @return whether any queue has a threshold checked on the index (by the singleton) */
  public boolean enabled() {
    return defaults.any() || queues.values().stream().anyMatch(Thresholds::any);
  }
}
