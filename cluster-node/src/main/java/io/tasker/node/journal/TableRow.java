package io.tasker.node.journal;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * A row of a table beside the journal (an index the waker scans) that the journal writes in the
 * transaction of the event it comes with (see {@link EventWithRow}): the row and its event commit
 * together or not at all, so the row never disagrees with the events it reflects.
 */
public interface TableRow {

  /** @return the statements that write rows of this kind (one instance per kind) */
  Writer writer();

  /** Writes rows of one kind inside the journal's transaction. */
  interface Writer {
    /**
     * @param rows rows of this writer's kind, in the order of their events
     * @throws SQLException to fail the events these rows came with (they are then retried one
     *     write at a time, so a row that cannot be written fails only its own event)
     */
    void writeAll(Connection connection, JournalSettings.Dialect dialect, List<TableRow> rows)
        throws SQLException;

    /**
     * Writes {@code row} and inserts its {@code event} in one statement that commits on its own
     * ({@code connection} is in auto-commit mode): one round trip where a transaction takes
     * three, for the lone writes of a moderate load. Both are written or neither.
     *
     * @return false if nothing was written (this kind cannot, or the row needs {@link
     *     #writeAll}'s checks): the journal then writes both in a transaction
     */
    default boolean writeAlone(Connection connection, JournalSettings.Dialect dialect,
        TableRow row, JournalRow event) throws SQLException {
      return false;
    }
  }
}
