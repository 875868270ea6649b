package io.tasker.node.journal;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The statements on {@code event_journal}, each for many entities at once. Callers own the
 * connection and the transaction. The quoted names work on H2 (whose schema quotes them) and
 * PostgreSQL (whose schema does not, so they are lower case there too).
 */
public final class JournalTable {
  private JournalTable() {}

  private static final String INSERT_INTO = "INSERT INTO \"event_journal\" (\"deleted\","
      + " \"persistence_id\", \"sequence_number\", \"writer\", \"write_timestamp\","
      + " \"adapter_manifest\", \"event_ser_id\", \"event_ser_manifest\", \"event_payload\")";
  private static final String INSERT = INSERT_INTO + " VALUES (false, ?, ?, ?, ?, '', ?, ?, ?)";

  private static final String SELECT_FROM = "SELECT \"persistence_id\", \"sequence_number\","
      + " \"writer\", \"write_timestamp\", \"event_ser_id\", \"event_ser_manifest\","
      + " \"event_payload\", \"deleted\" FROM \"event_journal\""
      + " WHERE \"persistence_id\" = ANY(?) AND \"sequence_number\" >= ?"
      + " ORDER BY \"persistence_id\", \"sequence_number\"";

  private static final String HIGHEST = "SELECT MAX(\"sequence_number\") FROM \"event_journal\""
      + " WHERE \"persistence_id\" = ?";

  /**
   * PostgreSQL: the rows as column arrays in one statement. A batch of single-row inserts is
   * parsed, bound and executed once per row on both sides; arrays are bound once.
   */
  private static final String INSERT_ARRAYS = INSERT_INTO
      + " SELECT false, v.p, v.s, v.w, v.t, '', v.i, v.m, v.b FROM unnest(?::varchar[],"
      + " ?::int8[], ?::varchar[], ?::int8[], ?::int4[], ?::varchar[], ?::bytea[])"
      + " WITH ORDINALITY AS v(p, s, w, t, i, m, b, n) ORDER BY v.n";

  /** Adds the rows in one batch (one statement on PostgreSQL). */
  public static void insertAll(Connection connection, JournalSettings.Dialect dialect,
      List<JournalRow> rows) throws SQLException {
    if (dialect == JournalSettings.Dialect.POSTGRES && rows.size() > 1) {
      insertAllInOneStatement(connection, rows);
      return;
    }
    try (PreparedStatement insert = connection.prepareStatement(INSERT)) {
      for (JournalRow row : rows) {
        bindOne(insert, 1, row);
        insert.addBatch();
      }
      insert.executeBatch();
    }
  }

  /**
   * @param condition SQL that decides whether the row goes in (evaluated once)
   * @return an insert of one row, whose parameters {@link #bindOne} binds, that inserts nothing
   *     unless {@code condition} holds
   */
  public static String insertOneIf(String condition) {
    return INSERT_INTO + " SELECT false, ?, ?, ?, ?, '', ?, ?, ? WHERE " + condition;
  }

  /**
   * Binds {@code row} as the parameters of a one-row insert, from {@code first}.
   *
   * @return the next parameter's index
   */
  public static int bindOne(PreparedStatement insert, int first, JournalRow row)
      throws SQLException {
    int p = first;
    insert.setString(p++, row.persistenceId());
    insert.setLong(p++, row.sequenceNumber());
    insert.setString(p++, row.writer());
    insert.setLong(p++, row.writeTimestamp());
    insert.setInt(p++, row.serializerId());
    insert.setString(p++, row.manifest());
    insert.setBytes(p++, row.payload());
    return p;
  }

