package io.tasker.spring;

import com.typesafe.config.Config;
import io.micrometer.core.instrument.MeterRegistry;
import io.tasker.node.Tasker;
import io.tasker.node.TaskerBuilder;
import io.tasker.node.TaskerNode;
import javax.sql.DataSource;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration;
import org.springframework.boot.autoconfigure.jdbc.DataSourceProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.ConfigurableEnvironment;

/**
 * A Tasker node for the application: settings from {@code tasker.*} (and {@code pekko.*})
 * properties over Tasker's {@code reference.conf}, every {@link TaskerHandler} bean registered,
 * the journal in the application's database when it has one ({@code spring.datasource.url}),
 * else in the embedded H2 under {@code tasker.data-dir}; its meters in the application's {@link
 * MeterRegistry} when there is one. An application that defines its own
 * {@link Tasker} bean keeps it. What the node gets then: {@link TaskerNodeAutoConfiguration}.
 */
@AutoConfiguration(after = DataSourceAutoConfiguration.class)
public class TaskerAutoConfiguration {

  @Bean
  @ConditionalOnMissingBean(Tasker.class)
  TaskerNode taskerNode(
      ConfigurableEnvironment environment,
      ObjectProvider<TaskerHandler<?>> handlers,
      ObjectProvider<JournalDatabase> applicationDatabase,
      ObjectProvider<MeterRegistry> meterRegistry) {
    Config config = TaskerConfigs.load(environment);
    TaskerBuilder builder = Tasker.builder().config(config);
    if (config.getString("tasker.journal.url").isBlank()) {
      applicationDatabase.ifAvailable(db -> builder.journal(db.url(), db.user(), db.password()));
    }
    handlers.orderedStream().forEach(handler -> register(builder, handler));
    meterRegistry.ifUnique(builder::meterRegistry); // Actuator's, when the application has one
    return builder.start();
  }

  private static <P> void register(TaskerBuilder builder, TaskerHandler<P> handler) {
    builder.handler(handler.type(), handler, handler::options);
  }

  /**
   * The application's database as Tasker's journal, when {@code spring.datasource.url} names it.
   * Without a URL, Spring Boot makes an in-memory database (Tasker brings H2): no journal.
   */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "org.springframework.jdbc.datasource.embedded.EmbeddedDatabaseType")
  @ConditionalOnBean({DataSource.class, DataSourceProperties.class})
  @ConditionalOnProperty("spring.datasource.url")
  static class ApplicationDatabaseConfiguration {
    @Bean
    JournalDatabase taskerJournalDatabase(DataSourceProperties properties) {
      return new JournalDatabase(properties.determineUrl(), properties.determineUsername(),
          properties.determinePassword());
    }
  }
}
