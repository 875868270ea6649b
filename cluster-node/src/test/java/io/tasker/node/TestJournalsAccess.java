package io.tasker.node;

/** Lets tests in other packages reach the shared test databases. */
public final class TestJournalsAccess {
  private TestJournalsAccess() {}

  public static String postgresUrl(String name) {
    return TestJournals.postgresUrl(name);
  }
}
