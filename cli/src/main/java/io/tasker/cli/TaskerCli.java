package io.tasker.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The {@code tasker} command line: tasks, queues and schedules of a Tasker cluster through any
 * node's HTTP API. {@link #main} is what {@code ./tasker task ...} runs.
 */
@Command(name = "tasker", mixinStandardHelpOptions = true, version = "tasker 0.1.0",
    description = "Tasks, queues, schedules and workflows of a Tasker cluster, through any node's HTTP API.",
    subcommands = {TaskCommands.class, QueueCommands.class, ScheduleCommands.class,
        WorkflowCommands.class,
        CompletionCommand.class},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
        "0:done",
        "1:another failure",
        "2:bad usage or input (also: a bulk action refused without --yes)",
        "3:not found",
        "4:conflict: the task's state does not allow it",
        "5:unauthorized or forbidden (key missing, wrong, or without the scope)",
        "6:unavailable: the node is unreachable, not ready, or overloaded"})
public final class TaskerCli implements Callable<Integer> {
  private final Map<String, String> env;
  private final BufferedReader in;
  private final boolean interactive;

  @Spec
  CommandSpec spec;

  /**
   * @param env the environment (TASKER_URL, TASKER_API_KEY, TASKER_PROFILE, TASKER_CLI_CONFIG)
   * @param in where confirmations are read from
   * @param interactive whether a person may answer a confirmation; if not, a bulk action
   *     without {@code --yes} is refused
   */
  TaskerCli(Map<String, String> env, BufferedReader in, boolean interactive) {
    this.env = env;
    this.in = in;
    this.interactive = interactive;
  }

  public static void main(String[] args) {
    BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in,
        StandardCharsets.UTF_8));
    System.exit(commandLine(System.getenv(), stdin, System.console() != null).execute(args));
  }

  /** @return the command line, its failures mapped to exit codes; set out/err before use */
  static CommandLine commandLine(Map<String, String> env, BufferedReader in, boolean interactive) {
    CommandLine commandLine = new CommandLine(new TaskerCli(env, in, interactive));
    commandLine.setCaseInsensitiveEnumValuesAllowed(true);
    // --payload @file is ours to read: picocli would read it as a file of arguments
    commandLine.setExpandAtFiles(false);
    commandLine.setExecutionExceptionHandler((failure, line, parsed) -> {
      PrintWriter err = line.getErr();
      if (failure instanceof CliException known) {
        err.println("tasker: " + known.getMessage());
        err.flush();
        return known.exitCode;
      }
      err.println("tasker: " + failure);
      err.flush();
      return CliException.ExitCode.OTHER;
    });
    return commandLine;
  }

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return CliException.ExitCode.USAGE;
  }

  Map<String, String> env() {
    return env;
  }

  /** Asks {@code question} on stderr; a person must answer y or yes. */
  boolean confirm(PrintWriter err, String question) {
    if (!interactive) {
      return false;
    }
    err.print(question + " [y/N] ");
    err.flush();
    try {
      String answer = in.readLine();
      return answer != null && switch (answer.trim().toLowerCase(Locale.ROOT)) {
        case "y", "yes" -> true;
        default -> false;
      };
    } catch (IOException e) {
      return false;
    }
  }

  boolean interactive() {
    return interactive;
  }

  /** A command made only of subcommands: without one, its usage and exit code 2. */
  abstract static class Group implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "Missing a command: one of " + spec.subcommands().keySet());
    }
  }
}
