package io.tasker.bench.faults;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tasker.server.NodeProcess;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Hostile HTTP requests ({@link HostileCorpus}) against a running node (PostgreSQL journal, where
 * a NUL in a stored string would matter) that holds tasks in every state. No answer may be a 5xx,
 * except 501 and 505, which Pekko HTTP gives an unknown method or HTTP version before any route
 * (counted apart); none may hang; each stored task must read the same before and after.
 */
final class HostileRequests implements Scenario {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration ANSWER_WITHIN = Duration.ofSeconds(10);

  @Override
  public String name() {
    return "hostile";
  }

  @Override
  public List<FaultRow> run(Setting setting) throws Exception {
    System.out.printf("%n== hostile: at least %,d hostile requests against a node with stored"
        + " tasks ==%n", setting.scale().hostile());
    try (Cluster cluster = Cluster.start(name(), 1, setting.postgres().createDatabase("hostile"),
        setting.nodeJvm(), setting.work())) {
      NodeProcess node = cluster.node(0);
      Map<String, String> seeds = new LinkedHashMap<>(); // id -> its JSON before the barrage
      List<String> seedIds = List.of(
          seed(cluster, "{\"type\":\"echo\",\"payload\":{\"seed\":1},\"queue\":\"hostile\","
              + "\"runAt\":\"2035-01-01T00:00:00Z\",\"priority\":5,\"maxAttempts\":4,"
              + "\"backoff\":{\"kind\":\"linear\",\"initialDelay\":\"PT2S\",\"factor\":1.5,"
              + "\"maxDelay\":\"PT1M\",\"jitter\":0.1},\"timeout\":\"PT30S\","
              + "\"concurrencyKey\":\"tenant-1\",\"metadata\":{\"a\":\"b\"}}"),
          seed(cluster, "{\"type\":\"flaky\",\"payload\":{\"failures\":1},\"delay\":\"P365D\","
              + "\"idempotencyKey\":\"seed-idem\"}"),
          seed(cluster, "{\"type\":\"echo\",\"payload\":[1,\"two\",{\"three\":3}]}"),
          seed(cluster, "{\"type\":\"fail\",\"payload\":{\"message\":\"seeded\","
              + "\"retryable\":false}}"),
          seed(cluster, "{\"type\":\"echo\",\"payload\":{\"nul\":\"a\\u0000b\"},"
              + "\"delay\":\"P30D\"}"));
      String cancelled = seedIds.get(4);
      send(cluster, node, "DELETE", "/v1/tasks/" + cancelled, null);
      // settle: the echo succeeds, the fail is dead, the last one is cancelled
      TimeUnit.SECONDS.sleep(3);
      for (String id : seedIds) {
        seeds.put(id, cluster.api().getTask(node, id).toString());
      }
      String target = seed(cluster, "{\"type\":\"echo\",\"payload\":1,\"delay\":\"P30D\"}");

      List<HostileCorpus.Request> corpus = HostileCorpus.build(seedIds.get(0), target,
          Cluster.KEY, setting.scale().hostile());
      long twoXx = 0;
      long fourXx = 0;
      long fiveXx = 0;
      long protocolFiveXx = 0;
      long noAnswer = 0;
      List<String> accepted = new ArrayList<>();
      List<String> evidence = new ArrayList<>();
      long started = System.nanoTime();
      for (HostileCorpus.Request r : corpus) {
        Answer a = r.raw() != null ? raw(node, r.raw()) : send(cluster, node, r);
        if (a.status == 0) {
          noAnswer++;
          add(evidence, "no answer: " + r + " (" + a.body + ")");
        } else if (a.status >= 500 && r.protocolError() && (a.status == 501 || a.status == 505)) {
          protocolFiveXx++;
        } else if (a.status >= 500) {
          fiveXx++;
          add(evidence, a.status + ": " + r + " -> " + abbreviate(a.body));
        } else if (a.status >= 400) {
          fourXx++;
        } else {
          twoXx++;
          accepted.addAll(createdIds(a.body));
        }
      }
      double seconds = (System.nanoTime() - started) / 1e9;

      long changed = 0;
      for (Map.Entry<String, String> seed : seeds.entrySet()) {
        String now;
        try {
          now = cluster.api().getTask(node, seed.getKey()).toString();
        } catch (RuntimeException e) {
          now = e.getMessage();
        }
        if (!now.equals(seed.getValue())) {
          changed++;
          add(evidence, "stored task changed: before " + seed.getValue() + " after " + now);
        }
      }
      Map<String, TaskAudit.Task> tasks = TaskAudit.read(cluster, List.of(node), accepted);
      TaskAudit.Counts counts = TaskAudit.count(accepted, tasks);

      Map<String, Object> f = new LinkedHashMap<>();
      f.put("requests", corpus.size());
      f.put("requestsPerSecond", Math.round(corpus.size() / seconds));
      f.put("answered2xx", twoXx);
      f.put("answered4xx", fourXx);
      f.put("answered501or505", protocolFiveXx);
      f.put("noAnswerWithin10s", noAnswer);
      f.put("storedTasks", seeds.size());
      f.put("storedTasksChanged", changed);
      f.put("nodeAliveAfter", node.isAlive());
      List<String> failures = new ArrayList<>();
      if (fiveXx > 0) {
        failures.add(fiveXx + " answer(s) 5xx (other than 501/505 to an unknown method/version)");
      }
      if (noAnswer > 0) {
        failures.add(noAnswer + " request(s) without an answer within " + ANSWER_WITHIN);
      }
      if (changed > 0) {
        failures.add(changed + " stored task(s) changed");
      }
      // valid mutants are due in an hour: still scheduled is what they should be
      evidence.addAll(TaskAudit.evidence(accepted.stream().filter(id -> !tasks.containsKey(id)
          || !"SCHEDULED".equals(tasks.get(id).status())).toList(), tasks));
      System.out.println("hostile: " + counts + " 5xx=" + fiveXx + " " + f);
      // unfinished is not a failure here: valid mutants may be due in an hour
      TaskAudit.Counts judged = new TaskAudit.Counts(counts.accepted(), counts.succeeded(),
          counts.lost(), 0, counts.ranTwice(), counts.unexplained());
      f.put("acceptedStillScheduled", counts.unfinished());
      return List.of(FaultRow.of(name(), "postgres: " + setting.postgresLabel(), judged, fiveXx,
          f, failures, List.of(), evidence));
    }
  }

