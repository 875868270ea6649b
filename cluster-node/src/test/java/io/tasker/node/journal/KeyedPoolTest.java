package io.tasker.node.journal;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariDataSource;
import io.tasker.node.TestJournalsAccess;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/**
 * A journal without statistics (a new database), read by key while it holds a few events and
 * again once it has grown: the session's plan, made while the table was nearly empty, scans the
 * whole table on a general pool and uses the key on the journal's keyed pool.
 */
class KeyedPoolTest {
  private static final String COLUMNS = "persistence_id, sequence_number, writer,"
      + " write_timestamp, adapter_manifest, event_ser_id, event_ser_manifest, event_payload";

  @Test
  void aGrowingJournalIsReadByKeyOnTheKeyedPoolOnly() throws SQLException {
    assertTrue(planAfterGrowth("keyed_pool_general", false).contains("Seq Scan"));
    assertFalse(planAfterGrowth("keyed_pool_keyed", true).contains("Seq Scan"));
  }

  private static String planAfterGrowth(String database, boolean keyed) throws SQLException {
    JournalSettings journal = new JournalSettings(TestJournalsAccess.postgresUrl(database),
        "postgres", "", 1, JournalSettings.Migrate.ON);
    SchemaMigrations.migrate(journal);
    try (HikariDataSource pool = keyed
            ? journal.keyedDataSource("keyed", 1) : journal.dataSource("general", 1);
        Connection connection = pool.getConnection();
        Statement statement = connection.createStatement()) {
      statement.execute(insert(3));
      statement.execute("PREPARE read_events(varchar[], bigint) AS SELECT * FROM event_journal"
          + " WHERE persistence_id = ANY($1) AND sequence_number >= $2"
          + " ORDER BY persistence_id, sequence_number");
      String ids = "ARRAY['Task|1', 'Task|2']::varchar[]";
      for (int i = 0; i < 6; i++) { // PostgreSQL settles on a plan for all after five
        statement.execute("EXECUTE read_events(" + ids + ", 0)");
      }
      statement.execute(insert(20_000));
      StringBuilder plan = new StringBuilder();
      try (ResultSet rs = statement.executeQuery("EXPLAIN EXECUTE read_events(" + ids + ", 0)")) {
        while (rs.next()) {
          plan.append(rs.getString(1)).append('\n');
        }
      }
      return plan.toString();
    }
  }

  private static String insert(int events) {
    return "INSERT INTO event_journal (" + COLUMNS + ") SELECT 'Task|' || g, 1, 'w', 0, '', 1,"
        + " 'E', '\\x00' FROM generate_series(1, " + events + ") g"
        + " ON CONFLICT DO NOTHING";
  }
}
