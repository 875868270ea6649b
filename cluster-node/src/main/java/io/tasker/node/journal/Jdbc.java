package io.tasker.node.journal;

import java.sql.Connection;
import java.sql.SQLException;

/** The one way Tasker runs several statements as one transaction. */
public final class Jdbc {
  private Jdbc() {}

  /** Statements to run together. */
  @FunctionalInterface
  public interface Work {
    void run() throws SQLException;
  }

  /**
   * Runs {@code work} in one transaction on {@code connection}: committed if it completes,
   * rolled back if it throws; the connection is in auto-commit mode again afterwards.
   */
  public static void inTransaction(Connection connection, Work work) throws SQLException {
    connection.setAutoCommit(false);
    try {
      work.run();
      connection.commit();
    } catch (SQLException | RuntimeException e) {
      connection.rollback();
      throw e;
    } finally {
      connection.setAutoCommit(true);
    }
  }
}
