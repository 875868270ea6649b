package io.tasker.examples.hello;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.Version;
import org.junit.jupiter.api.Test;

/**
 * What an application importing tasker-bom gets: every Pekko core module on its class path at
 * the version of the pekko-actor it runs (Pekko refuses mixed core versions at start). Pekko
 * HTTP, persistence-jdbc and Management have lines of their own.
 */
class OnePekkoLineTest {
  private static final Pattern PEKKO_JAR = Pattern.compile("(pekko-[a-z0-9-]+)_2\\.13-(.+)\\.jar");
  private static final Pattern OWN_LINES =
      Pattern.compile("pekko-(http|parsing|persistence-jdbc|management|discovery-kubernetes).*");

  @Test
  void everyPekkoCoreModuleIsAtOneVersion() {
    Map<String, String> core = new TreeMap<>();
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      Matcher jar = PEKKO_JAR.matcher(new File(entry).getName());
      if (jar.matches() && !OWN_LINES.matcher(jar.group(1)).matches()) {
        core.put(jar.group(1), jar.group(2));
      }
    }
    assertTrue(core.containsKey("pekko-actor") && core.containsKey("pekko-cluster-sharding-typed"),
        "the class path lacks Pekko: " + core);
    core.forEach((module, version) ->
        assertEquals(Version.current(), version, module + " is not on the line of pekko-actor"));
  }
}
