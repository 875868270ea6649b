package io.tasker.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One Tasker node in its own operating-system process: the product's {@link Main} (what {@code
 * ./tasker} runs) started with {@code java -cp <this JVM's classpath>}, configured only through
 * the environment variables a deployment uses. Its stdout and stderr go to one log file.
 *
 * <p>Public, and shipped in this module's test-jar, for the fault suite in {@code benchmarks}.
 */
public final class NodeProcess implements AutoCloseable {
  public final String name;
  public final int clusterPort;
  public final int httpPort;
  public final Path log;
  private final Process process;

  private NodeProcess(String name, int clusterPort, int httpPort, Path log, Process process) {
    this.name = name;
    this.clusterPort = clusterPort;
    this.httpPort = httpPort;
    this.log = log;
    this.process = process;
  }

  /**
   * Starts a node.
   *
   * @param jvmOptions options placed before the main class, e.g. {@code -Xmx256m}
   * @param env the node's environment on top of this JVM's (TASKER_* settings)
   * @param logDir where {@code <name>.log} is written
   */
  public static NodeProcess start(String name, int clusterPort, int httpPort,
      List<String> jvmOptions, Map<String, String> env, Path logDir) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions);
    // under surefire this is a manifest-only booter jar whose Class-Path lists the test
    // classpath; -cp honours that manifest, so the child sees the same classes
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(Main.class.getName());
    Files.createDirectories(logDir);
    Path log = logDir.resolve(name + ".log");
    ProcessBuilder builder = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(log.toFile());
    builder.environment().putAll(env);
    builder.environment().put("TASKER_NODE_NAME", name);
    builder.environment().put("TASKER_PORT", Integer.toString(clusterPort));
    builder.environment().put("TASKER_HTTP_PORT", Integer.toString(httpPort));
    builder.environment().put("TASKER_HTTP_HOST", "127.0.0.1");
    if (!env.containsKey("TASKER_DATA_DIR")) {
      builder.environment().put("TASKER_DATA_DIR",
          Files.createTempDirectory("tasker-" + name + "-").toString());
    }
    return new NodeProcess(name, clusterPort, httpPort, log, builder.start());
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** @return the exit code, once the process ended within {@code patience} */
  public java.util.OptionalInt awaitExit(java.time.Duration patience) throws InterruptedException {
    return process.waitFor(patience.toMillis(), TimeUnit.MILLISECONDS)
        ? java.util.OptionalInt.of(process.exitValue())
        : java.util.OptionalInt.empty();
  }

  /** SIGKILL: no shutdown hook, no coordinated shutdown, no leave. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /** The last {@code lines} lines of the node's log. */
  public String tail(int lines) {
    try {
      List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      kill();
    }
  }
}
