package com.example.greeting;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tasker.node.InlineTasker;
import io.tasker.node.Tasker;
import io.tasker.protocol.TaskId;
import io.tasker.protocol.TaskStatus;
import io.tasker.protocol.TaskView;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A plugin is tested without a server: inline mode runs its handlers in the test's thread. */
class GreetingPluginTest {
  private final InlineTasker tasker = Tasker.builder().plugin(new GreetingPlugin()).startInline();

  @AfterEach
  void close() {
    tasker.close();
  }

  @Test
  void greetsInTheAskedLanguage() {
    TaskId id = tasker.enqueue(GreetingPlugin.GREET.with(new GreetingPlugin.Greeting("Ada", "fr")))
        .toCompletableFuture().join();

    TaskView task = tasker.get(id).toCompletableFuture().join();
    assertEquals(TaskStatus.SUCCEEDED, task.status());
    assertEquals("Bonjour, Ada!", task.result().get("message").asText());
  }

  @Test
  void deadLettersAGreetingWithoutAName() {
    TaskId id = tasker.enqueue(GreetingPlugin.GREET.with(new GreetingPlugin.Greeting(" ", "en")))
        .toCompletableFuture().join();

    TaskView task = tasker.get(id).toCompletableFuture().join();
    assertEquals(TaskStatus.DEAD, task.status());
    assertEquals(1, task.attempts());
  }
}
