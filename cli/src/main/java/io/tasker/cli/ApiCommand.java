package io.tasker.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** A command that calls the API: resolves the connection, runs, writes its answer. */
abstract class ApiCommand implements Callable<Integer> {
  @Mixin
  Connection connection;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    run(connection.client(root().env()), new Output(spec.commandLine().getOut(),
        connection.output));
    return CliException.ExitCode.OK;
  }

  abstract void run(ApiClient api, Output out);

  TaskerCli root() {
    return (TaskerCli) spec.root().userObject();
  }

  CliException usage(String message) {
    return new CliException(CliException.ExitCode.USAGE, message);
  }

  /**
   * @param option the option's name, for errors
   * @param value JSON text, {@code @file} to read it from a file, {@code @-} from stdin
   * @return the JSON it names
   */
  JsonNode json(String option, String value) {
    String text = value;
    try {
      if (value.equals("@-")) {
        text = new String(System.in.readAllBytes(), StandardCharsets.UTF_8);
      } else if (value.startsWith("@")) {
        text = Files.readString(Path.of(value.substring(1)));
      }
    } catch (IOException e) {
      throw usage(option + ": cannot read " + value.substring(1) + ": " + e.getMessage());
    }
    try {
      return ApiClient.MAPPER.readTree(text);
    } catch (IOException e) {
      throw usage(option + ": not JSON: " + e.getMessage().lines().findFirst().orElse(""));
    }
  }
}
