package io.tasker.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tasker.protocol.OutcomeUnknownException;
import io.tasker.protocol.TaskId;
import io.tasker.protocol.TaskStateConflictException;
import io.tasker.protocol.TaskStatus;
import io.tasker.protocol.TaskerUnavailableException;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.pattern.AskTimeoutException;
import org.junit.jupiter.api.Test;

/** Failures a healthy test cluster cannot produce on demand, mapped to their HTTP answers. */
class ErrorResponsesTest {
  private final ErrorResponses errors = new ErrorResponses(Duration.ofSeconds(2));

  private static JsonNode body(HttpResponse response) throws Exception {
    return JsonContract.MAPPER.readTree(
        ((org.apache.pekko.http.scaladsl.model.HttpEntity.Strict) response.entity()).getData()
            .toArray());
  }

  @Test
  void askTimeoutIs503WithRetryAfter() throws Exception {
    HttpResponse response = errors.of(new CompletionException(new AskTimeoutException("slow")));
    assertEquals(503, response.status().intValue());
    assertEquals("2", response.getHeader("Retry-After").orElseThrow().value());
    assertEquals("UNAVAILABLE", body(response).get("error").get("code").asText());
  }

  @Test
  void anUnconfirmedChangeIs503NamingTheTaskAndSayingItMayHaveBeenApplied() throws Exception {
    TaskId id = TaskId.random("echo");
    HttpResponse response = errors.of(new CompletionException(
        new OutcomeUnknownException(id, "the enqueue of task " + id + " may have been applied")));
    assertEquals(503, response.status().intValue());
    JsonNode error = body(response).get("error");
    assertEquals("UNAVAILABLE", error.get("code").asText());
    assertEquals(id.value(), error.get("taskId").asText());
    assertTrue(error.get("message").asText().contains("may have been applied"));
  }

  @Test
  void unavailableIndexIs503() throws Exception {
    HttpResponse response = errors.of(new TaskerUnavailableException("index down"));
    assertEquals(503, response.status().intValue());
    assertEquals("UNAVAILABLE", body(response).get("error").get("code").asText());
  }

  @Test
  void conflictCarriesTheCurrentStatus() throws Exception {
    HttpResponse response = errors.of(new TaskStateConflictException(
        TaskId.random("echo"), TaskStatus.SUCCEEDED, "already finished"));
    assertEquals(409, response.status().intValue());
    assertEquals("SUCCEEDED", body(response).get("error").get("status").asText());
  }

  @Test
  void unexpectedFailuresAre500WithoutDetails() throws Exception {
    HttpResponse response = errors.of(new IllegalStateException("secret internals"));
    assertEquals(500, response.status().intValue());
    assertEquals("INTERNAL", body(response).get("error").get("code").asText());
  }
}
