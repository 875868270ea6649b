package io.tasker.node.index;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * The columns of {@code tasker_task_index}, in table order, with how each is read from an {@link
 * IndexRow} and bound. Those a task's events never change after its first row (its id, kind,
 * queue, limits and creation) are left out of updates: fewer parameters and arrays to build,
 * send and unnest per row.
 */
enum TaskIndexColumn {
  TASK_ID("VARCHAR(128)", "varchar", String.class, false, row -> row.task().id().value()),
  BUCKET("SMALLINT", "int2", Short.class, false, row -> (short) row.bucket()),
  TYPE("VARCHAR(64)", "varchar", String.class, false, row -> row.task().type()),
  QUEUE("VARCHAR(64)", "varchar", String.class, false, row -> row.task().queue()),
  STATUS("VARCHAR(16)", "varchar", String.class, true, row -> row.task().status().name()),
  PRIORITY("INTEGER", "int4", Integer.class, true, row -> row.task().priority()),
  RUN_AT(Time.TYPE, "int8", Long.class, true, row -> row.task().runAt()),
  WAKE_AT(Time.TYPE, "int8", Long.class, true, IndexRow::wakeAt),
  LEASE_UNTIL(Time.TYPE, "int8", Long.class, true, IndexRow::leaseUntil),
  ATTEMPTS("INTEGER", "int4", Integer.class, true, row -> row.task().attempts()),
  MAX_ATTEMPTS("INTEGER", "int4", Integer.class, false, row -> row.task().maxAttempts()),
  CONCURRENCY_KEY("VARCHAR(256)", "varchar", String.class, false,
      row -> row.task().concurrencyKey()),
  CREATED_AT(Time.TYPE, "int8", Long.class, false, row -> row.task().createdAt()),
  UPDATED_AT(Time.TYPE, "int8", Long.class, true, row -> row.task().updatedAt()),
  SEQ_NR("BIGINT", "int8", Long.class, true, IndexRow::seqNr);

  /** Every column, in table order. */
  static final List<TaskIndexColumn> ALL = List.of(values());
  /** The columns an update writes: those a later event may change. */
  static final List<TaskIndexColumn> CHANGING =
      Arrays.stream(values()).filter(column -> column.changes).toList();

  private static final class Time {
    static final String TYPE = "TIMESTAMP WITH TIME ZONE";
  }

  final String sqlType;
  /**
   * The element type of this column's array in the PostgreSQL statements: times go as
   * microseconds since the epoch. Typed Java arrays are sent in PostgreSQL's binary format;
   * arrays of objects and times as text cost the driver and the server a text encoding and
   * parsing of every element.
   */
  final String arrayType;
  private final Class<?> elementClass;
  private final boolean changes;
  private final Function<IndexRow, Object> value;

  TaskIndexColumn(String sqlType, String arrayType, Class<?> elementClass, boolean changes,
      Function<IndexRow, Object> value) {
    this.sqlType = sqlType;
    this.arrayType = arrayType;
    this.elementClass = elementClass;
    this.changes = changes;
    this.value = value;
  }

  String sqlName() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  boolean isTime() {
    return sqlType.equals(Time.TYPE);
  }

  /** Binds this column of {@code row} as parameter {@code index}. */
  void bind(PreparedStatement statement, int index, IndexRow row) throws SQLException {
    Object v = value.apply(row);
    if (isTime()) {
      TaskIndexTable.setTime(statement, index, (Instant) v);
    } else if (v == null) {
      statement.setNull(index, Types.VARCHAR);
    } else {
      statement.setObject(index, v);
    }
  }

  /** @return this column of {@code rows} as a typed SQL array */
  java.sql.Array array(Connection connection, List<IndexRow> rows) throws SQLException {
    Object[] values = (Object[]) java.lang.reflect.Array.newInstance(elementClass, rows.size());
    for (int i = 0; i < values.length; i++) {
      Object v = value.apply(rows.get(i));
      values[i] = isTime() ? micros((Instant) v) : v;
    }
    return connection.createArrayOf(arrayType, values);
  }

  /** Rounded to the microsecond, as PostgreSQL rounds a time it parses. */
  private static Long micros(Instant time) {
    if (time == null) {
      return null;
    }
    return Math.addExact(Math.multiplyExact(time.getEpochSecond(), 1_000_000L),
        (time.getNano() + 500) / 1_000);
  }
}
