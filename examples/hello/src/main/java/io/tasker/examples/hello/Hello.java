package io.tasker.examples.hello;

// tag::quick-start[]
import io.tasker.node.TaskType;
import io.tasker.node.Tasker;
import io.tasker.protocol.TaskStatus;
import io.tasker.protocol.TaskView;
import java.nio.file.Path;
import java.time.Duration;

public class Hello {
  /** The payload of a greeting task: any record or class Jackson can read. */
  public record Greeting(String name) {}

  public static final TaskType<Greeting> GREET = TaskType.of("greet", Greeting.class);

  public static void main(String[] args) {
    System.out.println(greet(Path.of("data"), args.length > 0 ? args[0] : "world"));
  }

  /** Starts a node (its H2 journal under dataDir), runs one task, returns its result. */
  public static String greet(Path dataDir, String name) {
    try (Tasker tasker = Tasker.builder()
        .dataDir(dataDir)
        .handler(GREET, (greeting, ctx) -> "Hello, " + greeting.name() + "!")
        .start()) {
      TaskView done = tasker.enqueueAndWait(GREET.with(new Greeting(name)), Duration.ofMinutes(1))
          .toCompletableFuture().join();
      if (done.status() != TaskStatus.SUCCEEDED) {
        throw new IllegalStateException("task " + done.id() + " ended " + done.status());
      }
      return done.result().asText();
    }
  }
}
// end::quick-start[]
