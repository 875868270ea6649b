package io.tasker.node.internal;

import io.tasker.node.internal.alerts.AlertSettings;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import io.tasker.node.index.TaskWaker;
import io.tasker.node.journal.JournalSettings;
import io.tasker.node.schedule.DeclaredSchedules;
import io.tasker.node.schedule.ScheduleSettings;
import io.tasker.node.task.HandlerDefaults;
import io.tasker.protocol.Backoff;
import io.tasker.protocol.QueueLimits;
import io.tasker.protocol.TaskStatus;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The {@code tasker} section of the configuration, read once at start. */
public final class TaskerSettings {
  public final Path dataDir;
  public final String nodeName;
  public final List<String> roles;
  public final List<String> seedNodes;
  public final Bootstrap bootstrap;
  public final Management management;
  public final JournalSettings journal;
  public final HandlerDefaults handlerDefaults;
  public final int workerThreads;
  /** Most permits of one queue this node's tasks hold at once (started attempts). */
  public final int workerMaxStarted;
  public final Duration permitLease;
  public final Duration permitKeepAlive;
  /** How long a restarted or moved queue manager learns who holds permits before granting. */
  public final Duration permitStartUpGrace;
  public final Duration waitingKeepAlive;
  /** Most requests one queue manager keeps waiting in memory; beyond it tasks park. */
  public final int maxWaiting;
  public final Duration lease;
  public final Duration keepAliveWindow;
  public final Duration startAhead;
  public final int shardsPerType;
  public final double rebalanceShare;
  public final int indexPoolSize;
  public final TaskWaker.Settings waker;
  public final Duration askTimeout;
  public final Duration readyTimeout;
  public final Duration metricsRefreshInterval;
  public final AlertSettings alerts;
  public final QueueLimits queueDefaults;
  public final Map<String, QueueLimits> queues;
  public final ScheduleSettings scheduling;
  public final List<DeclaredSchedules.Declared> schedules;
  public final List<io.tasker.node.WorkflowDefinition> workflows;

