package io.tasker.node;


import io.tasker.node.internal.TaskerSettings;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.tasker.node.task.HandlerDefaults;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import io.tasker.node.middleware.MiddlewareConfig;
import io.tasker.node.middleware.TracingMiddleware;
import io.tasker.node.task.HandlerRegistry;
import io.tasker.node.task.MiddlewareChain;
import io.tasker.protocol.QueueLimits;
import io.tasker.protocol.Validation;
import io.tasker.protocol.ValidationException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Configures and starts Tasker:
 *
 * <pre>{@code
 * Tasker tasker = Tasker.builder()
 *     .handler(SEND_EMAIL, (email, ctx) -> mailer.send(email), h -> h.maxAttempts(5))
 *     .queue("emails", q -> q.maxConcurrency(5).rate(10, 20))
 *     .start();
 * }</pre>
 *
 * Settings not given here come from the configuration ({@code application.conf}, system
 * properties, {@code TASKER_*} environment variables; see {@code reference.conf}).
 */
public final class TaskerBuilder {
  private record PendingHandler<P>(
      TaskType<P> type, TaskHandler<P> handler, Consumer<HandlerOptions> options) {}

  private final Map<String, PendingHandler<?>> handlers = new LinkedHashMap<>();
  private final Map<String, Consumer<QueueOptions>> queues = new LinkedHashMap<>();
  private final Map<String, Object> overrides = new HashMap<>();
  private Config config;
  private Clock clock = Clock.systemUTC();
  private MeterRegistry meterRegistry;
  private final List<MiddlewareChain.Entry> middleware = new ArrayList<>();
  private OpenTelemetry openTelemetry;
  private final List<Consumer<AlertEvent>> alertListeners = new ArrayList<>();

  TaskerBuilder() {}

  /** @return this builder, reading settings from {@code config} instead of the default load */
  public TaskerBuilder config(Config config) {
    this.config = Objects.requireNonNull(config, "config");
    return this;
  }

  /**
   * Reads settings from a file instead of {@code application.conf}: YAML ({@code .yaml}, {@code
   * .yml}) or HOCON ({@code .conf}), with the keys of {@code reference.conf}, e.g.
   *
   * <pre>{@code
   * tasker:
   *   queues:
   *     emails: {max-concurrency: 5, rate: 10}
   * }</pre>
   *
   * System properties still win over the file; the defaults fill what it leaves out.
   *
   * @return this builder
   * @throws com.typesafe.config.ConfigException.Parse naming the file and line of invalid
   *     content (a value of the wrong type is reported the same way when the node starts)
   * @throws IllegalArgumentException for another file extension
   */
  public TaskerBuilder configFile(Path file) {
    return config(ConfigFactory.load(ConfigFiles.parse(Objects.requireNonNull(file, "file"))));
  }

  /** @return this builder, keeping the embedded H2 journal under {@code dir} */
  public TaskerBuilder dataDir(Path dir) {
    overrides.put("tasker.data-dir", dir.toString());
    return this;
  }

  /** @return this builder, with the journal in the database at {@code jdbcUrl} */
  public TaskerBuilder journal(String jdbcUrl, String user, String password) {
    overrides.put("tasker.journal.url", jdbcUrl);
    overrides.put("tasker.journal.user", user);
    overrides.put("tasker.journal.password", password);
    return this;
  }

  /** @return this builder, with the node named {@code name} in attempt histories */
  public TaskerBuilder nodeName(String name) {
    overrides.put("tasker.node-name", name);
    return this;
  }

  /** @return this builder, with {@code clock} as the time source (tests use a settable one) */
  public TaskerBuilder clock(Clock clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
    return this;
  }

  /**
   * @param registry where the node's meters go, e.g. the application's own (Spring's); by
   *     default the node keeps a registry of its own ({@link TaskerNode#meterRegistry()})
   * @return this builder, recording Tasker's metrics in {@code registry}
   */
  public TaskerBuilder meterRegistry(MeterRegistry registry) {
    this.meterRegistry = Objects.requireNonNull(registry, "registry");
    return this;
  }

  /**
   * Adds a middleware for every task, after those added before it and those of {@code
   * tasker.middleware}: the first one is the outermost (see {@link TaskMiddleware}).
   *
   * @return this builder
   */
  public TaskerBuilder middleware(TaskMiddleware middleware) {
    return middleware(MiddlewareScope.all(), middleware);
  }

  /**
   * Adds a middleware for the tasks in {@code scope}, e.g. {@code MiddlewareScope.queues("emails")}.
   *
   * @return this builder
   */
  public TaskerBuilder middleware(MiddlewareScope scope, TaskMiddleware middleware) {
    this.middleware.add(new MiddlewareChain.Entry(
        Objects.requireNonNull(scope, "scope"), Objects.requireNonNull(middleware, "middleware")));
    return this;
  }

  /**
   * Traces enqueues and attempts with {@code openTelemetry} (no agent needed): the tracing
   * middleware goes first in the chain, unless {@code tasker.middleware} places it ({@code use
   * = tracing}), which then uses this instance. Without it there is no tracing, and no cost.
   *
   * @return this builder
   */
  public TaskerBuilder openTelemetry(OpenTelemetry openTelemetry) {
    this.openTelemetry = Objects.requireNonNull(openTelemetry, "openTelemetry");
    return this;
  }

