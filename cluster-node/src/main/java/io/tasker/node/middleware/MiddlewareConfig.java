package io.tasker.node.middleware;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import io.tasker.node.MiddlewareScope;
import io.tasker.node.TaskMiddleware;
import io.tasker.node.task.MiddlewareChain;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import org.slf4j.event.Level;

/** Reads {@code tasker.middleware} and {@code tasker.tracing} into chain entries. */
public final class MiddlewareConfig {
  static final String PATH = "tasker.middleware";

  private MiddlewareConfig() {}

  /** @return whether the attempt spans are children of the send span (else linked to it) */
  public static boolean processAsChild(Config config) {
    String mode = config.getString("tasker.tracing.process-parent");
    return switch (mode) {
      case "link" -> false;
      case "parent" -> true;
      default -> throw new ConfigException.BadValue(config.origin(),
          "tasker.tracing.process-parent", "must be link or parent, not '" + mode + "'");
    };
  }

  /**
   * @param meters where {@code use = metrics} records
   * @param openTelemetry what {@code use = tracing} traces with (asked only then: {@code
   *     GlobalOpenTelemetry.get()} must not run before the application sets it)
   * @return the configured middlewares, in order
   * @throws ConfigException.BadValue naming the entry and key of a bad entry
   */
  public static List<MiddlewareChain.Entry> entries(
      Config config, MeterRegistry meters, Supplier<OpenTelemetry> openTelemetry) {
    List<? extends Config> list = config.getConfigList(PATH);
    List<MiddlewareChain.Entry> entries = new ArrayList<>(list.size());
    for (int i = 0; i < list.size(); i++) {
      Config entry = list.get(i);
      String at = PATH + "[" + i + "]";
      try {
        entries.add(new MiddlewareChain.Entry(scope(entry),
            middleware(entry, at, meters, openTelemetry, processAsChild(config))));
      } catch (ConfigException.Missing | ConfigException.WrongType e) {
        throw new ConfigException.BadValue(entry.origin(), at, e.getMessage());
      } catch (IllegalArgumentException e) {
        throw new ConfigException.BadValue(entry.origin(), at, e.getMessage());
      }
    }
    return entries;
  }

  private static MiddlewareScope scope(Config entry) {
    return new MiddlewareScope(
        entry.hasPath("queues") ? new HashSet<>(entry.getStringList("queues")) : java.util.Set.of(),
        entry.hasPath("types") ? new HashSet<>(entry.getStringList("types")) : java.util.Set.of());
  }

  private static TaskMiddleware middleware(Config entry, String at, MeterRegistry meters,
      Supplier<OpenTelemetry> openTelemetry, boolean processAsChild) {
    if (entry.hasPath("class") == entry.hasPath("use")) {
      throw new ConfigException.BadValue(entry.origin(), at,
          "give either `use` (logging, metrics, timeout, rate-limit, tracing) or `class`");
    }
    if (entry.hasPath("class")) {
      return instance(entry, at + ".class");
    }
    String use = entry.getString("use");
    return switch (use) {
      case "logging" -> new LoggingMiddleware(
          entry.hasPath("level") ? level(entry.getString("level")) : Level.INFO,
          entry.hasPath("payload") && entry.getBoolean("payload"));
      case "metrics" -> new MetricsMiddleware(meters);
      case "timeout" -> new TimeoutMiddleware(entry.getDuration("after"));
      case "rate-limit" -> {
        double perSecond = entry.getDouble("per-second");
        yield new RateLimitMiddleware(perSecond, entry.hasPath("burst")
            ? entry.getInt("burst") : (int) Math.max(1, Math.ceil(perSecond)));
      }
      case "tracing" -> new TracingMiddleware(openTelemetry.get(), processAsChild);
      default -> throw new ConfigException.BadValue(entry.origin(), at + ".use",
          "unknown middleware '" + use + "'; built-ins: logging, metrics, timeout, rate-limit,"
              + " tracing");
    };
  }

  private static Level level(String name) {
    try {
      return Level.valueOf(name.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("level must be one of ERROR, WARN, INFO, DEBUG, TRACE");
    }
  }

  private static TaskMiddleware instance(Config entry, String at) {
    String name = entry.getString("class");
    try {
      Class<?> type = Class.forName(name, true, Thread.currentThread().getContextClassLoader());
      if (!TaskMiddleware.class.isAssignableFrom(type)) {
        throw new ConfigException.BadValue(entry.origin(), at, name + " is no TaskMiddleware");
      }
      try {
        Constructor<?> withConfig = type.getConstructor(Config.class);
        return (TaskMiddleware) withConfig.newInstance(entry);
      } catch (NoSuchMethodException none) {
        return (TaskMiddleware) type.getConstructor().newInstance();
      }
    } catch (ClassNotFoundException e) {
      throw new ConfigException.BadValue(entry.origin(), at, "no class " + name);
    } catch (NoSuchMethodException e) {
      throw new ConfigException.BadValue(entry.origin(), at,
          name + " needs a public no-arg or Config-arg constructor");
    } catch (InvocationTargetException | InstantiationException | IllegalAccessException e) {
      Throwable cause = e instanceof InvocationTargetException ite ? ite.getCause() : e;
      throw new ConfigException.BadValue(entry.origin(), at,
          "could not make " + name + ": " + cause, cause);
    }
  }
}
