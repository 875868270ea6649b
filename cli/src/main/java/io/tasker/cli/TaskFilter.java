package io.tasker.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** Which tasks: the filters of {@code task list} and of the bulk {@code task retry|cancel}. */
final class TaskFilter {
  /** Task statuses, as the API names them. */
  enum Status { SCHEDULED, RUNNING, SUCCEEDED, DEAD, CANCELLED }

  @Option(names = "--queue", paramLabel = "QUEUE", description = "Only tasks of this queue.")
  String queue;

  @Option(names = "--type", paramLabel = "TYPE", description = "Only tasks of this type.")
  String type;

  @Option(names = "--status", paramLabel = "STATUS",
      description = "Only tasks in this status: ${COMPLETION-CANDIDATES} (any case).")
  Status status;

  @Option(names = {"--from", "--created-from"}, paramLabel = "TIME",
      description = "Only tasks created at or after TIME: a date-time with offset"
          + " (2026-12-01T09:00:00Z) or a time ago (30m, 2h, 1d).")
  String from;

  @Option(names = {"--to", "--created-before"}, paramLabel = "TIME",
      description = "Only tasks created before TIME (as --from).")
  String to;

  boolean isEmpty() {
    return queue == null && type == null && status == null && from == null && to == null;
  }

  /** @return the filters as the API's field names and values, unset ones left out */
  Map<String, String> fields(Clock clock) {
    Map<String, String> fields = new LinkedHashMap<>();
    if (queue != null) {
      fields.put("queue", queue);
    }
    if (type != null) {
      fields.put("type", type);
    }
    if (status != null) {
      fields.put("status", status.name());
    }
    if (from != null) {
      fields.put("createdFrom", Times.instant(from, "--from", clock.instant()));
    }
    if (to != null) {
      fields.put("createdBefore", Times.instant(to, "--to", clock.instant()));
    }
    return fields;
  }

  ObjectNode json(Clock clock) {
    ObjectNode body = ApiClient.MAPPER.createObjectNode();
    fields(clock).forEach(body::put);
    return body;
  }

  /** @return the query string of GET /v1/tasks, starting with '?' or empty */
  String query(Clock clock, Map<String, String> more) {
    Map<String, String> all = new LinkedHashMap<>(fields(clock));
    all.putAll(more);
    StringBuilder query = new StringBuilder();
    all.forEach((name, value) -> query.append(query.length() == 0 ? '?' : '&').append(name)
        .append('=').append(ApiClient.segment(value)));
    return query.toString();
  }

  @Override
  public String toString() {
    return fields(Clock.systemUTC()).toString();
  }
}
