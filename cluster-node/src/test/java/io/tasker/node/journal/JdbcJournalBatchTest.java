package io.tasker.node.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.tasker.node.TestJournalsAccess;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.persistence.AtomicWrite;
import org.apache.pekko.persistence.JournalProtocol;
import org.apache.pekko.persistence.Persistence;
import org.apache.pekko.persistence.PersistentEnvelope;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.testkit.javadsl.TestKit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import scala.jdk.javaapi.CollectionConverters;

/**
 * What the TCK does not cover: many entities' writes share one transaction, and one entity's
 * failing write must fail that entity alone; batched recoveries must give each entity its own
 * events.
 */
class JdbcJournalBatchTest {
  private static final int WRITERS = 200;
  private static final int CONFLICTING = 100;

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void aConflictingWriteFailsAloneAndEveryEntityRecoversItsOwnEvents(String database)
      throws Exception {
    String url = database.equals("h2")
        ? JournalSettings.h2Url(Files.createTempDirectory("tasker-journal-batch-"))
        : TestJournalsAccess.postgresUrl("journal_batch");
    ActorSystem system = ActorSystem.create("batch", JournalTck.journalConfig(url));
    try {
      TestKit probe = new TestKit(system);
      Persistence persistence = Persistence.get(system);
      ActorRef journal = persistence.journalFor(null, persistence.journalFor$default$2());
      String run = Long.toString(System.nanoTime());

      write(journal, probe, 0, "taken-" + run, "first");
      probe.expectMsgClass(JournalProtocol.WriteMessagesSuccessful$.class);
      probe.expectMsgClass(JournalProtocol.WriteMessageSuccess.class);

      // all at once, so that they queue up behind one another and share transactions
      for (int i = 0; i < WRITERS; i++) {
        String pid = i == CONFLICTING ? "taken-" + run : "p-" + run + "-" + i;
        write(journal, probe, i, pid, "event-" + i);
      }
      List<Object> replies = new ArrayList<>();
      for (int i = 0; i < 2 * WRITERS; i++) {
        replies.add(probe.receiveOne(Duration.ofSeconds(30)));
      }
      List<Integer> failed = replies.stream()
          .filter(JournalProtocol.WriteMessageFailure.class::isInstance)
          .map(r -> ((JournalProtocol.WriteMessageFailure) r).actorInstanceId()).toList();
      long succeeded = replies.stream()
          .filter(JournalProtocol.WriteMessageSuccess.class::isInstance).count();
      assertEquals(List.of(CONFLICTING), failed);
      assertEquals(WRITERS - 1, succeeded);

      // recoveries at once too: each gets its own event, "taken" only its first
      for (int i : IntStream.of(0, 1, CONFLICTING, WRITERS - 1).toArray()) {
        String pid = i == CONFLICTING ? "taken-" + run : "p-" + run + "-" + i;
        journal.tell(new JournalProtocol.ReplayMessages(1, Long.MAX_VALUE, Long.MAX_VALUE, pid,
            probe.getRef()), ActorRef.noSender());
      }
      List<String> replayed = new ArrayList<>();
      int recovered = 0;
      while (recovered < 4) {
        Object reply = probe.receiveOne(Duration.ofSeconds(30));
        if (reply instanceof JournalProtocol.ReplayedMessage message) {
          replayed.add(message.persistent().persistenceId().replace(run, "") + "="
              + message.persistent().payload());
        } else {
          JournalProtocol.RecoverySuccess success =
              assertInstanceOf(JournalProtocol.RecoverySuccess.class, reply);
          assertEquals(1, success.highestSequenceNr());
          recovered++;
        }
      }
      assertEquals(List.of("p--0=event-0", "p--199=event-199", "p--1=event-1", "taken-=first"),
          replayed.stream().sorted().toList());
    } finally {
      TestKit.shutdownActorSystem(system);
    }
  }

  private static void write(ActorRef journal, TestKit probe, int instance, String pid, String event) {
    PersistentRepr repr =
        PersistentRepr.apply(event, 1, pid, "", false, ActorRef.noSender(), "writer-" + instance);
    List<PersistentEnvelope> writes = List.of(AtomicWrite.apply(repr));
    journal.tell(new JournalProtocol.WriteMessages(
        CollectionConverters.asScala(writes).toList(), probe.getRef(), instance), ActorRef.noSender());
  }
}
