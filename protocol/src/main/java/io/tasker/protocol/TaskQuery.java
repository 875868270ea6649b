package io.tasker.protocol;

import java.time.Instant;

/**
 * Which tasks to list, and how. Filters left {@code null} match everything.
 *
 * @param queue only tasks of this queue
 * @param status only tasks in this status
 * @param type only tasks of this type
 * @param createdFrom only tasks created at or after this instant
 * @param createdBefore only tasks created before this instant
 * @param order the sort order
 * @param limit page size, 1 to {@link #MAX_LIMIT}
 * @param cursor from the previous page's {@link TaskPage#nextCursor()}, or {@code null} for the
 *     first page
 */
public record TaskQuery(
    String queue, TaskStatus status, String type, Instant createdFrom, Instant createdBefore,
    Order order, int limit, String cursor) {

  public static final int MAX_LIMIT = 500;

  /** Sort orders. */
  public enum Order {
    /** Most recently created first. */
    NEWEST,
    /** Earliest run time first. */
    RUN_AT
  }

  /** @throws ValidationException naming the offending field */
  public TaskQuery {
    if (queue != null) {
      Validation.name("queue", queue);
    }
    if (type != null) {
      Validation.name("type", type);
    }
    if (createdFrom != null && createdBefore != null && !createdFrom.isBefore(createdBefore)) {
      throw new ValidationException("createdBefore", "must be after createdFrom");
    }
    order = order == null ? Order.NEWEST : order;
    Validation.range("limit", limit, 1, MAX_LIMIT);
  }

  /** A query without a time range. */
  public TaskQuery(
      String queue, TaskStatus status, String type, Order order, int limit, String cursor) {
    this(queue, status, type, null, null, order, limit, cursor);
  }

  /** @return the first page of up to 50 tasks, newest first, unfiltered */
  public static TaskQuery all() {
    return new TaskQuery(null, null, null, Order.NEWEST, 50, null);
  }

  /** @return whether a task created at {@code createdAt} is in the time range */
  public boolean createdInRange(Instant createdAt) {
    return (createdFrom == null || !createdAt.isBefore(createdFrom))
        && (createdBefore == null || createdAt.isBefore(createdBefore));
  }

  public TaskQuery inQueue(String value) {
    return new TaskQuery(value, status, type, createdFrom, createdBefore, order, limit, cursor);
  }

  public TaskQuery withStatus(TaskStatus value) {
    return new TaskQuery(queue, value, type, createdFrom, createdBefore, order, limit, cursor);
  }

  public TaskQuery ofType(String value) {
    return new TaskQuery(queue, status, value, createdFrom, createdBefore, order, limit, cursor);
  }

  /** Only tasks created in {@code [from, before)}; either may be {@code null} (open). */
  public TaskQuery createdBetween(Instant from, Instant before) {
    return new TaskQuery(queue, status, type, from, before, order, limit, cursor);
  }

  public TaskQuery orderBy(Order value) {
    return new TaskQuery(queue, status, type, createdFrom, createdBefore, value, limit, cursor);
  }

  public TaskQuery limit(int value) {
    return new TaskQuery(queue, status, type, createdFrom, createdBefore, order, value, cursor);
  }

  public TaskQuery after(String value) {
    return new TaskQuery(queue, status, type, createdFrom, createdBefore, order, limit, value);
  }
}
