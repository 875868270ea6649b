package io.tasker.node.journal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;

/**
 * An event as pekko-persistence-jdbc stores it in {@code event_journal} (the schema Tasker creates
 * for the plugin version it pins), for writing the first events of many new entities in one
 * statement. The plugin replays such rows like its own.
 *
 * @param persistenceId the entity's persistence id
 * @param sequenceNumber the event's sequence number
 * @param writer the writing incarnation (the plugin's writer UUID)
 * @param writeTimestamp epoch milliseconds
 * @param serializerId Pekko serializer of the payload
 * @param manifest the serializer's manifest of the payload
 * @param payload the serialized event
 */
public record JournalRow(
    String persistenceId,
    long sequenceNumber,
    String writer,
    long writeTimestamp,
    int serializerId,
    String manifest,
    byte[] payload) {

  private static final String INSERT = "INSERT INTO \"event_journal\" (\"deleted\","
      + " \"persistence_id\", \"sequence_number\", \"writer\", \"write_timestamp\","
      + " \"adapter_manifest\", \"event_ser_id\", \"event_ser_manifest\", \"event_payload\")"
      + " VALUES (false, ?, ?, ?, ?, '', ?, ?, ?)";

  /** Serializes {@code event} as the journal plugin does (no event adapter, no tags). */
  public static JournalRow of(Serialization serialization, String persistenceId,
      long sequenceNumber, String writer, long writeTimestamp, Object event) {
    Serializer serializer = serialization.findSerializerFor(event);
    return new JournalRow(persistenceId, sequenceNumber, writer, writeTimestamp,
        serializer.identifier(), Serializers.manifestFor(serializer, event),
        serializer.toBinary(event));
  }

  /** Adds the rows in one batch on {@code connection}; the caller owns the transaction. */
  public static void insertAll(Connection connection, List<JournalRow> rows) throws SQLException {
    try (PreparedStatement insert = connection.prepareStatement(INSERT)) {
      for (JournalRow row : rows) {
        insert.setString(1, row.persistenceId());
        insert.setLong(2, row.sequenceNumber());
        insert.setString(3, row.writer());
        insert.setLong(4, row.writeTimestamp());
        insert.setInt(5, row.serializerId());
        insert.setString(6, row.manifest());
        insert.setBytes(7, row.payload());
        insert.addBatch();
      }
      insert.executeBatch();
    }
  }
}
