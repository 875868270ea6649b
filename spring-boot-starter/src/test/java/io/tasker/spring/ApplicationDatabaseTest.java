package io.tasker.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tasker.node.TaskerNode;
import io.tasker.protocol.TaskId;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** An application with a DataSource (spring.datasource.*): Tasker keeps its journal there. */
class ApplicationDatabaseTest {
  private static EmbeddedPostgres postgres;

  @TempDir Path dataDir;

  @BeforeAll
  static void startPostgres() throws Exception {
    postgres = EmbeddedPostgres.start();
  }

  @AfterAll
  static void stopPostgres() throws Exception {
    postgres.close();
  }

  @Test
  void keepsTheJournalInTheApplicationsDatabase() {
    new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
            TaskerAutoConfiguration.class, TaskerNodeAutoConfiguration.class))
        .withBean(Greet.class)
        .withPropertyValues(
            "spring.datasource.url=jdbc:postgresql://localhost:" + postgres.getPort() + "/postgres",
            "spring.datasource.username=postgres",
            "tasker.data-dir=" + dataDir)
        .run(context -> {
          TaskerNode node = context.getBean(TaskerNode.class);
          TaskId id = node.enqueue(Greet.TYPE.with(new Greet.Person("Grace")))
              .toCompletableFuture().join();
          DataSource database = context.getBean(DataSource.class);
          // the task index, one of Tasker's tables, follows the task in the same database
          await().atMost(Duration.ofSeconds(30))
              .until(() -> "SUCCEEDED".equals(indexedStatus(database, id)));
          assertThat(Files.exists(dataDir.resolve("journal.mv.db"))).isFalse();
        });
  }

  private static String indexedStatus(DataSource database, TaskId id) throws Exception {
    try (Connection connection = database.getConnection();
        PreparedStatement query = connection.prepareStatement(
            "SELECT status FROM tasker_task_index WHERE task_id = ?")) {
      query.setString(1, id.value());
      try (ResultSet row = query.executeQuery()) {
        return row.next() ? row.getString(1) : null;
      }
    }
  }
}