  private static void insertAllInOneStatement(Connection connection, List<JournalRow> rows)
      throws SQLException {
    int n = rows.size();
    String[] ids = new String[n];
    Long[] sequenceNumbers = new Long[n];
    String[] writers = new String[n];
    Long[] timestamps = new Long[n];
    Integer[] serializers = new Integer[n];
    String[] manifests = new String[n];
    byte[][] payloads = new byte[n][];
    for (int i = 0; i < n; i++) {
      JournalRow row = rows.get(i);
      ids[i] = row.persistenceId();
      sequenceNumbers[i] = row.sequenceNumber();
      writers[i] = row.writer();
      timestamps[i] = row.writeTimestamp();
      serializers[i] = row.serializerId();
      manifests[i] = row.manifest();
      payloads[i] = row.payload();
    }
    Array[] arrays = {
      connection.createArrayOf("varchar", ids), connection.createArrayOf("int8", sequenceNumbers),
      connection.createArrayOf("varchar", writers), connection.createArrayOf("int8", timestamps),
      connection.createArrayOf("int4", serializers), connection.createArrayOf("varchar", manifests),
      connection.createArrayOf("bytea", payloads)
    };
    try (PreparedStatement insert = connection.prepareStatement(INSERT_ARRAYS)) {
      for (int c = 0; c < arrays.length; c++) {
        insert.setArray(c + 1, arrays[c]);
      }
      insert.executeUpdate();
    } finally {
      for (Array array : arrays) {
        array.free();
      }
    }
  }

  /**
   * @return the rows of {@code persistenceIds} from sequence number {@code from} on, deleted
   *     ones included, ordered by persistence id and sequence number
   */
  public static List<JournalRow> readFrom(
      Connection connection, Collection<String> persistenceIds, long from) throws SQLException {
    List<JournalRow> rows = new ArrayList<>();
    try (PreparedStatement select = connection.prepareStatement(SELECT_FROM)) {
      Array ids = connection.createArrayOf("VARCHAR", persistenceIds.toArray());
      select.setArray(1, ids);
      select.setLong(2, from);
      try (ResultSet rs = select.executeQuery()) {
        while (rs.next()) {
          rows.add(new JournalRow(rs.getString(1), rs.getLong(2), rs.getString(3), rs.getLong(4),
              rs.getInt(5), rs.getString(6), rs.getBytes(7), rs.getBoolean(8)));
        }
      } finally {
        ids.free();
      }
    }
    return rows;
  }

  /** @return those of {@code persistenceIds} that have events stored */
  public static Set<String> stored(Connection connection, Collection<String> persistenceIds)
      throws SQLException {
    Set<String> stored = new HashSet<>();
    try (PreparedStatement select = connection.prepareStatement(
        "SELECT DISTINCT \"persistence_id\" FROM \"event_journal\""
            + " WHERE \"persistence_id\" = ANY(?)")) {
      Array ids = connection.createArrayOf("VARCHAR", persistenceIds.toArray());
      select.setArray(1, ids);
      try (ResultSet rs = select.executeQuery()) {
        while (rs.next()) {
          stored.add(rs.getString(1));
        }
      } finally {
        ids.free();
      }
    }
    return stored;
  }

  /** @return the highest sequence number stored for {@code persistenceId}, or 0 */
  public static long highest(Connection connection, String persistenceId) throws SQLException {
    try (PreparedStatement select = connection.prepareStatement(HIGHEST)) {
      select.setString(1, persistenceId);
      try (ResultSet rs = select.executeQuery()) {
        return rs.next() ? rs.getLong(1) : 0;
      }
    }
  }

  /**
   * Deletes the events of {@code persistenceId} up to {@code to}; the highest stored one stays,
   * marked deleted, so the sequence numbers of an entity never go back.
   */
  public static void deleteTo(Connection connection, String persistenceId, long to)
      throws SQLException {
    long keep = Math.min(to, highest(connection, persistenceId));
    try (PreparedStatement mark = connection.prepareStatement("UPDATE \"event_journal\""
            + " SET \"deleted\" = true WHERE \"persistence_id\" = ? AND \"sequence_number\" = ?");
        PreparedStatement delete = connection.prepareStatement("DELETE FROM \"event_journal\""
            + " WHERE \"persistence_id\" = ? AND \"sequence_number\" < ?")) {
      mark.setString(1, persistenceId);
      mark.setLong(2, keep);
      mark.executeUpdate();
      delete.setString(1, persistenceId);
      delete.setLong(2, keep);
      delete.executeUpdate();
    }
  }
}
