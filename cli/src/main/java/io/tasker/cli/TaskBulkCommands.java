package io.tasker.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code task retry} and {@code task cancel}: one task by id, or every task a filter matches
 * through the API's bulk endpoints ({@code POST /v1/tasks:retry|cancel}): counted first, then
 * done after a confirmation or {@code --yes}.
 */
final class TaskBulkCommands {
  private static final Duration BULK_TIMEOUT = Duration.ofMinutes(3);

  private TaskBulkCommands() {}

  abstract static class Action extends ApiCommand {
    @Parameters(arity = "0..1", paramLabel = "ID",
        description = "The task's id; or leave it out and give a filter.")
    String id;

    @Mixin
    TaskFilter filter;

    @Option(names = {"-y", "--yes"},
        description = "Act on every matching task without asking (needed when not interactive).")
    boolean yes;

    /** "retry" or "cancel": the bulk endpoint's verb. */
    abstract String verb();

    abstract String done();

    abstract JsonNode one(ApiClient api, String path);

    @Override
    void run(ApiClient api, Output out) {
      if (id != null) {
        if (!filter.isEmpty()) {
          throw usage("give a task ID or a filter, not both");
        }
        TaskCommands.printTask(out, one(api, TaskCommands.taskPath(id)));
        return;
      }
      if (filter.isEmpty()) {
        throw usage("give a task ID or a filter (--status, --type, --queue, --from, --to)");
      }
      String endpoint = "/v1/tasks:" + verb();
      ObjectNode body = filter.json(Clock.systemUTC());
      JsonNode counted = api.post(endpoint, body.deepCopy().put("dryRun", true));
      int matched = counted.path("matched").asInt();
      PrintWriter err = spec.commandLine().getErr();
      if (matched > 0 && !yes) {
        String question = verb().substring(0, 1).toUpperCase() + verb().substring(1) + " "
            + matched + " task(s) matching " + body + "?";
        if (!root().interactive()) {
          throw usage(matched + " task(s) match " + body + "; not interactive, so nothing was"
              + " changed: add --yes to " + verb() + " them");
        }
        if (!root().confirm(err, question)) {
          throw new CliException(CliException.ExitCode.OTHER, "not confirmed; nothing changed");
        }
      }
      // the server acts on up to 10000 tasks in one request, for at most 2 minutes
      JsonNode outcome = matched == 0 ? counted : api.post(endpoint, body, BULK_TIMEOUT);
      if (out.json()) {
        out.print(outcome);
      } else {
        out.line(done() + " " + outcome.path("done").asInt() + " of "
            + outcome.path("matched").asInt() + " matching task(s); "
            + outcome.path("failed").asInt() + " refused");
      }
    }
  }

  @Command(name = "retry", mixinStandardHelpOptions = true,
      description = {"Re-runs a DEAD task, or every task a filter matches.",
          "A task re-runs with a fresh budget of attempts. With a filter (e.g. --status DEAD",
          "--type email) the tasks are counted, then retried after a confirmation or with",
          "--yes. A task that is not DEAD is refused."})
  static final class Retry extends Action {
    @Override
    String verb() {
      return "retry";
    }

    @Override
    String done() {
      return "retried";
    }

    @Override
    JsonNode one(ApiClient api, String path) {
      return api.post(path + "/retry", null);
    }
  }

  @Command(name = "cancel", mixinStandardHelpOptions = true,
      description = {"Cancels a task, or every task a filter matches.",
          "With a filter (e.g. --queue q --status SCHEDULED) the tasks are counted, then",
          "cancelled after a confirmation or with --yes. A finished task is refused."})
  static final class Cancel extends Action {
    @Override
    String verb() {
      return "cancel";
    }

    @Override
    String done() {
      return "cancelled";
    }

    @Override
    JsonNode one(ApiClient api, String path) {
      api.delete(path);
      return api.get(path);
    }
  }
}
