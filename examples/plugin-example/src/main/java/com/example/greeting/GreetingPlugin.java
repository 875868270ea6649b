package com.example.greeting;

import io.tasker.node.NonRetryableException;
import io.tasker.node.TaskType;
import io.tasker.node.TaskerBuilder;
import io.tasker.node.TaskerPlugin;

/**
 * Registers the {@code greet} handler on the Tasker server. Named in
 * {@code META-INF/services/io.tasker.node.TaskerPlugin}, which is how the server finds it.
 */
// tag::greeting-plugin[]
public final class GreetingPlugin implements TaskerPlugin {

  /** Greets someone: {@code {"type":"greet","payload":{"name":"Ada","language":"fr"}}}. */
  public static final TaskType<Greeting> GREET = TaskType.of("greet", Greeting.class);

  /**
   * The payload of a {@code greet} task.
   *
   * @param name who to greet
   * @param language "en" (default) or "fr"
   */
  public record Greeting(String name, String language) {}

  /**
   * The result of a {@code greet} task.
   *
   * @param message the greeting
   */
  public record Greeted(String message) {}

  @Override
  public void register(TaskerBuilder builder) {
    builder.handler(GREET, (greeting, ctx) -> {
      if (greeting.name() == null || greeting.name().isBlank()) {
        throw new NonRetryableException("name is required");
      }
      String hello = "fr".equals(greeting.language()) ? "Bonjour" : "Hello";
      return new Greeted(hello + ", " + greeting.name() + "!");
    }, h -> h.maxAttempts(3));
  }
}
// end::greeting-plugin[]
