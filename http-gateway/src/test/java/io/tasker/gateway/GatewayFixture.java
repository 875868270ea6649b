package io.tasker.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.tasker.node.InlineTasker;
import io.tasker.node.SettableClock;
import io.tasker.node.Tasker;
import io.tasker.sample.SampleHandlers;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * A gateway on a free port in front of an inline Tasker (handlers run synchronously, so answers
 * are deterministic), with three keys: {@link #READER} (tasks:read), {@link #WRITER}
 * (tasks:read, tasks:write) and {@link #ADMIN} (every scope). Talks to it over real HTTP.
 */
final class GatewayFixture implements AutoCloseable {
  static final String READER = "reader-key-1";
  static final String WRITER = "writer-key-2";
  static final String ADMIN = "admin-key-3";

  final SettableClock clock = new SettableClock(Instant.parse("2026-06-01T12:00:00Z"));
  final InlineTasker tasker;
  final ActorSystem<Void> system;
  final HttpGateway gateway;
  final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /** Asserts a JSON error: status, code, a message, and the field named (or {@code null}). */
  static void assertError(Reply reply, int status, String code, String field) {
    assertEquals(status, reply.status(), reply.text());
    JsonNode error = reply.json().get("error");
    assertEquals(code, error.get("code").asText(), reply.text());
    assertFalse(error.get("message").asText().isBlank());
    if (field == null) {
      assertTrue(error.get("field").isNull(), reply.text());
    } else {
      assertEquals(field, error.get("field").asText(), reply.text());
    }
  }

  /** A response: status, headers, body as text and (if JSON) parsed. */
  record Reply(int status, java.net.http.HttpHeaders headers, String text) {
    JsonNode json() {
      try {
        return JsonContract.MAPPER.readTree(text);
      } catch (IOException e) {
        throw new AssertionError("not JSON: " + text, e);
      }
    }

    Optional<String> header(String name) {
      return headers.firstValue(name);
    }
  }

  GatewayFixture() {
    this("");
  }

  /** @param extraConfig HOCON over the defaults, e.g. lower limits */
  GatewayFixture(String extraConfig) {
    Config config = ConfigFactory.parseString(extraConfig)
        .withFallback(ConfigFactory.parseString(String.join("\n",
            "tasker.http.port = 0",
            "tasker.http.host = \"127.0.0.1\"",
            "tasker.http.auth.env-keys = \"" + READER + "=tasks:read;" + WRITER
                + "=tasks:read,tasks:write;" + ADMIN
                + "=tasks:read,tasks:write,queues:admin,metrics:read\"",
            "pekko.actor.provider = local")))
        .withFallback(ConfigFactory.load())
        .resolve();
    tasker = Tasker.builder().plugin(new SampleHandlers()).clock(clock).config(config)
        .startInline();
    system = ActorSystem.create(Behaviors.empty(), "gateway-test", config);
    try {
      Path dataDir = Files.createTempDirectory("tasker-gateway-");
      gateway = HttpGateway.start(system, tasker, config, dataDir, clock);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  URI uri(String path) {
    return URI.create("http://127.0.0.1:" + gateway.port() + path);
  }

  Reply send(String method, String path, String key, String contentType, byte[] body) {
    return send(method, path, key, contentType, body, java.util.Map.of());
  }

  Reply send(String method, String path, String key, String contentType, byte[] body,
      java.util.Map<String, String> headers) {
    HttpRequest.Builder request = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(20))
        .method(method, body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofByteArray(body));
    if (key != null) {
      request.header("Authorization", "Bearer " + key);
    }
    if (contentType != null) {
      request.header("Content-Type", contentType);
    }
    headers.forEach(request::header);
    try {
      HttpResponse<String> response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
      return new Reply(response.statusCode(), response.headers(), response.body());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  Reply get(String path, String key) {
    return send("GET", path, key, null, null);
  }

  Reply post(String path, String key, String json) {
    return send("POST", path, key, "application/json",
        json == null ? null : json.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  Reply patch(String path, String key, String json) {
    return send("PATCH", path, key, "application/json",
        json.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  Reply put(String path, String key, String json) {
    return send("PUT", path, key, "application/json",
        json.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  Reply delete(String path, String key) {
    return send("DELETE", path, key, null, null);
  }

  @Override
  public void close() {
    gateway.close();
    system.terminate();
    tasker.close();
  }
}
