package io.tasker.node.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.tasker.node.TestJournalsAccess;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.IntStream;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.persistence.JournalProtocol;
import org.apache.pekko.testkit.javadsl.TestKit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

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
      JournalClient journal = new JournalClient(system);
      String run = UUID.randomUUID().toString();
      journal.write("taken-" + run, 1, "first");

      // all at once, so that they queue up behind one another and share transactions
      for (int i = 0; i < WRITERS; i++) {
        String pid = i == CONFLICTING ? "taken-" + run : "p-" + run + "-" + i;
        journal.send(i, pid, 1, "event-" + i);
      }
      List<Object> replies = new ArrayList<>();
      for (int i = 0; i < 2 * WRITERS; i++) {
        replies.add(journal.probe().receiveOne(Duration.ofSeconds(30)));
      }
      List<Integer> failed = replies.stream()
          .filter(JournalProtocol.WriteMessageFailure.class::isInstance)
          .map(r -> ((JournalProtocol.WriteMessageFailure) r).actorInstanceId()).toList();
      long succeeded = replies.stream()
          .filter(JournalProtocol.WriteMessageSuccess.class::isInstance).count();
      assertEquals(List.of(CONFLICTING), failed);
      assertEquals(WRITERS - 1, succeeded);

      // recoveries at once too: each gets its own event, "taken" only its first
      String[] pids = IntStream.of(0, 1, CONFLICTING, WRITERS - 1)
          .mapToObj(i -> i == CONFLICTING ? "taken-" + run : "p-" + run + "-" + i)
          .toArray(String[]::new);
      journal.requestReplay(pids);
      List<String> replayed = new ArrayList<>();
      int recovered = 0;
      while (recovered < pids.length) {
        Object reply = journal.probe().receiveOne(Duration.ofSeconds(30));
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
}
