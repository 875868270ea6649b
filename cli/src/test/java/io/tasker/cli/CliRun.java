package io.tasker.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringReader;
import java.io.StringWriter;
import java.util.Map;
import picocli.CommandLine;

/** One run of the command line with captured stdout and stderr: exit code and output. */
record CliRun(int exit, String out, String err) {

  /** Runs {@code args} with {@code env}; {@code input} is what a person would type. */
  static CliRun run(Map<String, String> env, boolean interactive, String input, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine commandLine = TaskerCli.commandLine(env,
        new BufferedReader(new StringReader(input)), interactive);
    commandLine.setOut(new PrintWriter(out, true));
    commandLine.setErr(new PrintWriter(err, true));
    int exit = commandLine.execute(args);
    return new CliRun(exit, out.toString(), err.toString());
  }

  JsonNode json() {
    try {
      return ApiClient.MAPPER.readTree(out);
    } catch (IOException e) {
      throw new AssertionError("not JSON: " + this, e);
    }
  }

  /** @return this, after checking its exit code */
  CliRun expect(int code) {
    if (exit != code) {
      throw new AssertionError("expected exit " + code + " but got " + this);
    }
    return this;
  }

  @Override
  public String toString() {
    return "exit " + exit + "\n--- out:\n" + out + "--- err:\n" + err;
  }
}
