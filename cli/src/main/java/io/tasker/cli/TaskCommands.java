package io.tasker.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tasker task ...}. */
@Command(name = "task", mixinStandardHelpOptions = true,
    description = "Look at tasks, enqueue, retry, cancel and reschedule them.",
    subcommands = {TaskCommands.Status.class, TaskCommands.ListTasks.class,
        TaskCommands.History.class, TaskBulkCommands.Retry.class, TaskBulkCommands.Cancel.class,
        TaskCommands.Reschedule.class, TaskCommands.Enqueue.class})
final class TaskCommands extends TaskerCli.Group {
  static final List<Output.Column> TASK_COLUMNS = List.of(
      Output.Column.of("ID", "id"),
      Output.Column.of("TYPE", "type"),
      Output.Column.of("QUEUE", "queue"),
      Output.Column.of("STATUS", "status"),
      new Output.Column("ATTEMPTS",
          t -> t.path("attempts").asInt() + "/" + t.path("maxAttempts").asInt()),
      Output.Column.of("RUN AT", "runAt"),
      Output.Column.of("CREATED", "createdAt"));

  static String taskPath(String id) {
    return "/v1/tasks/" + ApiClient.segment(id);
  }

  /** Prints one task: all of it as JSON, its main fields as a table. */
  static void printTask(Output out, JsonNode task) {
    if (out.json()) {
      out.print(task);
      return;
    }
    out.fields(task, "id", "type", "queue", "status", "priority", "runAt", "attempts",
        "maxAttempts", "concurrencyKey", "idempotencyKey", "createdAt", "updatedAt");
    JsonNode error = task.path("lastError");
    out.line("lastError:      " + (error.isObject()
        ? Output.text(error.path("type")) + ": " + Output.text(error.path("message")) : "-"));
    out.line("payload:        " + Output.text(task.path("payload")));
    out.line("result:         " + Output.text(task.path("result")));
  }

  @Command(name = "status", mixinStandardHelpOptions = true,
      description = "A task: status, attempts, run time, last error, payload and result.")
  static final class Status extends ApiCommand {
    @Parameters(paramLabel = "ID", description = "The task's id.")
    String id;

    @Override
    void run(ApiClient api, Output out) {
      printTask(out, api.get(taskPath(id)));
    }
  }

  @Command(name = "history", mixinStandardHelpOptions = true,
      description = "Every attempt of a task: node, start, end, outcome, error.")
  static final class History extends ApiCommand {
    @Parameters(paramLabel = "ID", description = "The task's id.")
    String id;

    @Override
    void run(ApiClient api, Output out) {
      JsonNode task = api.get(taskPath(id));
      if (out.json()) {
        ObjectNode history = ApiClient.MAPPER.createObjectNode();
        history.set("id", task.get("id"));
        history.set("status", task.get("status"));
        history.set("history", task.get("history"));
        out.print(history);
        return;
      }
      out.table(task.path("history"), List.of(
          Output.Column.of("ATTEMPT", "attempt"),
          Output.Column.of("NODE", "node"),
          Output.Column.of("STARTED", "startedAt"),
          Output.Column.of("FINISHED", "finishedAt"),
          Output.Column.of("OUTCOME", "outcome"),
          new Output.Column("ERROR", a -> a.path("errorType").isTextual()
              ? a.path("errorType").asText() + ": " + Output.text(a.path("errorMessage")) : "-")));
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true,
      description = "Tasks, newest first, filtered; one page at a time (--cursor) or --all.")
  static final class ListTasks extends ApiCommand {
    @Mixin
    TaskFilter filter;

    @Option(names = "--order", paramLabel = "ORDER", defaultValue = "newest",
        description = "newest (by creation) or run_at (earliest run time first).")
    String order;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "50",
        description = "Page size, 1 to 500. Default: 50.")
    int limit;

    @Option(names = "--cursor", paramLabel = "CURSOR",
        description = "The nextCursor of the previous page.")
    String cursor;

    @Option(names = "--all", description = "Follow the cursors to the last page.")
    boolean all;

