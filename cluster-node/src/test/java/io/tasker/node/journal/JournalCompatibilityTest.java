package io.tasker.node.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.tasker.node.TestJournalsAccess;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.testkit.javadsl.TestKit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Journals written by pekko-persistence-jdbc (Tasker's journal until 0.1) read the same through
 * {@link JdbcJournal}, and the other way round: an upgrade keeps every stored task.
 */
class JournalCompatibilityTest {

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void eventsOfEitherPluginReplayThroughTheOther(String database) throws Exception {
    String url = database.equals("h2")
        ? JournalSettings.h2Url(Files.createTempDirectory("tasker-journal-compat-"))
        : TestJournalsAccess.postgresUrl("journal_compat");
    Config ours = JournalTck.journalConfig(url);
    Config theirs = ConfigFactory.parseMap(Map.of(
            "pekko.persistence.journal.plugin", "jdbc-journal",
            "jdbc-journal.use-shared-db", "tasker"))
        .withFallback(ours);
    String pid = "task|compat-" + UUID.randomUUID();

    inSystem(theirs, journal -> journal.write(pid, 1, "enqueued", "started"));
    inSystem(ours, journal -> {
      assertEquals(List.of("enqueued", "started"), journal.replay(pid, 2));
      journal.write(pid, 3, "succeeded");
    });
    inSystem(theirs, journal ->
        assertEquals(List.of("enqueued", "started", "succeeded"), journal.replay(pid, 3)));
  }

  private static void inSystem(Config config, java.util.function.Consumer<JournalClient> work) {
    ActorSystem system = ActorSystem.create("compat", config);
    try {
      work.accept(new JournalClient(system));
    } finally {
      TestKit.shutdownActorSystem(system);
    }
  }
}
