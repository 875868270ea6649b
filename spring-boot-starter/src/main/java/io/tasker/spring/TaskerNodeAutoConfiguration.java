package io.tasker.spring;

import com.typesafe.config.Config;
import io.tasker.gateway.HttpGateway;
import io.tasker.node.TaskerNode;
import java.time.Duration;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.ConfigurableEnvironment;

/**
 * What a node bean gets: it is closed with the application, after the web server ({@link
 * TaskerLifecycle}); its HTTP API is served when {@code tasker.http.enabled} is true and
 * tasker-http-gateway is on the class path (on {@code tasker.http.port}, with the other {@code
 * tasker.http.*} settings); Actuator shows its health as {@code tasker}.
 */
@AutoConfiguration(after = TaskerAutoConfiguration.class)
@ConditionalOnBean(TaskerNode.class)
public class TaskerNodeAutoConfiguration {

  @Bean
  TaskerLifecycle taskerLifecycle(TaskerNode node) {
    return new TaskerLifecycle(node);
  }

  /** Tasker's HTTP API, when tasker-http-gateway is on the class path. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "io.tasker.gateway.HttpGateway")
  @ConditionalOnProperty(name = "tasker.http.enabled", havingValue = "true")
  static class HttpGatewayConfiguration {
    /** Unbound and drained by the node's coordinated shutdown, when the node closes. */
    @Bean(destroyMethod = "")
    HttpGateway taskerHttpGateway(TaskerNode node, ConfigurableEnvironment environment) {
      return HttpGateway.start(node, TaskerConfigs.load(environment));
    }
  }

  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(HealthIndicator.class)
  static class HealthConfiguration {
    @Bean
    @ConditionalOnMissingBean(name = "taskerHealthIndicator")
    TaskerHealthIndicator taskerHealthIndicator(
        TaskerNode node, ConfigurableEnvironment environment) {
      Config config = TaskerConfigs.load(environment);
      return new TaskerHealthIndicator(node, config.getString("tasker.node-name"),
          config.getDuration("tasker.ready-timeout").plus(Duration.ofSeconds(1)));
    }
  }
}
