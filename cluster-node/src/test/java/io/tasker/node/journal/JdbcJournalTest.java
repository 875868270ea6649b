package io.tasker.node.journal;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.scalatest.tools.Runner;

/** Runs Pekko's journal TCK (ScalaTest) for {@link JdbcJournal} from JUnit. */
class JdbcJournalTest {

  @Test
  void passesPekkosJournalContractOnH2() {
    assertTrue(runSpec(JournalTck.OnH2.class), "TCK failures above (ScalaTest output)");
  }

  @Test
  void passesPekkosJournalContractOnPostgres() {
    assertTrue(runSpec(JournalTck.OnPostgres.class), "TCK failures above (ScalaTest output)");
  }

  private static boolean runSpec(Class<?> spec) {
    // -oW: report to stdout without colour; -s: run this suite
    return Runner.run(new String[] {"-oW", "-s", spec.getName()});
  }
}
