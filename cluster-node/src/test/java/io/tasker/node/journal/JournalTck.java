package io.tasker.node.journal;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.tasker.node.TestJournalsAccess;
import java.nio.file.Files;
import java.util.Map;
import org.apache.pekko.persistence.CapabilityFlag;
import org.apache.pekko.persistence.japi.journal.JavaJournalSpec;

/**
 * Pekko's journal plugin contract (the persistence TCK) against {@link JdbcJournal}, on H2 and
 * on PostgreSQL; {@link JdbcJournalTest} runs both specs.
 */
final class JournalTck {
  private JournalTck() {}

  static Config journalConfig(String url) {
    JournalSettings settings = new JournalSettings(url, url.startsWith("jdbc:h2:") ? "" : "postgres",
        "", 3, JournalSettings.Migrate.ON);
    SchemaMigrations.migrate(settings);
    return ConfigFactory.parseMap(Map.of(
            "pekko.persistence.journal.plugin", "tasker-journal",
            "pekko.actor.provider", "local"))
        .withFallback(settings.toPekkoConfig())
        .withFallback(ConfigFactory.load());
  }

  /** The contract on an embedded H2 file database. */
  public static final class OnH2 extends JavaJournalSpec {
    public OnH2() throws Exception {
      super(JournalTck.journalConfig(JournalSettings.h2Url(Files.createTempDirectory("tasker-tck-"))));
    }

    @Override
    public CapabilityFlag supportsRejectingNonSerializableObjects() {
      return CapabilityFlag.on();
    }
  }

  /** The contract on a real PostgreSQL. */
  public static final class OnPostgres extends JavaJournalSpec {
    public OnPostgres() {
      super(JournalTck.journalConfig(TestJournalsAccess.postgresUrl("journal_tck")));
    }

    @Override
    public CapabilityFlag supportsRejectingNonSerializableObjects() {
      return CapabilityFlag.on();
    }
  }

}
