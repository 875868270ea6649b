package io.tasker.server;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** The HTTP API of a {@link NodeProcess}, as the process tests and the fault suite call it. */
public final class NodeApi {
  /** Reads and writes the API's JSON bodies. */
  public static final ObjectMapper JSON = new ObjectMapper();

  private static final HttpClient HTTP = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(2)).build();

  private final String key;

  public NodeApi(String key) {
    this.key = key;
  }

  public HttpClient client() {
    return HTTP;
  }

  public HttpRequest.Builder request(NodeProcess node, String path) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort + path))
        .timeout(Duration.ofSeconds(30))
        .header("Authorization", "Bearer " + key);
  }

  /** @return the answer's JSON; anything but 200 is an {@link IllegalStateException} */
  public JsonNode get(NodeProcess node, String path) throws IOException, InterruptedException {
    HttpResponse<String> response = HTTP.send(request(node, path).GET().build(),
        HttpResponse.BodyHandlers.ofString(UTF_8));
    if (response.statusCode() != 200) {
      throw new IllegalStateException("GET " + path + " on " + node.name + ": "
          + response.statusCode() + " " + response.body());
    }
    return NodeApi.JSON.readTree(response.body());
  }

  public JsonNode getTask(NodeProcess node, String id) throws IOException, InterruptedException {
    return get(node, "/v1/tasks/" + URLEncoder.encode(id, UTF_8));
  }

  /** @return true once the node answers its readiness probe */
  public boolean isReady(NodeProcess node) {
    if (!node.isAlive()) {
      throw new IllegalStateException(node.name + " exited:\n" + node.tail(40));
    }
    try {
      return HTTP.send(request(node, "/health/ready").GET().build(),
          HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
    } catch (IOException | InterruptedException notYet) {
      return false;
    }
  }

  public static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
