package io.tasker.spring;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import org.springframework.core.env.ConfigurableEnvironment;

/** The configuration a starter-made node runs with. */
final class TaskerConfigs {
  /**
   * The Spring application closes the node in its own shutdown (see {@link TaskerLifecycle});
   * Pekko's JVM hook would leave the cluster while the web server still takes requests.
   */
  private static final Config STARTER_DEFAULTS =
      ConfigFactory.parseString("pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off",
          ConfigParseOptions.defaults().setOriginDescription(
              "tasker-spring-boot-starter"));

  private TaskerConfigs() {}

  /**
   * @return highest first: Spring properties, system properties, {@code application.conf}, the
   *     starter's defaults, every {@code reference.conf}
   */
  static Config load(ConfigurableEnvironment environment) {
    return SpringProperties.toConfig(environment)
        .withFallback(ConfigFactory.defaultOverrides())
        .withFallback(ConfigFactory.defaultApplication())
        .withFallback(STARTER_DEFAULTS)
        .withFallback(ConfigFactory.defaultReference())
        .resolve();
  }
}
