package io.tasker.cli;

import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code tasker completion bash}: the completion script, for {@code source <(...)}. */
@Command(name = "completion", mixinStandardHelpOptions = true,
    description = {"Prints the shell completion script.",
        "bash, or zsh after 'autoload -U bashcompinit && bashcompinit':",
        "  source <(./tasker completion bash)"})
final class CompletionCommand implements Callable<Integer> {
  /** Shells with a completion script. */
  enum Shell { bash, zsh }

  @Parameters(arity = "0..1", paramLabel = "SHELL", defaultValue = "bash",
      description = "bash (default) or zsh.")
  Shell shell;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().getOut().print(AutoComplete.bash("tasker", spec.root().commandLine()));
    spec.commandLine().getOut().flush();
    return CliException.ExitCode.OK;
  }
}
