package io.tasker.spring;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import io.tasker.node.internal.TaskerSettings;
import io.tasker.protocol.QueueLimits;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.core.io.ClassPathResource;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

class SpringPropertiesTest {

  private static StandardEnvironment environment(Map<String, Object> first, Map<String, Object> second) {
    StandardEnvironment environment = new StandardEnvironment();
    environment.getPropertySources().addFirst(new MapPropertySource("second", second));
    environment.getPropertySources().addFirst(new MapPropertySource("first", first));
    return environment;
  }

  @Test
  void everyHoconKeyOfTaskerCanBeSetAsAProperty() {
    Config config = TaskerConfigs.load(environment(Map.of(
        "tasker.queues.emails.max-concurrency", "5",
        "tasker.queues.emails.rate", "10",
        "tasker.queues.emails.burst", 20,
        "tasker.defaults.max-attempts", "7",
        "tasker.defaults.backoff.initial-delay", "3s",
        "tasker.node-name", "node-${app.id}",
        "app.id", "a1"), Map.of()));

    TaskerSettings settings = TaskerSettings.create(config);

    assertThat(settings.limitsFor("emails")).isEqualTo(new QueueLimits(5, 0, 10.0, 20, false));
    assertThat(settings.handlerDefaults.maxAttempts()).isEqualTo(7);
    assertThat(settings.handlerDefaults.backoff().initialDelay()).hasSeconds(3);
    assertThat(settings.nodeName).isEqualTo("node-a1");
    assertThat(settings.workerThreads).isEqualTo(32); // reference.conf below the properties
  }

  @Test
  void theReadmesApplicationYmlConfiguresTheNode() throws Exception {
    // src/test/resources/readme-application.yml is a copy of the README's example
    StandardEnvironment environment = new StandardEnvironment();
    new YamlPropertySourceLoader()
        .load("readme", new ClassPathResource("readme-application.yml"))
        .forEach(environment.getPropertySources()::addFirst);

    Config config = TaskerConfigs.load(environment);
    TaskerSettings settings = TaskerSettings.create(config);

    assertThat(settings.nodeName).isEqualTo("orders-1");
    assertThat(settings.seedNodes).hasSize(2);
    assertThat(settings.handlerDefaults.maxAttempts()).isEqualTo(5);
    assertThat(settings.handlerDefaults.backoff().maxDelay()).hasMinutes(10);
    assertThat(settings.limitsFor("emails")).isEqualTo(new QueueLimits(5, 0, 10.0, 20, false));
    assertThat(config.getBoolean("tasker.http.enabled")).isFalse();
    assertThat(config.getInt("pekko.remote.artery.canonical.port")).isEqualTo(7355);
  }

  @Test
  void earlierPropertySourcesWin() {
    Config config = SpringProperties.toConfig(environment(
        Map.of("tasker.queues.emails.rate", "10"),
        Map.of("tasker.queues.emails.rate", "99", "tasker.queues.emails.burst", "4")));

    assertThat(config.getDouble("tasker.queues.emails.rate")).isEqualTo(10.0);
    assertThat(config.getInt("tasker.queues.emails.burst")).isEqualTo(4);
  }

  @Test
  void yamlListsBecomeListsAndBracketedKeysStayOneKey() {
    Config config = SpringProperties.toConfig(environment(Map.of(
        "tasker.http.auth.keys[0].name", "ci",
        "tasker.http.auth.keys[0].scopes[0]", "tasks:read",
        "tasker.http.auth.keys[0].scopes[1]", "tasks:write",
        "tasker.http.auth.keys[1].name", "ops",
        "tasker.queues[mail.eu].rate", "3"), Map.of()));

    assertThat(config.getConfigList("tasker.http.auth.keys")).hasSize(2);
    assertThat(config.getConfigList("tasker.http.auth.keys").get(0).getStringList("scopes"))
        .containsExactly("tasks:read", "tasks:write");
    assertThat(config.getConfig("tasker.queues").root().keySet()).containsExactly("mail.eu");
  }

  @Test
  void environmentVariablesAreLeftToReferenceConf() {
    StandardEnvironment environment = environment(Map.of(), Map.of());
    environment.getPropertySources().addFirst(
        new SystemEnvironmentPropertySource("env", Map.of("TASKER_BOOTSTRAP", "true")));

    Config config = TaskerConfigs.load(environment);

    assertThat(config.getBoolean("tasker.bootstrap.enabled")).isFalse();
    assertThat(config.getBoolean("pekko.coordinated-shutdown.run-by-jvm-shutdown-hook")).isFalse();
  }
}