  private static String seed(Cluster cluster, String json) throws Exception {
    Answer a = send(cluster, cluster.node(0), "POST", "/v1/tasks", json);
    if (a.status != 201) {
      throw new IllegalStateException("seed " + json + ": " + a.status + " " + a.body);
    }
    return JSON.readTree(a.body).get("id").asText();
  }

  private static List<String> createdIds(String body) {
    List<String> ids = new ArrayList<>();
    try {
      JsonNode json = JSON.readTree(body);
      if (json.has("id") && json.path("created").asBoolean()) {
        ids.add(json.get("id").asText());
      }
      json.path("tasks").forEach(t -> {
        if (t.path("created").asBoolean()) {
          ids.add(t.get("id").asText());
        }
      });
    } catch (IOException | RuntimeException notJson) {
      // a 2xx without a task (a listing, a queue)
    }
    return ids;
  }

  private static void add(List<String> evidence, String line) {
    if (evidence.size() < 20) {
      evidence.add(line);
    }
  }

  private record Answer(int status, String body) {}

  private static Answer send(Cluster cluster, NodeProcess node, String method, String path,
      String json) {
    return send(cluster, node, new HostileCorpus.Request("seed", method, path,
        "Bearer " + Cluster.KEY, json == null ? null : "application/json",
        json == null ? null : json.getBytes(UTF_8), null, false));
  }

  private static Answer send(Cluster cluster, NodeProcess node, HostileCorpus.Request r) {
    HttpRequest.Builder b = HttpRequest.newBuilder(
            java.net.URI.create("http://127.0.0.1:" + node.httpPort + r.path()))
        .timeout(ANSWER_WITHIN)
        .method(r.method(), r.body() == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofByteArray(r.body()));
    if (r.authorization() != null) {
      b.header("Authorization", r.authorization());
    }
    if (r.contentType() != null) {
      b.header("Content-Type", r.contentType());
    }
    try {
      HttpResponse<byte[]> response = cluster.api().client().send(b.build(),
          HttpResponse.BodyHandlers.ofByteArray());
      return new Answer(response.statusCode(), new String(response.body(), UTF_8));
    } catch (IOException e) {
      return new Answer(0, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Answer(0, e.toString());
    }
  }

  /** Sends bytes the Java client would refuse to send, over a socket; reads the status line. */
  private static Answer raw(NodeProcess node, byte[] request) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", node.httpPort), 5_000);
      socket.setSoTimeout((int) ANSWER_WITHIN.toMillis());
      socket.getOutputStream().write(request);
      socket.getOutputStream().flush();
      InputStream in = socket.getInputStream();
      String response = new String(in.readAllBytes(), ISO_8859_1);
      if (!response.startsWith("HTTP/1.") || response.length() < 12) {
        return new Answer(0, "not an HTTP answer: " + abbreviate(response));
      }
      int bodyAt = response.indexOf("\r\n\r\n");
      return new Answer(Integer.parseInt(response.substring(9, 12)),
          bodyAt < 0 ? "" : response.substring(bodyAt + 4));
    } catch (IOException | NumberFormatException e) {
      return new Answer(0, e.toString());
    }
  }

  static String abbreviate(String text) {
    String shown = text.length() > 160 ? text.substring(0, 120) + "…(" + text.length()
        + " chars)" : text;
    StringBuilder out = new StringBuilder();
    for (char c : shown.toCharArray()) {
      out.append(c < 0x20 || c == 0x7F ? String.format("\\u%04x", (int) c) : String.valueOf(c));
    }
    return out.toString();
  }
}
