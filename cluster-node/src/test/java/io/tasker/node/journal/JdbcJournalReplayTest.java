package io.tasker.node.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.node.TextNode;
import com.typesafe.config.ConfigFactory;
import io.tasker.protocol.Backoff;
import io.tasker.protocol.TaskSpec;
import io.tasker.protocol.Validation;
import io.tasker.protocol.ValidationException;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.persistence.JournalProtocol;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.testkit.javadsl.TestKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Events are read back on the journal's reader threads, ahead of the replay that asks for them:
 * the replay still hands on exactly the events in its bounds, and an event that cannot be read
 * fails its entity's recovery only if the replay reaches it. Specs are taken as stored.
 */
class JdbcJournalReplayTest {
  private static final Duration PATIENCE = Duration.ofSeconds(30);

  private String url;
  private ActorSystem system;
  private JournalClient journal;

  @BeforeEach
  void start() throws Exception {
    url = JournalSettings.h2Url(Files.createTempDirectory("tasker-journal-replay-"));
    system = ActorSystem.create("replay", ConfigFactory.parseString(
            "pekko.actor.serialization-bindings"
                + " {\"io.tasker.protocol.TaskerSerializable\" = jackson-cbor}")
        .withFallback(JournalTck.journalConfig(url)));
    journal = new JournalClient(system);
  }

  @AfterEach
  void stop() {
    TestKit.shutdownActorSystem(system);
  }

  @Test
  void replaysExactlyTheEventsWithinFromToAndMaxAfterADeletion() {
    String pid = "task|bounds";
    journal.write(pid, 1, "e1", "e2", "e3", "e4", "e5", "e6");
    journal.probe().send(journal.journal(), new JournalProtocol.DeleteMessagesTo(pid, 2,
        journal.probe().getRef()));
    journal.probe().expectMsgClass(PATIENCE, org.apache.pekko.persistence.DeleteMessagesSuccess.class);

    assertEquals(List.of("e3", "e4", "e5", "e6"), replay(pid, 1, Long.MAX_VALUE, Long.MAX_VALUE));
    assertEquals(List.of("e3", "e4"), replay(pid, 1, 4, Long.MAX_VALUE));
    assertEquals(List.of("e4", "e5"), replay(pid, 4, 6, 2));
    assertEquals(List.of(), replay(pid, 3, 6, 0));
  }

  @Test
  void anUnreadableEventFailsTheReplayOnlyIfTheReplayReachesIt() throws Exception {
    String pid = "task|unreadable";
    journal.write(pid, 1, "e1", "e2");
    try (Connection connection = DriverManager.getConnection(url, "", "")) {
      // a manifest no class answers to: jackson-cbor cannot read the row
      JournalTable.insertAll(connection, JournalSettings.Dialect.H2,
          List.of(new JournalRow(pid, 3, "w", 0,
          SerializationExtension.get(system).serializerFor(TaskSpec.class).identifier(),
          "io.tasker.NoSuchEvent", new byte[] {1, 2, 3}, false)));
    }
    assertEquals(List.of("e1", "e2"), replay(pid, 1, 2, Long.MAX_VALUE));
    assertEquals(List.of("e1"), replay(pid, 1, Long.MAX_VALUE, 1));

    journal.requestReplay(pid, 1, Long.MAX_VALUE, Long.MAX_VALUE);
    assertEquals("e1", replayed(journal.probe().receiveOne(PATIENCE)));
    assertEquals("e2", replayed(journal.probe().receiveOne(PATIENCE)));
    assertInstanceOf(JournalProtocol.ReplayMessagesFailure.class,
        journal.probe().receiveOne(PATIENCE));
  }

  @Test
  void aStoredSpecBeyondTodaysLimitsRecoversAsStored() {
    Map<String, String> metadata = new HashMap<>();
    for (int i = 0; i <= Validation.MAX_METADATA_ENTRIES; i++) {
      metadata.put("k" + i, "v");
    }
    // accepted under looser limits than today's: more metadata, a higher priority
    TaskSpec stored = new TaskSpec("echo", "default", TextNode.valueOf("hi"),
        Validation.MAX_PRIORITY + 1, Instant.parse("2026-01-01T00:00:00Z"), 3,
        Backoff.fixed(Duration.ofSeconds(1)), Duration.ofSeconds(5), null, null, metadata);
    assertThrows(ValidationException.class, stored::validated);
    String pid = "task|stored-spec";
    journal.write(pid, 1, stored);

    assertEquals(List.of(stored), replay(pid, 1, Long.MAX_VALUE, Long.MAX_VALUE));
  }

  private List<Object> replay(String pid, long from, long to, long max) {
    journal.requestReplay(pid, from, to, max);
    List<Object> events = new ArrayList<>();
    while (true) {
      Object reply = journal.probe().receiveOne(PATIENCE);
      if (reply instanceof JournalProtocol.ReplayedMessage message) {
        events.add(message.persistent().payload());
      } else {
        assertInstanceOf(JournalProtocol.RecoverySuccess.class, reply);
        return events;
      }
    }
  }

  private static Object replayed(Object reply) {
    return assertInstanceOf(JournalProtocol.ReplayedMessage.class, reply).persistent().payload();
  }
}
