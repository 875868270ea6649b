package io.tasker.examples.hello;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The example's main, as a user runs it: a node, one task, its result. */
class HelloTest {
  @Test
  void greetsThroughARealNode(@TempDir Path dataDir) {
    assertEquals("Hello, reader!", Hello.greet(dataDir, "reader"));
  }
}
