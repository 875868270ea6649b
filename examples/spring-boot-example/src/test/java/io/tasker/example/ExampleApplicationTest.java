package io.tasker.example;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.client.TestRestTemplate;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class ExampleApplicationTest {
  @TempDir static Path dataDir;

  @DynamicPropertySource
  static void journalInTempDir(DynamicPropertyRegistry properties) {
    properties.add("tasker.data-dir", dataDir::toString);
  }

  @Autowired TestRestTemplate http;

  @Test
  void aSignUpSendsItsWelcomeEmailThroughTasker() {
    ResponseEntity<SignupController.Accepted> accepted = http.postForEntity(
        "/signups", Map.of("email", "ada@example.com"), SignupController.Accepted.class);
    assertThat(accepted.getStatusCode()).isEqualTo(HttpStatus.ACCEPTED);
    String task = accepted.getBody().task();

    await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
        assertThat(http.getForObject("/signups/" + task, SignupController.EmailStatus.class)
            .status()).isEqualTo("SUCCEEDED"));
  }

  @Test
  void aBadSignUpIsA400NamingTheField() {
    ResponseEntity<JsonNode> rejected =
        http.postForEntity("/signups", Map.of("email", "nobody"), JsonNode.class);

    assertThat(rejected.getStatusCode()).isEqualTo(HttpStatus.BAD_REQUEST);
    assertThat(rejected.getBody().at("/error/field").asText()).isEqualTo("email");
  }

  @Test
  void actuatorHealthShowsTaskerUp() {
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      JsonNode health = http.getForObject("/actuator/health", JsonNode.class);
      assertThat(health.at("/components/tasker/status").asText()).isEqualTo("UP");
      assertThat(health.at("/components/tasker/details/node").asText()).isEqualTo("example");
      assertThat(health.at("/components/tasker/details/members").asInt()).isEqualTo(1);
    });
  }
}
