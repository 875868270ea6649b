package io.tasker.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The README's configuration reference lists every {@code tasker.*} key of the {@code
 * reference.conf} files on this class path (the node's, the gateway's and the server's), and no
 * key they lack. In the table's first column, {@code a.{b,c}} stands for {@code a.b} and {@code a.c}, and
 * {@code a.<name>.…} for the entries of the map {@code a} (empty in reference.conf).
 */
class ConfigReferenceTest {
  private static final Path README = Path.of("../README.md");
  private static final Pattern CODE = Pattern.compile("`(tasker\\.[^`]+)`");
  private static final Pattern BRACES = Pattern.compile("\\{([^{}]*)}");

  @Test
  void readmeListsExactlyTheKeysOfReferenceConf() throws IOException {
    Set<String> defined = new TreeSet<>();
    // not defaultReference(): it carries system properties (surefire sets some under tasker.)
    collect("tasker", ConfigFactory.parseResources("reference.conf").resolve().getObject("tasker"),
        defined);
    Set<String> documented = documented();
    Set<String> missing = new TreeSet<>(defined);
    missing.removeAll(documented);
    Set<String> gone = new TreeSet<>(documented);
    gone.removeAll(defined);
    assertTrue(missing.isEmpty() && gone.isEmpty(),
        "README.md, Configuration: add " + missing + "; remove (no longer in reference.conf) "
            + gone);
  }

  /** Leaves by path; an empty object (a map users fill, like queues) by its own path. */
  private static void collect(String path, ConfigObject object, Set<String> keys) {
    if (object.isEmpty()) {
      keys.add(path);
    }
    for (Map.Entry<String, ConfigValue> entry : object.entrySet()) {
      String key = path + "." + entry.getKey();
      if (entry.getValue() instanceof ConfigObject inner) {
        collect(key, inner, keys);
      } else {
        keys.add(key);
      }
    }
  }

  /** @return the keys in the first column of the tables of the README's Configuration section */
  private static Set<String> documented() throws IOException {
    String readme = Files.readString(README);
    int start = readme.indexOf("\n## Configuration\n");
    assertTrue(start >= 0, "README.md has no '## Configuration' section");
    int end = readme.indexOf("\n## ", start + 1);
    Set<String> keys = new TreeSet<>();
    for (String line : readme.substring(start, end < 0 ? readme.length() : end).split("\n")) {
      if (!line.startsWith("| `tasker.")) {
        continue;
      }
      Matcher code = CODE.matcher(line.split("\\|")[1]);
      while (code.find()) {
        expand(code.group(1)).forEach(key -> keys.add(key.replaceAll("\\.<[a-z]+>.*$", "")));
      }
    }
    return keys;
  }

  private static List<String> expand(String key) {
    Matcher braces = BRACES.matcher(key);
    if (!braces.find() || key.contains("<")) {
      return List.of(key);
    }
    List<String> keys = new ArrayList<>();
    for (String part : braces.group(1).split(",")) {
      keys.addAll(expand(key.substring(0, braces.start()) + part.trim()
          + key.substring(braces.end())));
    }
    return keys;
  }

  @Test
  void expandsBracesAndMaps() {
    assertEquals(List.of("tasker.a.b", "tasker.a.c"), expand("tasker.a.{b,c}"));
    assertEquals(List.of("tasker.queues.<name>.{…}"), expand("tasker.queues.<name>.{…}"));
  }
}
