package io.tasker.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tasker queue ...}. */
@Command(name = "queue", mixinStandardHelpOptions = true,
    description = "Queues: depth by status, running tasks, limits; pause, resume, change limits.",
    subcommands = {QueueCommands.ListQueues.class, QueueCommands.Stats.class,
        QueueCommands.Pause.class, QueueCommands.Resume.class, QueueCommands.Limits.class})
final class QueueCommands extends TaskerCli.Group {

  static String queuePath(String name) {
    return "/v1/queues/" + ApiClient.segment(name);
  }

  static void printQueue(Output out, JsonNode queue) {
    if (out.json()) {
      out.print(queue);
      return;
    }
    out.fields(queue, "name", "running", "waiting", "startsPerSecond", "settling", "version");
    JsonNode limits = queue.path("limits");
    out.line("paused:          " + Output.text(limits.path("paused")));
    out.line("limits:          concurrency " + Output.text(limits.path("maxConcurrency"))
        + ", per key " + Output.text(limits.path("maxConcurrencyPerKey"))
        + ", rate " + Output.text(limits.path("rate")) + "/s, burst "
        + Output.text(limits.path("burst")));
    StringBuilder tasks = new StringBuilder();
    queue.path("tasks").properties().forEach(e -> tasks.append(tasks.length() == 0 ? "" : ", ")
        .append(e.getKey()).append(' ').append(Output.text(e.getValue())));
    out.line("tasks:           " + tasks);
  }

  @Command(name = "list", mixinStandardHelpOptions = true,
      description = "Every queue that has tasks (and default), with depth and limits.")
  static final class ListQueues extends ApiCommand {
    @Override
    void run(ApiClient api, Output out) {
      JsonNode queues = api.get("/v1/queues");
      if (out.json()) {
        out.print(queues);
        return;
      }
      out.table(queues.path("queues"), List.of(
          Output.Column.of("NAME", "name"),
          new Output.Column("PAUSED", q -> Output.text(q.path("limits").path("paused"))),
          Output.Column.of("RUNNING", "running"),
          new Output.Column("SCHEDULED", q -> Output.text(q.path("tasks").path("SCHEDULED"))),
          new Output.Column("SUCCEEDED", q -> Output.text(q.path("tasks").path("SUCCEEDED"))),
          new Output.Column("DEAD", q -> Output.text(q.path("tasks").path("DEAD"))),
          new Output.Column("CONCURRENCY",
              q -> Output.text(q.path("limits").path("maxConcurrency"))),
          new Output.Column("RATE", q -> Output.text(q.path("limits").path("rate")))));
    }
  }

  @Command(name = "stats", mixinStandardHelpOptions = true,
      description = "One queue: tasks by status, running, waiting, limits.")
  static final class Stats extends ApiCommand {
    @Parameters(paramLabel = "NAME", description = "The queue.")
    String name;

    @Override
    void run(ApiClient api, Output out) {
      printQueue(out, api.get(queuePath(name)));
    }
  }

  @Command(name = "pause", mixinStandardHelpOptions = true,
      description = "No task of the queue starts until resumed; running ones finish.")
  static final class Pause extends ApiCommand {
    @Parameters(paramLabel = "NAME", description = "The queue.")
    String name;

    @Override
    void run(ApiClient api, Output out) {
      printQueue(out, api.post(queuePath(name) + "/pause", null));
    }
  }

  @Command(name = "resume", mixinStandardHelpOptions = true,
      description = "Resumes a paused queue.")
  static final class Resume extends ApiCommand {
    @Parameters(paramLabel = "NAME", description = "The queue.")
    String name;

    @Override
    void run(ApiClient api, Output out) {
      printQueue(out, api.post(queuePath(name) + "/resume", null));
    }
  }

  @Command(name = "limits", mixinStandardHelpOptions = true,
      description = "Changes a queue's limits at run time (stored; outlasts restarts). Options"
          + " left out keep their value.")
  static final class Limits extends ApiCommand {
    @Parameters(paramLabel = "NAME", description = "The queue.")
    String name;

    @Option(names = "--concurrency", paramLabel = "N",
        description = "Most tasks of the queue running at once, cluster-wide.")
    Integer concurrency;

    @Option(names = "--per-key", paramLabel = "N",
        description = "Most running at once per concurrency key.")
    Integer perKey;

    @Option(names = "--rate", paramLabel = "PER_SECOND",
        description = "Most task starts per second; 0 is unlimited.")
    Double rate;

    @Option(names = "--burst", paramLabel = "N", description = "Starts allowed at once.")
    Integer burst;

    @Override
    void run(ApiClient api, Output out) {
      ObjectNode body = ApiClient.MAPPER.createObjectNode();
      if (concurrency != null) {
        body.put("maxConcurrency", concurrency);
      }
      if (perKey != null) {
        body.put("maxConcurrencyPerKey", perKey);
      }
      if (rate != null) {
        body.put("rate", rate);
      }
      if (burst != null) {
        body.put("burst", burst);
      }
      if (body.isEmpty()) {
        throw usage("give at least one of --concurrency, --per-key, --rate, --burst");
      }
      printQueue(out, api.put(queuePath(name), body));
    }
  }
}