  /**
   * @param listener called with each alert event (thresholds under {@code tasker.alerts}) on
   *     the node that evaluates alerts, from an actor's thread: it should return quickly
   * @return this builder, with {@code listener} added
   */
  public TaskerBuilder onAlert(Consumer<AlertEvent> listener) {
    alertListeners.add(Objects.requireNonNull(listener, "listener"));
    return this;
  }

  /** @return this builder, with {@code handler} running tasks of {@code type} */
  public <P> TaskerBuilder handler(TaskType<P> type, TaskHandler<P> handler) {
    return handler(type, handler, options -> {});
  }

  /**
   * @param options per-handler defaults, e.g. {@code h -> h.maxAttempts(5).queue("emails")}
   * @return this builder, with {@code handler} running tasks of {@code type}
   */
  public <P> TaskerBuilder handler(
      TaskType<P> type, TaskHandler<P> handler, Consumer<HandlerOptions> options) {
    Objects.requireNonNull(handler, "handler");
    if (handlers.putIfAbsent(type.name(), new PendingHandler<>(type, handler, options)) != null) {
      throw new IllegalArgumentException("a handler for '" + type.name() + "' is registered already");
    }
    return this;
  }

  /**
   * @param plugin handlers packaged as a plugin (see {@link TaskerPlugin})
   * @return this builder, with what {@code plugin} registers
   */
  public TaskerBuilder plugin(TaskerPlugin plugin) {
    plugin.register(this);
    return this;
  }

  /** @return the task types that have a handler so far, in the order they were registered */
  public Set<String> taskTypes() {
    return Collections.unmodifiableSet(new LinkedHashSet<>(handlers.keySet()));
  }

  /**
   * @param limits e.g. {@code q -> q.maxConcurrency(5).rate(10, 20)}
   * @return this builder, with these limits for {@code queue} over the configured ones
   */
  public TaskerBuilder queue(String queue, Consumer<QueueOptions> limits) {
    if (!Validation.isName(queue)) {
      throw new ValidationException("queue", "must be 1-64 letters, digits or '_.-'");
    }
    queues.put(queue, limits);
    return this;
  }

  /** Starts a cluster node (a cluster of its own unless seed nodes are configured). */
  public TaskerNode start() {
    Config resolved = resolvedConfig();
    TaskerSettings settings = TaskerSettings.create(resolved);
    MeterRegistry meters = meterRegistry != null ? meterRegistry : new CompositeMeterRegistry();
    return TaskerNode.start(resolved, settings, registry(settings, resolved, meters),
        limits(settings), clock, meters, alertListeners);
  }

  /**
   * Starts an inline instance: no cluster, no journal; handlers run in the caller's thread
   * with the same retry semantics. For tests and small apps.
   */
  public InlineTasker startInline() {
    Config resolved = resolvedConfig();
    TaskerSettings settings = TaskerSettings.create(resolved);
    MeterRegistry meters = meterRegistry != null ? meterRegistry : new CompositeMeterRegistry();
    InlineTasker tasker = new InlineTasker(registry(settings, resolved, meters), clock,
        limits(settings), settings.scheduling);
    tasker.declare(settings.schedules);
    return tasker;
  }

  private Config resolvedConfig() {
    Config base = config != null ? config : ConfigFactory.load();
    return ConfigFactory.parseMap(overrides).withFallback(base).resolve();
  }

  private HandlerRegistry registry(TaskerSettings settings, Config config, MeterRegistry meters) {
    Map<String, HandlerRegistry.Registration<?>> registrations = new LinkedHashMap<>();
    handlers.values().forEach(p -> registrations.put(p.type().name(), register(p, settings)));
    return new HandlerRegistry(registrations, Json.MAPPER, chain(config, meters));
  }

  /** The configured middlewares, then the builder's; tracing first unless configured. */
  private MiddlewareChain chain(Config config, MeterRegistry meters) {
    List<MiddlewareChain.Entry> entries = new ArrayList<>(MiddlewareConfig.entries(config, meters,
        () -> openTelemetry != null ? openTelemetry : GlobalOpenTelemetry.get()));
    boolean placed = entries.stream().anyMatch(e -> e.middleware() instanceof TracingMiddleware);
    if (openTelemetry != null && !placed) {
      entries.add(0, new MiddlewareChain.Entry(MiddlewareScope.all(), new TracingMiddleware(
          openTelemetry, MiddlewareConfig.processAsChild(config))));
    }
    entries.addAll(middleware);
    return entries.isEmpty() ? MiddlewareChain.EMPTY : new MiddlewareChain(entries);
  }

  private static <P> HandlerRegistry.Registration<P> register(
      PendingHandler<P> pending, TaskerSettings settings) {
    HandlerOptions options = new HandlerOptions(settings.handlerDefaults);
    pending.options().accept(options);
    HandlerDefaults defaults = options.build();
    return new HandlerRegistry.Registration<>(
        pending.type().name(), pending.type().payloadClass(), pending.handler(), defaults);
  }

  private java.util.function.Function<String, QueueLimits> limits(TaskerSettings settings) {
    Map<String, QueueLimits> built = new HashMap<>();
    queues.forEach(
        (name, configure) -> {
          QueueOptions options = new QueueOptions(settings.limitsFor(name));
          configure.accept(options);
          built.put(name, options.build());
        });
    return name -> built.getOrDefault(name, settings.limitsFor(name));
  }
}
