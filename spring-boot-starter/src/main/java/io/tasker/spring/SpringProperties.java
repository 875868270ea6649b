package io.tasker.spring;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName.Form;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.EnumerablePropertySource;
import org.springframework.core.env.PropertySource;
import org.springframework.core.env.SystemEnvironmentPropertySource;

/**
 * The {@code tasker.*} and {@code pekko.*} properties of a Spring environment (application.yml,
 * command line, test properties, ...) as a Typesafe {@link Config}, key for key: whatever
 * Tasker's {@code reference.conf} names can be set from Spring, with no second list of keys.
 * YAML lists become HOCON lists; {@code [a.b]} keys stay one key.
 *
 * <p>Environment variables are left out here: Spring would read {@code TASKER_BOOTSTRAP} as
 * {@code tasker.bootstrap}, an object in Tasker's configuration. Tasker reads its own ({@code
 * TASKER_DB_URL}, ...) through {@code reference.conf}.
 */
final class SpringProperties {
  private static final Set<String> ROOTS = Set.of("tasker", "pekko");
  private static final String ORIGIN = "Spring Boot properties";

  private SpringProperties() {}

  static Config toConfig(ConfigurableEnvironment environment) {
    Map<String, Object> tree = new LinkedHashMap<>();
    Set<String> seen = new HashSet<>();
    for (PropertySource<?> source : environment.getPropertySources()) {
      if (!(source instanceof EnumerablePropertySource<?> enumerable)
          || source instanceof SystemEnvironmentPropertySource) {
        continue;
      }
      for (String name : enumerable.getPropertyNames()) {
        ConfigurationPropertyName key = ConfigurationPropertyName.adapt(name, '.');
        if (key.getNumberOfElements() > 1 && ROOTS.contains(key.getElement(0, Form.ORIGINAL))
            && seen.add(name)) {
          String value = environment.getProperty(name); // placeholders resolved, first source wins
          if (value != null) {
            put(tree, key, value);
          }
        }
      }
    }
    return ConfigValueFactory.fromMap(plain(tree), ORIGIN).toConfig();
  }

  /** Elements of a YAML list by index, until {@link #plain} makes them a list. */
  private static final class Indexed extends TreeMap<Integer, Object> {}

  @SuppressWarnings("unchecked")
  private static void put(Map<String, Object> tree, ConfigurationPropertyName key, String value) {
    Map<Object, Object> node = (Map<Object, Object>) (Map<?, ?>) tree;
    int last = key.getNumberOfElements() - 1;
    for (int i = 0; i <= last; i++) {
      Object element = element(key, i);
      if (i == last) {
        // a more specific key wins over a scalar at its parent (an empty YAML map reads as "")
        node.putIfAbsent(element, value);
        return;
      }
      Object child = node.get(element);
      if (!(child instanceof Map)) {
        child = key.isNumericIndex(i + 1) ? new Indexed() : new LinkedHashMap<String, Object>();
        node.put(element, child);
      }
      node = (Map<Object, Object>) child;
    }
  }

  private static Object element(ConfigurationPropertyName key, int i) {
    String original = key.getElement(i, Form.ORIGINAL);
    return key.isNumericIndex(i) ? (Object) Integer.valueOf(original) : original;
  }

  private static Map<String, Object> plain(Map<?, ?> map) {
    Map<String, Object> copy = new LinkedHashMap<>();
    map.forEach((k, v) -> copy.put(String.valueOf(k), plainValue(v)));
    return copy;
  }

  private static Object plainValue(Object value) {
    if (value instanceof Indexed indexed) {
      List<Object> list = new ArrayList<>();
      indexed.values().forEach(v -> list.add(plainValue(v)));
      return list;
    }
    return value instanceof Map<?, ?> map ? plain(map) : value;
  }
}
