package io.tasker.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tasker.gateway.HttpGateway;
import io.tasker.node.TaskerNode;
import io.tasker.protocol.QueueLimits;
import io.tasker.protocol.TaskId;
import io.tasker.protocol.TaskStatus;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.Status;
import javax.sql.DataSource;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.web.context.WebServerGracefulShutdownLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The auto-configuration on the embedded H2 journal (no DataSource in the application). */
class TaskerAutoConfigurationTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  @TempDir Path dataDir;

  @Configuration(proxyBeanMethods = false)
  static class Handlers {
    @Bean
    Greet greet() {
      return new Greet();
    }
  }

  private ApplicationContextRunner runner() {
    return new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(
            TaskerAutoConfiguration.class, TaskerNodeAutoConfiguration.class))
        .withUserConfiguration(Handlers.class)
        .withPropertyValues(
            "tasker.data-dir=" + dataDir,
            "tasker.node-name=spring-test",
            "tasker.queues.greetings.max-concurrency=3",
            "tasker.queues.greetings.rate=50",
            "tasker.queues.greetings.burst=5");
  }

  @Test
  void startsANodeWithThePropertiesHandlerBeansAndHttpApiAndClosesItWithTheContext()
      throws Exception {
    int port;
    try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
      port = free.getLocalPort();
    }
    TaskerNode[] started = new TaskerNode[1];
    runner()
        .withPropertyValues("tasker.http.enabled=true", "tasker.http.port=" + port)
        .run(context -> {
          TaskerNode node = context.getBean(TaskerNode.class);
          started[0] = node;
          assertThat(node.taskTypes()).containsExactly("greet");
          assertThat(node.queueStats("greetings").toCompletableFuture().join().limits())
              .isEqualTo(new QueueLimits(3, 0, 50.0, 5, false));

          TaskId id = node.enqueue(Greet.TYPE.with(new Greet.Person("Ada")))
              .toCompletableFuture().join();

          await().atMost(TIMEOUT).until(() ->
              node.get(id).toCompletableFuture().join().status() == TaskStatus.SUCCEEDED);
          assertThat(context.getBean(Greet.class).greeted).containsExactly("Ada");
          assertThat(Files.exists(dataDir.resolve("journal.mv.db"))).isTrue();

          assertThat(context.getBean(HttpGateway.class).port()).isEqualTo(port);
          HttpResponse<String> live = HttpClient.newHttpClient().send(
              HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/health/live")).build(),
              HttpResponse.BodyHandlers.ofString());
          assertThat(live.statusCode()).isEqualTo(200);
        });

    assertThat(started[0].system().getWhenTerminated().toCompletableFuture().isDone()).isTrue();
  }

  @Test
  void reportsHealthAsTaskerAndServesNoHttpApiByDefault() {
    runner().run(context -> {
      assertThat(context).doesNotHaveBean(HttpGateway.class);
      TaskerHealthIndicator indicator = context.getBean(TaskerHealthIndicator.class);
      assertThat(context).hasBean("taskerHealthIndicator"); // Actuator names it "tasker"

      await().atMost(TIMEOUT).until(() -> indicator.health().getStatus().equals(Status.UP));
      Health health = indicator.health();
      assertThat(health.getDetails())
          .containsEntry("node", "spring-test")
          .containsEntry("members", 1);
    });
  }

  @Test
  void keepsTheJournalInH2WhenTheApplicationsDataSourceIsAnInMemoryOne() {
    // no spring.datasource.url: Spring Boot makes an in-memory H2 DataSource, lost at exit
    runner()
        .withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class))
        .run(context -> {
          assertThat(context).hasSingleBean(DataSource.class);
          assertThat(Files.exists(dataDir.resolve("journal.mv.db"))).isTrue();
        });
  }

  @Test
  void stopsAfterTheWebServer() {
    // a lower phase stops later; the web server stops one step of 1024 below graceful shutdown
    assertThat(TaskerLifecycle.PHASE)
        .isLessThan(WebServerGracefulShutdownLifecycle.SMART_LIFECYCLE_PHASE - 1024);
  }

  @Test
  void anApplicationsOwnTaskerWins() {
    runner()
        .withBean("myTasker", io.tasker.node.Tasker.class,
            () -> io.tasker.node.Tasker.builder().startInline())
        .run(context -> assertThat(context).doesNotHaveBean(TaskerNode.class)
            .doesNotHaveBean(TaskerLifecycle.class));
  }
}
