package io.tasker.node;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The node contract on the embedded H2 file journal (the zero-install default). */
class H2TaskerTest extends TaskerContractTest {
  private static final Path root;

  static {
    try {
      root = Files.createTempDirectory("tasker-h2-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  TaskerBuilder withJournal(TaskerBuilder builder, String name) {
    return builder.dataDir(root.resolve(name));
  }
}
