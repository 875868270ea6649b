package io.tasker.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code tasker schedule ...}. */
@Command(name = "schedule", mixinStandardHelpOptions = true,
    description = "Schedules: next fire times, last runs; trigger now, pause, resume.",
    subcommands = {ScheduleCommands.ListSchedules.class, ScheduleCommands.Show.class,
        ScheduleCommands.Trigger.class, ScheduleCommands.Pause.class,
        ScheduleCommands.Resume.class})
final class ScheduleCommands extends TaskerCli.Group {

  static String schedulePath(String id) {
    return "/v1/schedules/" + ApiClient.segment(id);
  }

  static void printSchedule(Output out, JsonNode schedule) {
    if (out.json()) {
      out.print(schedule);
      return;
    }
    out.fields(schedule, "id", "cron", "interval", "zone", "paused", "nextFireAt", "lastFireAt",
        "lastTaskId", "fired", "skipped", "overlap", "misfire");
    out.line("task:        " + Output.text(schedule.path("task").path("type")) + " "
        + Output.text(schedule.path("task").path("payload")));
    StringBuilder next = new StringBuilder();
    schedule.path("nextFireTimes").forEach(t -> next.append(next.length() == 0 ? "" : ", ")
        .append(t.asText()));
    out.line("next:        " + (next.length() == 0 ? "-" : next));
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "Every schedule.")
  static final class ListSchedules extends ApiCommand {
    @Override
    void run(ApiClient api, Output out) {
      JsonNode schedules = api.get("/v1/schedules");
      if (out.json()) {
        out.print(schedules);
        return;
      }
      out.table(schedules.path("schedules"), List.of(
          Output.Column.of("ID", "id"),
          new Output.Column("WHEN", s -> s.path("cron").isTextual()
              ? "cron " + s.path("cron").asText() : "every " + Output.text(s.path("interval"))),
          new Output.Column("TYPE", s -> Output.text(s.path("task").path("type"))),
          Output.Column.of("PAUSED", "paused"),
          Output.Column.of("NEXT", "nextFireAt"),
          Output.Column.of("LAST", "lastFireAt"),
          Output.Column.of("FIRED", "fired")));
    }
  }

  /** The commands that take a schedule id and answer the schedule. */
  abstract static class OnSchedule extends ApiCommand {
    @Parameters(paramLabel = "ID", description = "The schedule's id.")
    String id;

    abstract JsonNode call(ApiClient api, String path);

    @Override
    void run(ApiClient api, Output out) {
      printSchedule(out, call(api, schedulePath(id)));
    }
  }

  @Command(name = "show", mixinStandardHelpOptions = true,
      description = "A schedule: its spec, the next five fire times, its last run.")
  static final class Show extends OnSchedule {
    @Override
    JsonNode call(ApiClient api, String path) {
      return api.get(path);
    }
  }

  @Command(name = "trigger", mixinStandardHelpOptions = true,
      description = "Fires a schedule now, once, besides its plan.")
  static final class Trigger extends OnSchedule {
    @Override
    JsonNode call(ApiClient api, String path) {
      return api.post(path + "/trigger", null);
    }
  }

  @Command(name = "pause", mixinStandardHelpOptions = true,
      description = "Stops a schedule firing until resumed.")
  static final class Pause extends OnSchedule {
    @Override
    JsonNode call(ApiClient api, String path) {
      return api.post(path + "/pause", null);
    }
  }

  @Command(name = "resume", mixinStandardHelpOptions = true,
      description = "Resumes a paused schedule.")
  static final class Resume extends OnSchedule {
    @Override
    JsonNode call(ApiClient api, String path) {
      return api.post(path + "/resume", null);
    }
  }
}