    @Override
    void run(ApiClient api, Output out) {
      ArrayNode tasks = ApiClient.MAPPER.createArrayNode();
      String next = cursor;
      do {
        Map<String, String> paging = new LinkedHashMap<>();
        paging.put("order", order);
        paging.put("limit", Integer.toString(limit));
        if (next != null) {
          paging.put("cursor", next);
        }
        JsonNode page = api.get("/v1/tasks" + filter.query(Clock.systemUTC(), paging));
        tasks.addAll((ArrayNode) page.path("tasks"));
        next = page.path("nextCursor").isTextual() ? page.get("nextCursor").asText() : null;
      } while (all && next != null);
      if (out.json()) {
        ObjectNode page = ApiClient.MAPPER.createObjectNode();
        page.set("tasks", tasks);
        page.put("nextCursor", next);
        out.print(page);
        return;
      }
      out.table(tasks, TASK_COLUMNS);
      if (next != null) {
        spec.commandLine().getErr().println("more: --cursor " + next);
        spec.commandLine().getErr().flush();
      }
    }
  }

  @Command(name = "reschedule", mixinStandardHelpOptions = true,
      description = "Moves a scheduled task's run time and/or priority.")
  static final class Reschedule extends ApiCommand {
    @Parameters(paramLabel = "ID", description = "The task's id.")
    String id;

    @ArgGroup(exclusive = true)
    When when;

    @Option(names = "--priority", paramLabel = "N", description = "The new priority.")
    Integer priority;

    @Override
    void run(ApiClient api, Output out) {
      ObjectNode body = ApiClient.MAPPER.createObjectNode();
      if (when != null) {
        when.into(body);
      }
      if (priority != null) {
        body.put("priority", priority);
      }
      if (body.isEmpty()) {
        throw usage("give --run-at, --delay and/or --priority");
      }
      printTask(out, api.patch(taskPath(id), body));
    }
  }

  /** A run time: absolute or from now. */
  static final class When {
    @Option(names = "--run-at", paramLabel = "TIME",
        description = "Run at TIME, a date-time with offset (2026-12-01T09:00:00+01:00).")
    String runAt;

    @Option(names = "--delay", paramLabel = "DURATION",
        description = "Run this long from now: 90s, 10m, 2h, 1d or PT10M (0s: now).")
    String delay;

    void into(ObjectNode body) {
      if (runAt != null) {
        body.put("runAt", runAt);
      } else if (delay != null) {
        body.put("delay", Times.duration(delay, "--delay"));
      }
    }
  }

  @Command(name = "enqueue", mixinStandardHelpOptions = true,
      description = "Enqueues a task of TYPE with a JSON payload.")
  static final class Enqueue extends ApiCommand {
    @Parameters(paramLabel = "TYPE", description = "The task type (a handler's).")
    String type;

    @Option(names = "--payload", paramLabel = "JSON|@FILE",
        description = "The payload: JSON text, @file to read it from a file, @- from stdin.")
    String payload;

    @ArgGroup(exclusive = true)
    When when;

    @Option(names = "--priority", paramLabel = "N", description = "Higher runs first.")
    Integer priority;

    @Option(names = {"--key", "--idempotency-key"}, paramLabel = "KEY",
        description = "Idempotency key: an enqueue with a key already used returns that task.")
    String idempotencyKey;

    @Option(names = "--queue", paramLabel = "QUEUE", description = "The queue (default: the"
        + " handler's).")
    String queue;

    @Option(names = "--max-attempts", paramLabel = "N", description = "Attempts before DEAD.")
    Integer maxAttempts;

    @Option(names = "--concurrency-key", paramLabel = "KEY",
        description = "The key the queue's per-key limit counts by.")
    String concurrencyKey;

    @Override
    void run(ApiClient api, Output out) {
      ObjectNode body = ApiClient.MAPPER.createObjectNode().put("type", type);
      if (payload != null) {
        body.set("payload", json("--payload", payload));
      }
      if (when != null) {
        when.into(body);
      }
      put(body, "priority", priority);
      put(body, "maxAttempts", maxAttempts);
      if (idempotencyKey != null) {
        body.put("idempotencyKey", idempotencyKey);
      }
      if (queue != null) {
        body.put("queue", queue);
      }
      if (concurrencyKey != null) {
        body.put("concurrencyKey", concurrencyKey);
      }
      JsonNode accepted = api.post("/v1/tasks", body);
      if (out.json()) {
        out.print(accepted);
      } else {
        out.fields(accepted, "id", "status", "runAt", "created");
      }
    }

    private static void put(ObjectNode body, String field, Integer value) {
      if (value != null) {
        body.put(field, value);
      }
    }
  }
}
