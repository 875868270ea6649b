package io.tasker.bench.faults;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The hostile requests of the fault suite, generated (families crossed with values, then
 * mutants of a valid request from a fixed seed) rather than taken from {@code HostileInputTest},
 * whose requests are interleaved with per-request expectations against an in-JVM gateway. This
 * suite only asks: never a 5xx, never a hang, nothing stored changes.
 */
final class HostileCorpus {
  private static final String JSON = "application/json";

  private HostileCorpus() {}

  /**
   * One request.
   *
   * @param label what it tries
   * @param authorization the Authorization header, or null for none
   * @param raw the whole request as bytes (sent over a socket), or null
   * @param protocolError an unknown method or HTTP version: 501 or 505 is the right answer
   */
  record Request(String label, String method, String path, String authorization,
      String contentType, byte[] body, byte[] raw, boolean protocolError) {
    @Override
    public String toString() {
      return label + " [" + method + " " + HostileRequests.abbreviate(path) + (body == null ? ""
          : " " + HostileRequests.abbreviate(new String(body, ISO_8859_1))) + "]";
    }
  }

  private static final List<String> MALFORMED = List.of(
      "{\"type\":\"echo\"", "{\"type\":", "{", "[", "\"", "", " ", "NaN", "{'type':'echo'}",
      "{type:\"echo\"}", "{\"type\":\"echo\",}", "{\"type\":\"echo\"}}", "{\"type\":\"echo\"} x",
      "{\"type\":\"echo\"}{}", "/* c */ {\"type\":\"echo\"}", "{\"type\":\"echo\",\"payload\":NaN}",
      "{\"type\":\"echo\",\"payload\":Infinity}", "{\"type\":\"echo\",\"priority\":+1}",
      "{\"type\":\"echo\",\"priority\":01}", "{\"type\":\"echo\",\"priority\":.5}",
      "{\"type\":\"echo\",\"priority\":0x10}", "{\"type\":\"echo\",\"payload\":undefined}",
      "{\"type\":\"ec\\x41ho\"}", "{\"type\":\"ec\\u00zzho\"}", "{\"type\" \"echo\"}",
      "{\"type\":\"echo\",\"payload\":\"a\u0001b\"}", "\u0000{\"type\":\"echo\"}",
      "{\"type\":\"echo\"}\u0000", "{\"type\":\"echo\",\"payload\":" + "[".repeat(10_000) + "]",
      "{\"type\":\"echo\",\"payload\":" + "1".repeat(1000) + "}",
      "{\"type\":\"echo\",\"\\ud800\":1}", "{\"type\":\"echo\",\"payload\":{\"\\udfff\":1}}",
      "1", "null", "[]", "\"echo\"", "true", "{}");

  /** Values for every field: wrong types, huge numbers, lone surrogates, NUL, odd times. */
  private static final List<String> VALUES = List.of(
      "1", "1.5", "-1", "true", "null", "[]", "{}", "\"\"", "\"x\"", "1e400", "-1e400",
      "99999999999999999999", "9223372036854775808", "-0", "\"\\ud800\"", "\"k\\udc00\"",
      "\"a\\u0000b\"", "\"\\u0000\"", "\"+1000000000-01-01T00:00:00Z\"",
      "\"-999999999-01-01T00:00:00Z\"", "\"1969-12-31T23:59:59Z\"", "\"9999-12-31T23:59:59Z\"",
      "\"2030-02-30T00:00:00Z\"", "\"P3651D\"", "\"PT9223372036854775807S\"", "\"-PT1S\"",
      "{\"kind\":\"exponential\",\"factor\":1e400}", "{\"k\":\"v\\u0000\"}",
      "{\"\\ud800\":\"v\"}", "\"" + "x".repeat(300) + "\"", "[1,\"two\",{\"three\":3}]");

  private static final List<String> FIELDS = List.of("type", "queue", "runAt", "delay",
      "timeout", "idempotencyKey", "concurrencyKey", "priority", "maxAttempts", "backoff",
      "metadata", "payload");

