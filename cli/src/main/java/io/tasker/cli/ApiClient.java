package io.tasker.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The HTTP API of one node, over the JDK's client: JSON in and out, every error status turned
 * into a {@link CliException} with the API's message and a meaningful exit code.
 */
final class ApiClient {
  static final ObjectMapper MAPPER = new ObjectMapper();
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  private final URI base;
  private final String key;
  private final HttpClient http;

  ApiClient(URI base, String key) {
    this.base = base;
    this.key = key;
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  }

  /** @return {@code value} encoded as one path segment */
  static String segment(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
  }

  JsonNode get(String path) {
    return send("GET", path, null);
  }

  JsonNode post(String path, JsonNode body) {
    return send("POST", path, body);
  }

  /** A POST that may take up to {@code timeout} (a bulk action). */
  JsonNode post(String path, JsonNode body, Duration timeout) {
    return send("POST", path, body, timeout);
  }

  JsonNode put(String path, JsonNode body) {
    return send("PUT", path, body);
  }

  JsonNode patch(String path, JsonNode body) {
    return send("PATCH", path, body);
  }

  JsonNode delete(String path) {
    return send("DELETE", path, null);
  }

  /** @return the answer's JSON, or {@code null} for an empty answer (204) */
  private JsonNode send(String method, String path, JsonNode body) {
    return send(method, path, body, TIMEOUT);
  }

  private JsonNode send(String method, String path, JsonNode body, Duration timeout) {
    URI uri = URI.create(base.toString().replaceAll("/+$", "") + path);
    HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(timeout)
        .header("Accept", "application/json");
    if (key != null && !key.isBlank()) {
      request.header("Authorization", "Bearer " + key);
    }
    if (body == null) {
      request.method(method, HttpRequest.BodyPublishers.noBody());
    } else {
      request.header("Content-Type", "application/json")
          .method(method, HttpRequest.BodyPublishers.ofString(write(body)));
    }
    HttpResponse<String> response;
    try {
      response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new CliException(CliException.ExitCode.UNAVAILABLE, "cannot reach " + base + ": "
          + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliException(CliException.ExitCode.OTHER, "interrupted");
    }
    int status = response.statusCode();
    JsonNode json = parse(response.body());
    if (status / 100 == 2) {
      return json;
    }
    JsonNode error = json == null ? null : json.path("error");
    String message = error == null || error.path("message").isMissingNode()
        ? "HTTP " + status + (response.body().isBlank() ? "" : ": " + response.body())
        : error.path("message").asText();
    if (error != null && error.hasNonNull("field") && !message.startsWith(
        error.get("field").asText())) {
      message = error.get("field").asText() + ": " + message;
    }
    throw new CliException(CliException.ExitCode.ofStatus(status),
        message + " (HTTP " + status + ")");
  }

  private static JsonNode parse(String text) {
    if (text == null || text.isBlank()) {
      return null;
    }
    try {
      return MAPPER.readTree(text);
    } catch (JsonProcessingException e) {
      return null;
    }
  }

  static String write(JsonNode json) {
    try {
      return MAPPER.writeValueAsString(json);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
