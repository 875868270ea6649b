package io.tasker.node.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.persistence.AtomicWrite;
import org.apache.pekko.persistence.JournalProtocol;
import org.apache.pekko.persistence.Persistence;
import org.apache.pekko.persistence.PersistentEnvelope;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.testkit.javadsl.TestKit;
import scala.jdk.javaapi.CollectionConverters;

/** Talks to a system's journal in its own protocol, as a persistent actor would. */
final class JournalClient {
  private static final Duration PATIENCE = Duration.ofSeconds(30);

  private final ActorRef journal;
  private final TestKit probe;

  JournalClient(ActorSystem system) {
    Persistence persistence = Persistence.get(system);
    this.journal = persistence.journalFor(null, persistence.journalFor$default$2());
    this.probe = new TestKit(system);
  }

  ActorRef journal() {
    return journal;
  }

  TestKit probe() {
    return probe;
  }

  /** Sends one atomic write of {@code events} from sequence number {@code from}; no waiting. */
  void send(int instance, String persistenceId, long from, Object... events) {
    List<PersistentRepr> reprs = new ArrayList<>();
    for (int i = 0; i < events.length; i++) {
      reprs.add(PersistentRepr.apply(events[i], from + i, persistenceId, "", false,
          ActorRef.noSender(), "writer-" + instance));
    }
    List<PersistentEnvelope> writes =
        List.of(AtomicWrite.apply(CollectionConverters.asScala(reprs).toList()));
    journal.tell(new JournalProtocol.WriteMessages(CollectionConverters.asScala(writes).toList(),
        probe.getRef(), instance), ActorRef.noSender());
  }

  /** Writes and waits for the journal's confirmation. */
  void write(String persistenceId, long from, Object... events) {
    send(0, persistenceId, from, events);
    // patience, not a limit: a plugin's first write (pool, Slick, class loading) on a busy
    // machine took longer than the test kit's 3 s default
    probe.expectMsgClass(PATIENCE, JournalProtocol.WriteMessagesSuccessful$.class);
    for (int i = 0; i < events.length; i++) {
      probe.expectMsgClass(PATIENCE, JournalProtocol.WriteMessageSuccess.class);
    }
  }

  /** Asks for a replay of each id at once, without waiting. */
  void requestReplay(String... persistenceIds) {
    for (String persistenceId : persistenceIds) {
      requestReplay(persistenceId, 1, Long.MAX_VALUE, Long.MAX_VALUE);
    }
  }

  /** Asks for a replay of {@code persistenceId} from, to and at most as given, without waiting. */
  void requestReplay(String persistenceId, long from, long to, long max) {
    journal.tell(new JournalProtocol.ReplayMessages(from, to, max, persistenceId, probe.getRef()),
        ActorRef.noSender());
  }

  /**
   * Replays {@code persistenceId} and checks its highest sequence number.
   *
   * @return its events' payloads in order
   */
  List<Object> replay(String persistenceId, long highest) {
    requestReplay(persistenceId);
    List<Object> events = new ArrayList<>();
    while (true) {
      Object reply = probe.receiveOne(Duration.ofSeconds(30));
      if (reply instanceof JournalProtocol.ReplayedMessage message) {
        events.add(message.persistent().payload());
      } else {
        assertEquals(highest, assertInstanceOf(JournalProtocol.RecoverySuccess.class, reply)
            .highestSequenceNr());
        return events;
      }
    }
  }
}