  /**
   * @param seedId a stored task: malformed bodies are sent to it (nothing may change it)
   * @param target a task valid reschedules may change (not compared)
   * @param key the node's API key (all scopes)
   * @param atLeast how many requests, at the least
   */
  static List<Request> build(String seedId, String target, String key, int atLeast) {
    String auth = "Bearer " + key;
    List<Request> out = new ArrayList<>();
    for (String body : MALFORMED) {
      out.add(json("malformed", "POST", "/v1/tasks", auth, body));
      out.add(json("malformed batch", "POST", "/v1/tasks:batch", auth, body));
      out.add(json("malformed reschedule of a stored task", "PATCH", "/v1/tasks/" + seedId,
          auth, body));
      out.add(json("malformed queue limits", "PUT", "/v1/queues/hostile", auth, body));
    }
    for (String field : FIELDS) {
      for (String value : VALUES) {
        String task = field.equals("type") ? "{\"type\":" + value + "}"
            : "{\"type\":\"" + (field.equals("payload") ? "sleep" : "echo") + "\",\"" + field
                + "\":" + value + "}";
        out.add(json(field + " = " + value, "POST", "/v1/tasks", auth, task));
        out.add(json("batch " + field + " = " + value, "POST", "/v1/tasks:batch", auth,
            "{\"tasks\":[{\"type\":\"echo\",\"delay\":\"PT1H\"}," + task + "]}"));
      }
    }
    for (String field : List.of("runAt", "delay", "priority")) {
      for (String value : VALUES) {
        out.add(json("reschedule " + field + " = " + value, "PATCH", "/v1/tasks/" + target, auth,
            "{\"" + field + "\":" + value + "}"));
      }
    }
    for (String unknown : List.of("{\"type\":\"echo\",\"colour\":1}",
        "{\"type\":\"echo\",\"backoff\":{\"kind\":\"fixed\",\"colour\":1}}",
        "{\"type\":\"echo\",\"Type\":\"echo\"}", "{\"type\":\"echo\",\"run_at\":\"2030-01-01T00:00:00Z\"}",
        "{\"type\":\"echo\",\"id\":\"echo:1\"}", "{\"type\":\"echo\",\"status\":\"SUCCEEDED\"}")) {
      out.add(json("unknown field", "POST", "/v1/tasks", auth, unknown));
      out.add(json("unknown field in a batch", "POST", "/v1/tasks:batch", auth,
          "{\"tasks\":[" + unknown + "]}"));
    }
    out.add(json("unknown field beside tasks", "POST", "/v1/tasks:batch", auth,
        "{\"tasks\":[{\"type\":\"echo\"}],\"extra\":1}"));
    for (String badAuth : new String[] {null, "Bearer wrong-key", "Bearer ", "Bearer",
        "Basic Zm9vOmJhcg==", "Token " + key, "Bearer " + key + "x", "Bearer x" + key,
        "Bearer " + "A".repeat(5_000)}) {
      String label = "bad auth " + (badAuth == null ? "(none)" : HostileRequests.abbreviate(
          badAuth));
      out.add(json(label, "GET", "/v1/tasks", badAuth, null));
      out.add(json(label, "POST", "/v1/tasks", badAuth, "{\"type\":\"echo\"}"));
      out.add(json(label, "GET", "/v1/tasks/" + seedId, badAuth, null));
      out.add(json(label, "DELETE", "/v1/tasks/" + seedId, badAuth, null));
      out.add(json(label, "PATCH", "/v1/tasks/" + seedId, badAuth, "{\"priority\":1}"));
      out.add(json(label, "PUT", "/v1/queues/default", badAuth, "{\"maxConcurrency\":1}"));
      out.add(json(label, "POST", "/v1/queues/default/pause", badAuth, ""));
    }
    String[][] wrongMethods = {{"DELETE", "/v1/tasks"}, {"PUT", "/v1/tasks"},
        {"PATCH", "/v1/tasks"}, {"POST", "/v1/tasks/" + seedId}, {"PUT", "/v1/tasks/" + seedId},
        {"GET", "/v1/tasks:batch"}, {"DELETE", "/v1/tasks:batch"}, {"DELETE", "/v1/queues"},
        {"POST", "/v1/queues/default"}, {"DELETE", "/v1/queues/default/pause"},
        {"GET", "/v1/queues/default/pause"}, {"OPTIONS", "/v1/tasks"},
        {"PUT", "/health/ready"}, {"POST", "/v1/openapi.json"}};
    for (String[] m : wrongMethods) {
      out.add(json("wrong method", m[0], m[1], auth, m[0].equals("GET") ? null : "{}"));
    }
    for (String type : List.of("text/plain", "application/xml", "multipart/form-data",
        "application/x-www-form-urlencoded", "application/jsonx")) {
      out.add(new Request("content type " + type, "POST", "/v1/tasks", auth, type,
          "{\"type\":\"echo\"}".getBytes(UTF_8), null, false));
    }
    for (String line : List.of("FOO /v1/tasks HTTP/1.1", "PROPFIND /v1/tasks HTTP/1.1",
        "BREW /v1/tasks HTTP/1.1", "GET /v1/tasks HTTP/2.0", "GET /v1/tasks HTTP/1.2",
        "GET /v1/tasks HTTP/3.0")) {
      out.add(raw(line, line, key, true));
    }
    for (String line : List.of("GET /v1/tasks?limit=%zz HTTP/1.1", "GET /v1/tasks/%zz HTTP/1.1",
        "GET /v1/tasks/" + "a".repeat(5_000) + " HTTP/1.1", "GET /v1/tasks?limit=99999999999 HTTP/1.1",
        "GET /v1/tasks?status=%00 HTTP/1.1", "GET /v1/tasks/%00 HTTP/1.1")) {
      out.add(raw("raw " + HostileRequests.abbreviate(line), line, key, false));
    }
    // mutants of a valid enqueue (some stay valid: those are accepted, and audited)
    Random random = new Random(20261130L);
    byte[] base = ("{\"type\":\"echo\",\"payload\":{\"n\":12,\"s\":\"abc\"},\"delay\":\"PT1H\","
        + "\"priority\":3,\"metadata\":{\"k\":\"v\"}}").getBytes(UTF_8);
    for (int i = 0; out.size() < atLeast; i++) {
      byte[] body = i % 5 == 4 ? randomBytes(random) : mutate(base, random);
      out.add(new Request("mutant #" + i, "POST", i % 3 == 2 ? "/v1/tasks:batch" : "/v1/tasks",
          auth, JSON, body, null, false));
    }
    return out;
  }

