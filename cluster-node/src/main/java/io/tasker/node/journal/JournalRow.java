package io.tasker.node.journal;

import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;

/**
 * An event as it is stored in {@code event_journal} (the table pekko-persistence-jdbc defines,
 * which {@link JdbcJournal} reads and writes). Tags, metadata and event adapters are not used.
 *
 * @param persistenceId the entity's persistence id
 * @param sequenceNumber the event's sequence number
 * @param writer the writing incarnation (the plugin's writer UUID)
 * @param writeTimestamp epoch milliseconds
 * @param serializerId Pekko serializer of the payload
 * @param manifest the serializer's manifest of the payload
 * @param payload the serialized event
 * @param deleted deleted up to here, kept only for its sequence number
 */
public record JournalRow(
    String persistenceId,
    long sequenceNumber,
    String writer,
    long writeTimestamp,
    int serializerId,
    String manifest,
    byte[] payload,
    boolean deleted) {

  /** Serializes {@code event} as the journal plugin does (no event adapter, no tags). */
  public static JournalRow of(Serialization serialization, String persistenceId,
      long sequenceNumber, String writer, long writeTimestamp, Object event) {
    Serializer serializer = serialization.findSerializerFor(event);
    return of(serializer, Serializers.manifestFor(serializer, event), persistenceId,
        sequenceNumber, writer, writeTimestamp, event);
  }

  /**
   * {@link #of(Serialization, String, long, String, long, Object)} with the serializer and
   * manifest found already, for many events of one class.
   */
  public static JournalRow of(Serializer serializer, String manifest, String persistenceId,
      long sequenceNumber, String writer, long writeTimestamp, Object event) {
    return new JournalRow(persistenceId, sequenceNumber, writer, writeTimestamp,
        serializer.identifier(), manifest, serializer.toBinary(event), false);
  }

  /** @return the event, as the serializer that wrote it reads it back */
  public Object event(Serialization serialization) {
    return serialization.deserialize(payload, serializerId, manifest).get();
  }
}
