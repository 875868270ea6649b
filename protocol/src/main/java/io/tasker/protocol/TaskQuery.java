package io.tasker.protocol;

/**
 * Which tasks to list, and how. Filters left {@code null} match everything.
 *
 * @param queue only tasks of this queue
 * @param status only tasks in this status
 * @param type only tasks of this type
 * @param order the sort order
 * @param limit page size, 1 to {@link #MAX_LIMIT}
 * @param cursor from the previous page's {@link TaskPage#nextCursor()}, or {@code null} for the
 *     first page
 */
public record TaskQuery(
    String queue, TaskStatus status, String type, Order order, int limit, String cursor) {

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
    order = order == null ? Order.NEWEST : order;
    Validation.range("limit", limit, 1, MAX_LIMIT);
  }

  /** @return the first page of up to 50 tasks, newest first, unfiltered */
  public static TaskQuery all() {
    return new TaskQuery(null, null, null, Order.NEWEST, 50, null);
  }

  public TaskQuery inQueue(String value) {
    return new TaskQuery(value, status, type, order, limit, cursor);
  }

  public TaskQuery withStatus(TaskStatus value) {
    return new TaskQuery(queue, value, type, order, limit, cursor);
  }

  public TaskQuery ofType(String value) {
    return new TaskQuery(queue, status, value, order, limit, cursor);
  }

  public TaskQuery orderBy(Order value) {
    return new TaskQuery(queue, status, type, value, limit, cursor);
  }

  public TaskQuery limit(int value) {
    return new TaskQuery(queue, status, type, order, value, cursor);
  }

  public TaskQuery after(String value) {
    return new TaskQuery(queue, status, type, order, limit, value);
  }
}
