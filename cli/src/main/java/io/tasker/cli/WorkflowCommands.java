package io.tasker.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tasker workflow ...}. */
@Command(name = "workflow", mixinStandardHelpOptions = true,
    description = "Workflow executions: list, show, logs; start, cancel, retry.",
    subcommands = {WorkflowCommands.ListExecutions.class, WorkflowCommands.Show.class,
        WorkflowCommands.Logs.class, WorkflowCommands.Start.class, WorkflowCommands.Cancel.class,
        WorkflowCommands.Retry.class})
final class WorkflowCommands extends TaskerCli.Group {

  static String executionPath(String id) {
    return "/v1/workflow-executions/" + ApiClient.segment(id);
  }

  static void printExecution(Output out, JsonNode execution) {
    if (out.json()) {
      out.print(execution);
      return;
    }
    out.fields(execution, "id", "workflow", "version", "status", "startedAt", "endedAt", "error");
    out.line("");
    out.table(execution.path("steps"), List.of(
        Output.Column.of("STEP", "name"),
        Output.Column.of("STATUS", "status"),
        Output.Column.of("ATTEMPTS", "attempts"),
        Output.Column.of("STARTED", "startedAt"),
        Output.Column.of("ENDED", "endedAt"),
        new Output.Column("OUTPUT OR ERROR", s -> s.path("error").isTextual()
            ? s.path("error").asText() : Output.text(s.path("output")))));
    if (!execution.path("compensations").isEmpty()) {
      out.line("");
      out.line("compensations, in the order they ran:");
      out.table(execution.path("compensations"), List.of(
          Output.Column.of("UNDOES", "step"),
          Output.Column.of("STATUS", "status"),
          Output.Column.of("ATTEMPTS", "attempts"),
          Output.Column.of("TASK", "task"),
          Output.Column.of("ERROR", "error")));
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true,
      description = "Executions, newest first, filtered; one page at a time (--cursor).")
  static final class ListExecutions extends ApiCommand {
    @Option(names = "--workflow", paramLabel = "NAME", description = "Only this workflow's.")
    String workflow;

    @Option(names = "--status", paramLabel = "STATUS",
        description = "Only in this status (running, succeeded, compensated, failed, ...).")
    String status;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "50",
        description = "Page size, 1 to 500. Default: 50.")
    int limit;

    @Option(names = "--cursor", paramLabel = "CURSOR",
        description = "The nextCursor of the previous page.")
    String cursor;

    @Override
    void run(ApiClient api, Output out) {
      StringBuilder query = new StringBuilder("?limit=").append(limit);
      param(query, "workflow", workflow);
      param(query, "status", status);
      param(query, "cursor", cursor);
      JsonNode page = api.get("/v1/workflow-executions" + query);
      if (out.json()) {
        out.print(page);
        return;
      }
      out.table(page.path("executions"), List.of(
          Output.Column.of("ID", "id"),
          Output.Column.of("WORKFLOW", "workflow"),
          Output.Column.of("VERSION", "version"),
          Output.Column.of("STATUS", "status"),
          Output.Column.of("STARTED", "startedAt")));
      if (page.path("nextCursor").isTextual()) {
        spec.commandLine().getErr().println("more: --cursor " + page.get("nextCursor").asText());
        spec.commandLine().getErr().flush();
      }
    }

    private static void param(StringBuilder query, String name, String value) {
      if (value != null) {
        query.append('&').append(name).append('=')
            .append(URLEncoder.encode(value, StandardCharsets.UTF_8));
      }
    }
  }

  /** The commands that take an execution id and answer the execution. */
  abstract static class OnExecution extends ApiCommand {
    @Parameters(paramLabel = "ID", description = "The execution's id.")
    String id;

    abstract JsonNode call(ApiClient api, String path);

    @Override
    void run(ApiClient api, Output out) {
      printExecution(out, call(api, executionPath(id)));
    }
  }

  @Command(name = "show", mixinStandardHelpOptions = true,
      description = "An execution: every step with status, attempts, output or error, and the"
          + " compensations that ran.")
  static final class Show extends OnExecution {
    @Override
    JsonNode call(ApiClient api, String path) {
      return api.get(path);
    }
  }

