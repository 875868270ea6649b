package io.tasker.cli;

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
}