  private static Request json(String label, String method, String path, String auth,
      String body) {
    return new Request(label, method, path, auth, body == null ? null : JSON,
        body == null ? null : body.getBytes(UTF_8), null, false);
  }

  private static Request raw(String label, String requestLine, String key, boolean protocol) {
    String request = requestLine + "\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + key
        + "\r\nConnection: close\r\n\r\n";
    String method = requestLine.substring(0, requestLine.indexOf(' '));
    return new Request(label, method, requestLine, "Bearer " + key, null, null,
        request.getBytes(ISO_8859_1), protocol);
  }

  private static byte[] randomBytes(Random random) {
    byte[] body = new byte[random.nextInt(512) + 1];
    random.nextBytes(body);
    return body;
  }

  private static byte[] mutate(byte[] base, Random random) {
    byte[] mutant = base.clone();
    for (int e = 0, edits = 1 + random.nextInt(3); e < edits; e++) {
      int at = random.nextInt(mutant.length);
      switch (random.nextInt(3)) {
        case 0 -> mutant[at] = (byte) random.nextInt(256);
        case 1 -> {
          byte[] shorter = new byte[mutant.length - 1];
          System.arraycopy(mutant, 0, shorter, 0, at);
          System.arraycopy(mutant, at + 1, shorter, at, mutant.length - at - 1);
          mutant = shorter;
        }
        default -> {
          byte[] longer = new byte[mutant.length + 1];
          System.arraycopy(mutant, 0, longer, 0, at);
          longer[at] = (byte) random.nextInt(256);
          System.arraycopy(mutant, at, longer, at + 1, mutant.length - at);
          mutant = longer;
        }
      }
    }
    return mutant;
  }
}
