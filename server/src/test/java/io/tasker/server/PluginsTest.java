package io.tasker.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tasker.node.Tasker;
import io.tasker.node.TaskerBuilder;
import io.tasker.sample.SampleHandlers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** How the server finds plugins; the sample handlers are on this test's class path. */
class PluginsTest {
  private static final ClassLoader CLASS_PATH = PluginsTest.class.getClassLoader();
  private static final Path NO_DIR = Path.of("target", "no-such-dir");

  @Test
  void appliesThePluginsOnTheClassPathWhenThePluginDirectoryIsMissing() {
    TaskerBuilder builder = Tasker.builder();

    List<LoadedPlugin> loaded = Plugins.apply(NO_DIR, CLASS_PATH, builder);

    assertEquals(1, loaded.size(), loaded::toString);
    assertEquals(SampleHandlers.class.getName(), loaded.get(0).name());
    assertEquals(Set.of("echo", "sleep", "flaky", "fail", "validate-order", "charge-card",
        "fulfil-order", "refund-payment"), loaded.get(0).taskTypes());
    assertEquals(loaded.get(0).taskTypes(), builder.taskTypes());
  }

  @Test
  void namesThePluginWhoseRegistrationThrows() {
    TaskerBuilder builder = Tasker.builder().plugin(new SampleHandlers());

    PluginLoadException e = assertThrows(PluginLoadException.class,
        () -> Plugins.apply(NO_DIR, CLASS_PATH, builder));

    assertTrue(e.getMessage().startsWith("plugin " + SampleHandlers.class.getName() + " from ")
        && e.getMessage().endsWith(
            "failed to register: a handler for 'echo' is registered already"), e.getMessage());
  }

  @Test
  void namesTheJarThatDeclaresAMissingPluginClass() throws Exception {
    Path dir = Files.createTempDirectory("tasker-plugins-");
    PluginJars.declaring("com.example.Missing", dir.resolve("b-broken.jar"));
    PluginJars.declaring("com.example.MissingToo", dir.resolve("c-broken-too.jar"));

    PluginLoadException e = assertThrows(PluginLoadException.class,
        () -> Plugins.apply(dir, CLASS_PATH, Tasker.builder()));

    assertEquals("plugin jar " + dir.resolve("b-broken.jar") + ": io.tasker.node.TaskerPlugin: "
        + "Provider com.example.Missing not found", e.getMessage());
  }

  @Test
  void refusesAPluginDirectoryThatIsAFile() throws Exception {
    Path file = Files.createTempFile("tasker-plugins-", ".txt");

    PluginLoadException e = assertThrows(PluginLoadException.class,
        () -> Plugins.apply(file, CLASS_PATH, Tasker.builder()));

    assertEquals("plugin directory " + file + " is not a directory", e.getMessage());
  }
}