  private TaskerSettings(Config tasker) {
    dataDir = Path.of(tasker.getString("data-dir"));
    nodeName = tasker.getString("node-name");
    roles = commaSeparated(tasker.getString("roles"));
    seedNodes = commaSeparated(tasker.getString("seed-nodes"));
    Config bootstrapConfig = tasker.getConfig("bootstrap");
    bootstrap = new Bootstrap(
        bootstrapConfig.getBoolean("enabled"),
        bootstrapConfig.getString("discovery-method"),
        bootstrapConfig.getString("service-name"),
        bootstrapConfig.getInt("required-contact-points"));
    management = new Management(
        bootstrap.enabled() || tasker.getBoolean("management.enabled"),
        tasker.getInt("management.port"));
    journal = JournalSettings.create(tasker.getConfig("journal"), dataDir);
    Config defaults = tasker.getConfig("defaults");
    Config backoff = defaults.getConfig("backoff");
    handlerDefaults =
        new HandlerDefaults(
            defaults.getString("queue"),
            defaults.getInt("max-attempts"),
            new Backoff(
                Backoff.Kind.valueOf(backoff.getString("kind").toUpperCase(Locale.ROOT)),
                backoff.getDuration("initial-delay"),
                backoff.getDouble("factor"),
                backoff.getDuration("max-delay"),
                backoff.getDouble("jitter")),
            defaults.getDuration("timeout"),
            List.of());
    workerThreads = tasker.getInt("worker.threads");
    workerMaxStarted = atLeast(tasker, "worker.max-started", 1);
    permitLease = tasker.getDuration("permits.lease");
    permitKeepAlive = tasker.getDuration("permits.keep-alive");
    permitStartUpGrace = permitKeepAlive.plus(tasker.getDuration("permits.start-up-margin"));
    waitingKeepAlive = tasker.getDuration("permits.waiting-keep-alive");
    maxWaiting = atLeast(tasker, "permits.max-waiting", 2);
    lease = tasker.getDuration("task.lease");
    keepAliveWindow = tasker.getDuration("task.keep-alive-window");
    startAhead = tasker.getDuration("task.start-ahead");
    shardsPerType = tasker.getInt("task.shards-per-type");
    rebalanceShare = tasker.getDouble("task.rebalance-share");
    indexPoolSize = tasker.getInt("index.pool-size");
    Config waker = tasker.getConfig("waker");
    Config retention = tasker.getConfig("retention");
    this.waker =
        new TaskWaker.Settings(
            waker.getInt("workers"),
            waker.getDuration("scan-interval"),
            waker.getDuration("lookahead"),
            waker.getInt("batch-size"),
            waker.getDuration("rewake-after"),
            Map.of(
                TaskStatus.SUCCEEDED, retention.getDuration("succeeded"),
                TaskStatus.DEAD, retention.getDuration("dead"),
                TaskStatus.CANCELLED, retention.getDuration("cancelled")),
            retention.getDuration("sweep-interval"));
    if (this.waker.lookahead().compareTo(keepAliveWindow) >= 0) {
      throw new IllegalArgumentException(
          "tasker.waker.lookahead must be shorter than tasker.task.keep-alive-window");
    }
    askTimeout = tasker.getDuration("ask-timeout");
    readyTimeout = tasker.getDuration("ready-timeout");
    metricsRefreshInterval = tasker.getDuration("metrics.refresh-interval");
    if (metricsRefreshInterval.isNegative() || metricsRefreshInterval.isZero()) {
      throw new IllegalArgumentException("tasker.metrics.refresh-interval must be positive");
    }
    alerts = AlertSettings.create(tasker.getConfig("alerts"));
    queueDefaults = limits(tasker.getConfig("queue-defaults"));
    Map<String, QueueLimits> configured = new HashMap<>();
    Config queueSection = tasker.getConfig("queues");
    for (String name : queueSection.root().keySet()) {
      try {
        configured.put(name,
            limits(queueSection.getConfig(name).withFallback(tasker.getConfig("queue-defaults"))));
      } catch (ConfigException.WrongType | ConfigException.BadValue wrong) {
        // the key alone (max-concurrency) would not say which queue
        throw new ConfigException.BadValue(wrong.origin(), "tasker.queues." + name,
            wrong.getMessage(), wrong);
      }
    }
    queues = Map.copyOf(configured);
    Config scheduling = tasker.getConfig("scheduling");
    this.scheduling = new ScheduleSettings(
        scheduling.getDuration("misfire-threshold"),
        scheduling.getInt("run-all-cap"),
        scheduling.getDuration("poll-interval"));
    if (this.scheduling.runAllCap() < 1) {
      throw new IllegalArgumentException("tasker.scheduling.run-all-cap must be at least 1");
    }
    schedules = DeclaredSchedules.read(tasker.getConfig("schedules"));
    workflows = io.tasker.node.workflow.DeclaredWorkflows.read(tasker.getConfig("workflows"));
  }

  /**
   * Cluster Bootstrap: find peers through Pekko Discovery instead of seed nodes.
   *
   * @param requiredContactPoints peers found before a new cluster may be formed
   */
  public record Bootstrap(
      boolean enabled, String discoveryMethod, String serviceName, int requiredContactPoints) {}

  /** Pekko Management HTTP (health probes, read-only cluster state; needed by bootstrap). */
  public record Management(boolean enabled, int port) {}

  /** @param config the whole configuration (the {@code tasker} section is read) */
  public static TaskerSettings create(Config config) {
    return new TaskerSettings(config.getConfig("tasker"));
  }

  /** @return the configured limits of {@code queue} */
  public QueueLimits limitsFor(String queue) {
    return queues.getOrDefault(queue, queueDefaults);
  }

  private static List<String> commaSeparated(String value) {
    return java.util.Arrays.stream(value.split(",")).map(String::trim)
        .filter(s -> !s.isEmpty()).toList();
  }

  private static QueueLimits limits(Config queue) {
    return new QueueLimits(
        queue.getInt("max-concurrency"),
        queue.getInt("max-concurrency-per-key"),
        queue.getDouble("rate"),
        queue.getInt("burst"),
        queue.getBoolean("paused"));
  }

  private static int atLeast(Config tasker, String path, int min) {
    int value = tasker.getInt(path);
    if (value < min) {
      throw new IllegalArgumentException("tasker." + path + " must be at least " + min);
    }
    return value;
  }
}
