package io.tasker.node;

import static io.tasker.node.Stages.join;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigException;
import io.tasker.protocol.Backoff;
import io.tasker.protocol.QueueLimits;
import io.tasker.protocol.TaskStatus;
import io.tasker.protocol.TaskView;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link TaskerBuilder#configFile}: YAML and HOCON files with the keys of reference.conf. */
class ConfigFileTest {
  @TempDir Path dir;

  private Path file(String name, String... lines) throws IOException {
    return Files.writeString(dir.resolve(name), String.join("\n", lines) + "\n");
  }

  @Test
  void yamlQueuesAndRetryPolicyApplyToARealNode() throws IOException {
    Path yaml = file("tasker.yaml",
        "tasker:",
        "  data-dir: " + dir.resolve("data"),
        "  defaults:",
        "    max-attempts: 4",
        "    backoff: {kind: fixed, initial-delay: 50ms, jitter: 0}",
        "  queues:",
        "    emails:",
        "      max-concurrency: 2",
        "      rate: 5",
        "      burst: 5",
        "  queue-defaults.max-concurrency-per-key: 3   # a dotted key is a path, as in HOCON");
    try (TaskerNode node = Probe.register(Tasker.builder()).configFile(yaml).start()) {
      assertEquals(new QueueLimits(2, 3, 5, 5),
          join(node.queueStats("emails")).limits());
      assertEquals(3, join(node.queueStats("other")).limits().maxConcurrencyPerKey());
      TaskView done = join(node.enqueueAndWait(
          Probe.WORK.with(Probe.of("ConfigFileTest", "flaky").failing(2)).queue("emails"),
          Duration.ofSeconds(60)));
      assertEquals(TaskStatus.SUCCEEDED, done.status());
      assertEquals(3, done.attempts());
      assertEquals(4, done.spec().maxAttempts());
      assertEquals(Backoff.Kind.FIXED, done.spec().backoff().kind());
      assertEquals(Duration.ofMillis(50), done.spec().backoff().initialDelay());
    }
  }

  @Test
  void confFilesAreHocon() throws IOException {
    Path conf = file("tasker.conf", "tasker.queues.emails { max-concurrency = 7 }");
    try (InlineTasker tasker = Probe.register(Tasker.builder()).configFile(conf).startInline()) {
      assertEquals(7, join(tasker.queueStats("emails")).limits().maxConcurrency());
    }
  }

  @Test
  void invalidYamlNamesTheFileAndLine() throws IOException {
    Path yaml = file("broken.yaml", "tasker:", "  queues: [unclosed", "  other: 1");
    ConfigException.Parse invalid = assertThrows(ConfigException.Parse.class,
        () -> Tasker.builder().configFile(yaml));
    assertTrue(invalid.getMessage().contains("broken.yaml"), invalid.getMessage());
    assertTrue(invalid.getMessage().matches("(?s).*broken\\.yaml: \\d+: .*"), invalid.getMessage());
  }

  @Test
  void aWrongTypedValueNamesTheFileLineAndKey() throws IOException {
    Path yaml = file("typo.yaml",
        "tasker:",
        "  queues:",
        "    emails:",
        "      max-concurrency: lots");
    TaskerBuilder builder = Probe.register(Tasker.builder()).configFile(yaml);
    ConfigException wrong = assertThrows(ConfigException.class, builder::startInline);
    String message = wrong.getMessage();
    assertTrue(message.contains("typo.yaml: 4"), message);
    assertTrue(message.contains("tasker.queues.emails"), message);
    assertTrue(message.contains("max-concurrency"), message);

    Path worker = file("threads.yaml", "tasker:", "  worker:", "    threads: many");
    ConfigException threads = assertThrows(ConfigException.class,
        Probe.register(Tasker.builder()).configFile(worker)::startInline);
    assertTrue(threads.getMessage().contains("threads.yaml: 3"), threads.getMessage());
    assertTrue(threads.getMessage().contains("threads"), threads.getMessage());
  }

  @Test
  void otherExtensionsAreRefused() throws IOException {
    Path text = file("tasker.txt", "tasker {}");
    assertThrows(IllegalArgumentException.class, () -> Tasker.builder().configFile(text));
  }
}