  @Command(name = "cancel", mixinStandardHelpOptions = true,
      description = "Cancels a running execution: running steps are cancelled, then the"
          + " compensations of the succeeded ones run.")
  static final class Cancel extends OnExecution {
    @Override
    JsonNode call(ApiClient api, String path) {
      return api.post(path + "/cancel", null);
    }
  }

  @Command(name = "retry", mixinStandardHelpOptions = true,
      description = "Re-runs a FAILED execution from its failed steps.")
  static final class Retry extends OnExecution {
    @Override
    JsonNode call(ApiClient api, String path) {
      return api.post(path + "/retry", null);
    }
  }

  @Command(name = "logs", mixinStandardHelpOptions = true,
      description = "Every attempt of every step's tasks and compensations, in the order they"
          + " started: node, start, end, outcome, error.")
  static final class Logs extends ApiCommand {
    @Parameters(paramLabel = "ID", description = "The execution's id.")
    String id;

    @Override
    void run(ApiClient api, Output out) {
      JsonNode execution = api.get(executionPath(id));
      ArrayNode attempts = ApiClient.MAPPER.createArrayNode();
      for (JsonNode step : execution.path("steps")) {
        for (JsonNode task : step.path("tasks")) {
          add(attempts, api, step.get("name").asText(), task.asText());
        }
      }
      for (JsonNode undo : execution.path("compensations")) {
        if (undo.path("task").isTextual()) {
          add(attempts, api, "undo " + undo.get("step").asText(), undo.get("task").asText());
        }
      }
      List<JsonNode> sorted = new java.util.ArrayList<>();
      attempts.forEach(sorted::add);
      sorted.sort(java.util.Comparator.comparing(a -> a.path("startedAt").asText()));
      ArrayNode ordered = ApiClient.MAPPER.createArrayNode().addAll(sorted);
      if (out.json()) {
        ObjectNode logs = ApiClient.MAPPER.createObjectNode();
        logs.set("id", execution.get("id"));
        logs.set("status", execution.get("status"));
        logs.set("attempts", ordered);
        out.print(logs);
        return;
      }
      out.line(execution.get("workflow").asText() + " v" + execution.get("version").asText()
          + "  " + execution.get("status").asText());
      out.table(ordered, List.of(
          Output.Column.of("STEP", "step"),
          Output.Column.of("TASK", "task"),
          Output.Column.of("#", "attempt"),
          Output.Column.of("NODE", "node"),
          Output.Column.of("STARTED", "startedAt"),
          Output.Column.of("FINISHED", "finishedAt"),
          Output.Column.of("OUTCOME", "outcome"),
          Output.Column.of("ERROR", "errorMessage")));
    }

    private static void add(ArrayNode into, ApiClient api, String step, String taskId) {
      JsonNode task = api.get(TaskCommands.taskPath(taskId));
      for (JsonNode attempt : task.path("history")) {
        ObjectNode row = into.addObject().put("step", step).put("task", taskId);
        row.setAll((ObjectNode) attempt);
      }
    }
  }

  @Command(name = "start", mixinStandardHelpOptions = true,
      description = "Starts an execution of workflow NAME with a JSON input.")
  static final class Start extends ApiCommand {
    @Parameters(paramLabel = "NAME", description = "The workflow.")
    String name;

    @Option(names = "--input", paramLabel = "JSON|@FILE", defaultValue = "{}",
        description = "The input: JSON text, @file to read it from a file, @- from stdin.")
    String input;

    @Option(names = {"--key", "--idempotency-key"}, paramLabel = "KEY",
        description = "A repeated start with the same key returns the first execution.")
    String key;

    @Override
    void run(ApiClient api, Output out) {
      ObjectNode body = ApiClient.MAPPER.createObjectNode();
      body.set("input", json("--input", input));
      if (key != null) {
        body.put("idempotencyKey", key);
      }
      JsonNode started = api.post("/v1/workflows/" + ApiClient.segment(name) + "/executions",
          body);
      if (out.json()) {
        out.print(started);
        return;
      }
      out.fields(started, "id", "workflow", "status");
    }
  }
}
