package io.tasker.node;

import io.tasker.node.internal.PekkoSettings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.jackson.JacksonCborSerializer;
import org.junit.jupiter.api.Test;

/**
 * Tasker's Pekko settings come from the node, not from class-path order: a node built from
 * the libraries' reference.conf alone (no application.conf, where this module's tests include
 * them) still runs the split brain resolver and CBOR for Tasker's messages, and an application's
 * explicit setting still wins.
 */
class PekkoSettingsTest {
  private static final String SBR = "org.apache.pekko.cluster.sbr.SplitBrainResolverProvider";

  @Test
  void nodeAppliesTaskerSettingsOverPekkoDefaultsAndUnderTheApplications() throws Exception {
    Config application = ConfigFactory.parseString(
            "pekko.cluster.split-brain-resolver.stable-after = 7s")
        .withFallback(ConfigFactory.defaultReference());
    assertEquals("", application.getString("pekko.cluster.downing-provider-class"),
        "Pekko's own default, no Tasker setting in any reference.conf");
    try (TaskerNode node = TestJournals.h2(Tasker.builder(), "pekko-settings")
        .config(application).start()) {
      Config pekko = node.system().settings().config();
      assertEquals(SBR, pekko.getString("pekko.cluster.downing-provider-class"));
      assertEquals("keep-majority",
          pekko.getString("pekko.cluster.split-brain-resolver.active-strategy"));
      assertEquals(Duration.ofSeconds(7),
          pekko.getDuration("pekko.cluster.split-brain-resolver.stable-after"));
      assertEquals("jackson-cbor", pekko.getString(
          "pekko.actor.serialization-bindings.\"io.tasker.protocol.TaskerSerializable\""));
      assertTrue(SerializationExtension.get(node.system().classicSystem())
          .serializerFor(ScheduleView.class) instanceof JacksonCborSerializer);
      assertFalse(pekko.getBoolean("pekko.actor.allow-java-serialization"));
      assertEquals("none", pekko.getString("pekko.cluster.sharding.passivation.strategy"));
      assertEquals("tasker", pekko.getString("jdbc-snapshot-store.use-shared-db"));
      // Pekko refuses to start on mixed core versions unless this is off: the node started
      assertTrue(pekko.getBoolean("pekko.fail-mixed-versions"));
    }
  }

  @Test
  void applicationsExplicitChoiceWins() {
    Config application = ConfigFactory.parseString(String.join("\n",
            "pekko.cluster.downing-provider-class = \"\"",
            "pekko.persistence.max-concurrent-recoveries = 7"))
        .withFallback(ConfigFactory.defaultReference()).resolve();
    Config applied = PekkoSettings.applyTo(application);
    assertEquals("", applied.getString("pekko.cluster.downing-provider-class"));
    assertEquals(7, applied.getInt("pekko.persistence.max-concurrent-recoveries"));
    assertEquals("keep-majority",
        applied.getString("pekko.cluster.split-brain-resolver.active-strategy"));
  }

  @Test
  void requiredSettingsWinOverLibraryDefaults() {
    Config applied = PekkoSettings.applyTo(ConfigFactory.defaultReference().resolve());
    assertEquals(SBR, applied.getString("pekko.cluster.downing-provider-class"));
    assertEquals("cluster", applied.getString("pekko.actor.provider"));
    assertEquals("tasker-journal", applied.getString("pekko.persistence.journal.plugin"));
    assertEquals(500, applied.getInt("pekko.persistence.max-concurrent-recoveries"));
    assertEquals(0, applied.getInt("pekko.remote.artery.canonical.port"));
    // null in pekko-persistence-jdbc's reference.conf: a library default like any other
    assertEquals("tasker", applied.getString("jdbc-snapshot-store.use-shared-db"));
  }
}
