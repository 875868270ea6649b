package io.tasker.node.internal;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import java.util.Map;

/**
 * The Pekko settings Tasker needs (split brain resolver, serialization bindings, passivation,
 * journal plugin, ...), applied when Tasker builds its actor system. They are not in Tasker's
 * {@code reference.conf}: there they would compete with Pekko's own {@code reference.conf} for
 * the same keys, and the class-path order would decide (an application could silently run
 * without downing).
 *
 * <p>Precedence, highest first:
 *
 * <ol>
 *   <li>settings Tasker derives from {@code tasker.*} (roles, seed nodes, journal connection,
 *       management port);
 *   <li>the application's own settings ({@code application.conf}, system properties, a {@code
 *       Config} given to the builder): an explicit choice, e.g. another downing strategy, wins;
 *   <li>Tasker's required settings ({@value #RESOURCE}, and those of {@code tasker-management});
 *   <li>the defaults of Pekko and other libraries (every {@code reference.conf}).
 * </ol>
 *
 * A value counts as the application's when it does not come from a {@code reference.conf}.
 */
public final class PekkoSettings {
  /** Tasker's required Pekko settings, on the class path (not a {@code reference.conf}). */
  public static final String RESOURCE = "io/tasker/node/pekko.conf";

  private PekkoSettings() {}

  /** @return Tasker's required Pekko settings, resolved ({@code TASKER_HOST}, {@code TASKER_PORT}) */
  public static Config required() {
    return ConfigFactory.parseResources(PekkoSettings.class.getClassLoader(), RESOURCE).resolve();
  }

  /**
   * @param config the application's configuration over the libraries' defaults, resolved
   * @return {@code config} with {@link #required()} over the libraries' defaults
   */
  public static Config applyTo(Config config) {
    return applyTo(config, required());
  }

  /**
   * @param config the application's configuration over the libraries' defaults, resolved
   * @param required settings to apply to every key the application left at its default
   * @return {@code config} with {@code required} between the application's settings and the
   *     libraries' defaults
   */
  public static Config applyTo(Config config, Config required) {
    Config layer = required;
    for (Map.Entry<String, ConfigValue> entry : required.entrySet()) {
      ConfigValue current = valueAt(config, entry.getKey());
      if (current != null && !isLibraryDefault(current.origin())) {
        layer = layer.withoutPath(entry.getKey()); // the application chose
      }
    }
    return layer.withFallback(config);
  }

  /** @return the value at {@code path}, also a {@code null} one (with its origin), or null */
  private static ConfigValue valueAt(Config config, String path) {
    ConfigValue value = config.root();
    for (String key : ConfigUtil.splitPath(path)) {
      if (!(value instanceof ConfigObject object) || (value = object.get(key)) == null) {
        return null;
      }
    }
    return value;
  }

  private static boolean isLibraryDefault(ConfigOrigin origin) {
    String resource = origin.resource();
    return resource != null && (resource.equals("reference.conf")
        || resource.endsWith("/reference.conf"));
  }
}
