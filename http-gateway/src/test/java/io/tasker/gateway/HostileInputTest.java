package io.tasker.gateway;

import static io.tasker.gateway.GatewayFixture.ADMIN;
import static io.tasker.gateway.GatewayFixture.READER;
import static io.tasker.gateway.GatewayFixture.WRITER;
import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Hundreds of malformed and hostile requests against the gateway (over an inline Tasker, see
 * {@link GatewayFixture}). Every answer must be a 4xx (never a 5xx, never a hang) with a JSON body
 * {@code {"error":{"code","message","field"}}}, naming the offending field where there is one, and
 * the tasks stored before the barrage must be exactly as they were (each task's JSON and the
 * listing), unless a request was valid.
 *
 * <p>Each test method is one family of hostile input. It collects every violation it sees (so one
 * run reports all of them, each with the request and the answer) and fails at the end; after each
 * method the stored tasks are compared with the snapshot taken before the barrage.
 *
 * <p>A few requests are legitimately valid (e.g. {@code -0} is the integer 0); they are sent with
 * {@link #valid} or {@link #either}, with the reason next to them. A task such a request creates
 * is remembered and excluded from the listing comparison (and must itself be readable: 200 JSON).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.MethodName.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class HostileInputTest {
  /** The longest we wait for any single answer: longer counts as a hang. */
  private static final Duration ANSWER_WITHIN = Duration.ofSeconds(10);
  /** Marks "any field" in an expectation (otherwise the exact field, or null for JSON null). */
  private static final String ANY_FIELD = "\u0000any";
  private static final String JSON = "application/json";
  private static final String ECHO = "{\"type\":\"echo\",\"payload\":{\"x\":1}}";

  private GatewayFixture gateway;
  private HttpClient client;

  private final Map<String, JsonNode> seeds = new LinkedHashMap<>();
  private JsonNode listingSnapshot;
  private final Map<String, JsonNode> queueSnapshots = new LinkedHashMap<>();
  private String scheduledId;
  private String idempotentId;
  private String succeededId;
  private String deadId;
  private String cancelledId;
  /** Tasks created by requests that were valid: not part of the snapshot. */
  private final Set<String> acceptedIds = new LinkedHashSet<>();
  private final List<String> violations = new ArrayList<>();
  private final AtomicInteger sent = new AtomicInteger();

  @BeforeAll
  void start() {
    // The per-key rate limit is switched off here so that the barrage (hundreds of requests in a
    // second from the same keys) is judged on its content, not throttled to 429s; the rate limit
    // has its own test below with its own gateway.
    gateway = new GatewayFixture("tasker.http.rate-limit.per-key = 0");
    client = gateway.client;
    scheduledId = seed("{\"type\":\"echo\",\"payload\":{\"seed\":1},\"queue\":\"hostile\","
        + "\"runAt\":\"2035-01-01T00:00:00Z\",\"priority\":5,\"maxAttempts\":4,"
        + "\"backoff\":{\"kind\":\"linear\",\"initialDelay\":\"PT2S\",\"factor\":1.5,"
        + "\"maxDelay\":\"PT1M\",\"jitter\":0.1},\"timeout\":\"PT30S\","
        + "\"concurrencyKey\":\"tenant-1\",\"metadata\":{\"a\":\"b\"}}", "SCHEDULED");
    idempotentId = seed("{\"type\":\"flaky\",\"payload\":{\"failures\":1},\"delay\":\"P365D\","
        + "\"idempotencyKey\":\"seed-idem\"}", "SCHEDULED");
    succeededId = seed("{\"type\":\"echo\",\"payload\":[1,\"two\",{\"three\":3}]}", "SUCCEEDED");
    deadId = seed("{\"type\":\"fail\",\"payload\":{\"message\":\"seeded\",\"retryable\":false}}",
        "DEAD");
    cancelledId = seed("{\"type\":\"echo\",\"payload\":null,\"delay\":\"P30D\"}", "SCHEDULED");
    assertEquals(204, gateway.delete("/v1/tasks/" + cancelledId, WRITER).status());
    for (String id : List.of(scheduledId, idempotentId, succeededId, deadId, cancelledId)) {
      GatewayFixture.Reply reply = gateway.get("/v1/tasks/" + id, READER);
      assertEquals(200, reply.status(), reply.text());
      seeds.put(id, reply.json());
    }
    assertEquals("CANCELLED", seeds.get(cancelledId).get("status").asText());
    GatewayFixture.Reply listing = gateway.get("/v1/tasks?limit=500", READER);
    assertEquals(200, listing.status(), listing.text());
    listingSnapshot = listing.json();
    assertEquals(5, listingSnapshot.get("tasks").size(), listing.text());
    for (String queue : List.of("default", "hostile")) {
      queueSnapshots.put(queue, queueLimits(queue));
    }
  }

  private String seed(String json, String status) {
    GatewayFixture.Reply reply = gateway.post("/v1/tasks", WRITER, json);
    assertEquals(201, reply.status(), reply.text());
    String id = reply.json().get("id").asText();
    assertEquals(status, gateway.get("/v1/tasks/" + id, READER).json().get("status").asText());
    return id;
  }

  private JsonNode queueLimits(String queue) {
    GatewayFixture.Reply reply = gateway.get("/v1/queues/" + queue, READER);
    assertEquals(200, reply.status(), reply.text());
    return reply.json().get("limits");
  }

  @AfterAll
  void stop() {
    System.out.println("HostileInputTest: " + sent.get() + " hostile requests sent, "
        + acceptedIds.size() + " of them created a task (valid requests)");
    gateway.close();
  }

  @BeforeEach
  void clearViolations() {
    violations.clear();
  }

  /** Fails with every violation of this method, after checking nothing stored has changed. */
  @AfterEach
  void nothingStoredChangedAndNoViolations() {
    for (Map.Entry<String, JsonNode> seed : seeds.entrySet()) {
      GatewayFixture.Reply now = gateway.get("/v1/tasks/" + seed.getKey(), READER);
      if (now.status() != 200 || !seed.getValue().equals(now.json())) {
        violations.add("stored task " + seed.getKey() + " changed:\n  before: " + seed.getValue()
            + "\n  after:  " + now.status() + " " + now.text());
      }
    }
    GatewayFixture.Reply listing = gateway.get("/v1/tasks?limit=500", READER);
    if (listing.status() != 200) {
      violations.add("GET /v1/tasks?limit=500 answered " + listing.status() + " " + listing.text());
    } else {
      ArrayNode remaining = JsonContract.MAPPER.createArrayNode();
      listing.json().get("tasks").forEach(task -> {
        if (!acceptedIds.contains(task.get("id").asText())) {
          remaining.add(task);
        }
      });
      if (!remaining.equals(listingSnapshot.get("tasks"))) {
        violations.add("the listing changed beyond the tasks of valid requests:\n  before: "
            + listingSnapshot.get("tasks") + "\n  after:  " + remaining);
      }
    }
    for (Map.Entry<String, JsonNode> queue : queueSnapshots.entrySet()) {
      JsonNode limits = queueLimits(queue.getKey());
      if (!queue.getValue().equals(limits)) {
        violations.add("limits of queue " + queue.getKey() + " changed: before "
            + queue.getValue() + ", after " + limits);
      }
    }
    if (!violations.isEmpty()) {
      // Judge the next method on its own: what this one changed becomes the new baseline.
      seeds.replaceAll((id, before) -> gateway.get("/v1/tasks/" + id, READER).json());
      ArrayNode rebased = JsonContract.MAPPER.createArrayNode();
      gateway.get("/v1/tasks?limit=500", READER).json().get("tasks").forEach(task -> {
        if (!acceptedIds.contains(task.get("id").asText())) {
          rebased.add(task);
        }
      });
      ((com.fasterxml.jackson.databind.node.ObjectNode) listingSnapshot).set("tasks", rebased);
      queueSnapshots.replaceAll((queue, before) -> queueLimits(queue));
      fail(violations.size() + " violation(s):\n- " + String.join("\n- ", violations));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The families of hostile input

  @Test
  void badJson() {
    List<String> malformed = List.of(
        "{\"type\":\"echo\"",                                  // truncated
        "{\"type\":",
        "{\"type",
        "{",
        "[",
        "\"",
        "{\"type\":\"echo\",\"payload\":{\"x\":[1,2}}",         // mismatched brackets
        "{\"type\":\"echo\"}}",                                // trailing garbage
        "{\"type\":\"echo\"} x",
        "{\"type\":\"echo\"}{}",
        "{\"type\":\"echo\"}[]",
        "{\"type\":\"echo\"},",
        "/* comment */ {\"type\":\"echo\"}",                    // comments
        "{\"type\":\"echo\" // comment\n}",
        "# comment\n{\"type\":\"echo\"}",
        "{'type':'echo'}",                                     // single quotes
        "{\"type\":'echo'}",
        "{type:\"echo\"}",                                     // unquoted names
        "{\"type\":\"echo\",}",                                // trailing commas
        "{\"type\":\"echo\",\"payload\":[1,2,]}",
        "{\"type\":\"echo\",,\"payload\":1}",
        "{\"type\":\"echo\",\"payload\":NaN}",                 // non-numeric numbers
        "{\"type\":\"echo\",\"payload\":Infinity}",
        "{\"type\":\"echo\",\"payload\":-Infinity}",
        "{\"type\":\"echo\",\"priority\":+1}",                 // number syntax JSON forbids
        "{\"type\":\"echo\",\"priority\":01}",
        "{\"type\":\"echo\",\"priority\":.5}",
        "{\"type\":\"echo\",\"priority\":1.}",
        "{\"type\":\"echo\",\"priority\":0x10}",
        "{\"type\":\"echo\",\"priority\":1e}",
        "{\"type\":\"echo\",\"payload\":undefined}",
        "{\"type\":\"echo\",\"payload\":True}",
        "{\"type\":\"echo\",\"payload\":nul}",
        "{\"type\":\"ec\\x41ho\"}",                            // bad escapes
        "{\"type\":\"ec\\u00zzho\"}",
        "{\"type\":\"echo\\\"}",                               // unterminated string
        "{\"type\" \"echo\"}",                                 // missing colon
        "{\"type\":\"echo\" \"payload\":1}",                   // missing comma
        "NaN",
        "{\"type\":\"echo\",\"payload\":\"" + "\t" + "\"}",    // raw control character in a string
        "{\"type\":\"echo\",\"payload\":\"a\u0001b\"}",
        "{\"type\":\"echo\",\"payload\":\"line\nbreak\"}",
        "\u0000{\"type\":\"echo\"}",
        "{\"type\":\"echo\"}\u0000");
    for (String body : malformed) {
      expect("malformed JSON " + abbreviate(body), post("/v1/tasks", WRITER, body),
          400, "MALFORMED_JSON", null);
    }
    // Empty or blank bodies: refused as malformed, or as "body must be a JSON object".
    for (String body : List.of("", " ", "\n\t ")) {
      expectField("blank body " + abbreviate(body), post("/v1/tasks", WRITER, body), 400,
          null, "body");
    }
    // Well-formed JSON that is not an object.
    List<String> bare = List.of("1", "-0", "1.5", "1e400", "\"echo\"", "true", "false", "null",
        "[]", "[{\"type\":\"echo\"}]", "[[]]", "{}");
    for (String body : bare) {
      String field = body.equals("{}") ? "type" : "body";
      expect("bare value " + body, post("/v1/tasks", WRITER, body), 400, "VALIDATION_FAILED",
          field);
    }
    // Same on the other endpoints with a body.
    for (String body : List.of("{\"runAt\":", "{'delay':'PT1M'}", "{\"delay\":\"PT1M\"} x")) {
      expect("PATCH malformed " + abbreviate(body), patch(scheduledId, body), 400,
          "MALFORMED_JSON", null);
      expect("PUT queue malformed " + abbreviate(body),
          send("PUT", "/v1/queues/hostile", ADMIN, JSON, body), 400, "MALFORMED_JSON", null);
      expect("batch malformed " + abbreviate(body), post("/v1/tasks:batch", WRITER, body), 400,
          "MALFORMED_JSON", null);
    }
    for (String body : List.of("1", "\"x\"", "null", "[]", "true")) {
      expect("PATCH bare " + body, patch(scheduledId, body), 400, "VALIDATION_FAILED", "body");
      expect("PUT queue bare " + body, send("PUT", "/v1/queues/hostile", ADMIN, JSON, body), 400,
          "VALIDATION_FAILED", "body");
      expect("batch bare " + body, post("/v1/tasks:batch", WRITER, body), 400,
          "VALIDATION_FAILED", "tasks");
    }
    // Duplicate keys are ambiguous JSON: refusing them (400) or taking the last (as Jackson does
    // by default) are both acceptable, as long as nothing bad is stored.
    either("duplicate type key", post("/v1/tasks", WRITER,
        "{\"type\":\"nope\",\"type\":\"echo\",\"delay\":\"PT1H\"}"), "type");
    expectField("duplicate type key, last invalid", post("/v1/tasks", WRITER,
        "{\"type\":\"echo\",\"type\":\"nope\"}"), 400, "VALIDATION_FAILED", "type");
  }

  @Test
  void hugeAndOddNumbers() {
    String[] integerFields = {"priority", "maxAttempts"};
    for (String field : integerFields) {
      for (String number : List.of("1e400", "-1e400", "99999999999999999999",
          "-99999999999999999999", "2147483648", "-2147483649", "1.5", "-0.0", "1.0", "1e2",
          "0.0000001", "1e-400", "9223372036854775808")) {
        expect(field + " = " + number,
            post("/v1/tasks", WRITER, "{\"type\":\"echo\",\"" + field + "\":" + number + "}"),
            400, "VALIDATION_FAILED", field);
      }
    }
    // Numbers longer than the parser accepts (100 digits) are refused while parsing.
    expect("101-digit priority", post("/v1/tasks", WRITER,
        "{\"type\":\"echo\",\"priority\":" + "9".repeat(101) + "}"), 400, "MALFORMED_JSON", null);
    expect("1000-digit payload", post("/v1/tasks", WRITER,
        "{\"type\":\"echo\",\"payload\":" + "1".repeat(1000) + "}"), 400, "MALFORMED_JSON", null);
    expect("100-digit priority", post("/v1/tasks", WRITER,
        "{\"type\":\"echo\",\"priority\":" + "9".repeat(100) + "}"), 400, "VALIDATION_FAILED",
        "priority");
    // -0 is the JSON integer 0: a valid priority (and maxAttempts 1 is valid), so 201.
    valid("priority -0 is the integer 0", post("/v1/tasks", WRITER,
        "{\"type\":\"echo\",\"priority\":-0,\"delay\":\"PT1H\"}"));
    expect("maxAttempts -0 is 0, below the minimum 1", post("/v1/tasks", WRITER,
        "{\"type\":\"echo\",\"maxAttempts\":-0}"), 400, "VALIDATION_FAILED", "maxAttempts");
    // Floating fields: infinities (1e400 parses as Infinity) are refused, tiny ones are 0.
    for (String number : List.of("1e400", "-1e400", "1e99999999999")) {
      expect("backoff.factor = " + number, post("/v1/tasks", WRITER,
          "{\"type\":\"echo\",\"backoff\":{\"kind\":\"exponential\",\"factor\":" + number + "}}"),
          400, "VALIDATION_FAILED", "backoff.factor");
      expect("backoff.jitter = " + number, post("/v1/tasks", WRITER,
          "{\"type\":\"echo\",\"backoff\":{\"kind\":\"fixed\",\"jitter\":" + number + "}}"),
          400, "VALIDATION_FAILED", "backoff.jitter");
      expect("queue rate = " + number, send("PUT", "/v1/queues/hostile", ADMIN, JSON,
          "{\"rate\":" + number + "}"), 400, "VALIDATION_FAILED", "rate");
      expect("PATCH priority = " + number, patch(scheduledId, "{\"priority\":" + number + "}"),
          400, "VALIDATION_FAILED", "priority");
    }
    for (String number : List.of("99999999999999999999", "2147483648", "1.5", "-0.5")) {
      for (String field : List.of("maxConcurrency", "maxConcurrencyPerKey", "burst")) {
        expect("queue " + field + " = " + number, send("PUT", "/v1/queues/hostile", ADMIN, JSON,
            "{\"" + field + "\":" + number + "}"), 400, "VALIDATION_FAILED", field);
      }
      expect("PATCH priority = " + number, patch(scheduledId, "{\"priority\":" + number + "}"),
          400, "VALIDATION_FAILED", "priority");
    }
    // A huge payload number is still a JSON value the echo handler takes: valid, as long as the
    // stored task stays readable; an infinite one is refused.
    either("payload 99999999999999999999", post("/v1/tasks", WRITER,
        "{\"type\":\"echo\",\"payload\":99999999999999999999}"), "payload");
    expect("payload 1e400 (not finite)", post("/v1/tasks", WRITER,
        "{\"type\":\"echo\",\"payload\":{\"n\":1e400}}"), 400, "VALIDATION_FAILED", "payload.n");
    // Typed payloads: numbers that do not fit the handler's field are refused as payload.
    expect("flaky failures 1e400", post("/v1/tasks", WRITER,
        "{\"type\":\"flaky\",\"payload\":{\"failures\":1e400},\"delay\":\"PT1H\"}"), 400,
        "VALIDATION_FAILED", "payload");
    expect("flaky failures 99999999999999999999", post("/v1/tasks", WRITER,
        "{\"type\":\"flaky\",\"payload\":{\"failures\":99999999999999999999},\"delay\":\"PT1H\"}"),
        400, "VALIDATION_FAILED", "payload");
    expect("sleep millis 99999999999999999999", post("/v1/tasks", WRITER,
        "{\"type\":\"sleep\",\"payload\":{\"millis\":99999999999999999999}}"), 400,
        "VALIDATION_FAILED", "payload");
  }

  @Test
  void wrongTypesForEveryEnqueueField() {
    List<String> notStrings = List.of("1", "1.5", "true", "[]", "{}", "[\"echo\"]",
        "{\"a\":\"b\"}");
    for (String field : List.of("type", "queue", "runAt", "delay", "timeout", "idempotencyKey",
        "concurrencyKey")) {
      for (String value : notStrings) {
        String body = field.equals("type")
            ? "{\"type\":" + value + "}"
            : "{\"type\":\"echo\",\"" + field + "\":" + value + "}";
        expect(field + " = " + value, post("/v1/tasks", WRITER, body), 400, "VALIDATION_FAILED",
            field);
      }
    }
    expect("type null", post("/v1/tasks", WRITER, "{\"type\":null}"), 400, "VALIDATION_FAILED",
        "type");
    expect("type missing", post("/v1/tasks", WRITER, "{\"payload\":{}}"), 400,
        "VALIDATION_FAILED", "type");
    for (String field : List.of("priority", "maxAttempts")) {
      for (String value : List.of("\"1\"", "\"high\"", "true", "[]", "{}", "[1]", "\"\"")) {
        expect(field + " = " + value, post("/v1/tasks", WRITER,
            "{\"type\":\"echo\",\"" + field + "\":" + value + "}"), 400, "VALIDATION_FAILED",
            field);
      }
    }
    for (String value : List.of("\"exponential\"", "1", "true", "[]", "[{\"kind\":\"fixed\"}]")) {
      expect("backoff = " + value, post("/v1/tasks", WRITER,
          "{\"type\":\"echo\",\"backoff\":" + value + "}"), 400, "VALIDATION_FAILED", "backoff");
    }
    Map<String, List<String>> backoffFields = new LinkedHashMap<>();
    backoffFields.put("kind", List.of("1", "true", "[]", "{}", "null", "\"sideways\"", "\"\"",
        "\"exponential \""));
    backoffFields.put("initialDelay", List.of("1", "true", "[]", "\"5s\"", "\"PT\"",
        "\"-PT1S\"", "\"P31D\"", "\"PT99999999999999999999S\""));
    backoffFields.put("factor", List.of("\"2\"", "true", "[]", "{}", "0.5", "101", "-1"));
    backoffFields.put("maxDelay", List.of("1", "true", "\"PT0.5S\"", "\"P31D\"", "\"soon\""));
    backoffFields.put("jitter", List.of("\"0.1\"", "true", "[]", "-0.1", "1.5", "2"));
    for (Map.Entry<String, List<String>> entry : backoffFields.entrySet()) {
      for (String value : entry.getValue()) {
        String body = entry.getKey().equals("kind")
            ? "{\"type\":\"echo\",\"backoff\":{\"kind\":" + value + "}}"
            : "{\"type\":\"echo\",\"backoff\":{\"kind\":\"exponential\",\"initialDelay\":\"PT1S\","
                + "\"" + entry.getKey() + "\":" + value + "}}";
        expect("backoff." + entry.getKey() + " = " + value, post("/v1/tasks", WRITER, body), 400,
            "VALIDATION_FAILED", "backoff." + entry.getKey());
      }
    }
    expect("backoff missing kind", post("/v1/tasks", WRITER,
        "{\"type\":\"echo\",\"backoff\":{\"factor\":2}}"), 400, "VALIDATION_FAILED",
        "backoff.kind");
    expect("backoff unknown field", post("/v1/tasks", WRITER,
        "{\"type\":\"echo\",\"backoff\":{\"kind\":\"fixed\",\"colour\":1}}"), 400,
        "VALIDATION_FAILED", "backoff.colour");
    for (String value : List.of("\"x\"", "1", "true", "[]", "[[\"a\",\"b\"]]")) {
      expect("metadata = " + value, post("/v1/tasks", WRITER,
          "{\"type\":\"echo\",\"metadata\":" + value + "}"), 400, "VALIDATION_FAILED", "metadata");
    }
    for (String value : List.of("1", "1.5", "true", "null", "[]", "{}", "[\"v\"]")) {
      expect("metadata.k = " + value, post("/v1/tasks", WRITER,
          "{\"type\":\"echo\",\"metadata\":{\"ok\":\"v\",\"k\":" + value + "}}"), 400,
          "VALIDATION_FAILED", "metadata.k");
    }
    // Strings that are not what the field needs.
    Map<String, List<String>> badStrings = new LinkedHashMap<>();
    badStrings.put("type", List.of("", " echo", "echo ", "ECHO!", "nope", "../echo", "echo\\u0000",
        "\\u00e9cho", "\\ud83d\\ude00"));
    badStrings.put("queue", List.of("", "a b", "../default", "-q", ".q", "q/x", "q\\u0000",
        "\\u2603"));
    badStrings.put("runAt", List.of("", "tomorrow", "2030-01-01", "2030-01-01T00:00:00",
        "2030-02-30T00:00:00Z", "2030-01-01T25:00:00Z", "2030-01-01T00:00:00+25:00",
        "+1000000000-01-01T00:00:00Z", "1700000000", "2030-01-01T00:00:00Z\\u0000"));
    badStrings.put("delay", List.of("", "5 minutes", "PT", "P", "-PT1M", "PT1M ", "1000",
        "PT99999999999999999999H", "P1Y"));
    badStrings.put("timeout", List.of("", "30s", "PT0S", "-PT1S", "P2D", "PT24H0.000000001S",
        "PT9999999999999H"));
    badStrings.put("idempotencyKey", List.of("", "k".repeat(257)));
    badStrings.put("concurrencyKey", List.of("", "k".repeat(257)));
    for (Map.Entry<String, List<String>> entry : badStrings.entrySet()) {
      for (String value : entry.getValue()) {
        String body = entry.getKey().equals("type")
            ? "{\"type\":\"" + value + "\"}"
            : "{\"type\":\"echo\",\"" + entry.getKey() + "\":\"" + value + "\"}";
        expect(entry.getKey() + " = \"" + abbreviate(value) + "\"",
            post("/v1/tasks", WRITER, body), 400, "VALIDATION_FAILED", entry.getKey());
      }
    }
    expect("runAt and delay together", post("/v1/tasks", WRITER,
        "{\"type\":\"echo\",\"runAt\":\"2030-01-01T00:00:00Z\",\"delay\":\"PT1M\"}"), 400,
        "VALIDATION_FAILED", "delay");
    // A delay that fits a Duration but not an Instant (now + 3.6e16 s is past Instant.MAX): the
    // run time cannot exist, so this is a bad delay, not a server error.
    expect("delay beyond the end of time", post("/v1/tasks", WRITER,
        "{\"type\":\"echo\",\"delay\":\"PT9999999999999H\"}"), 400, "VALIDATION_FAILED", "delay");
    expect("delay of Long.MAX_VALUE seconds", post("/v1/tasks", WRITER,
        "{\"type\":\"echo\",\"delay\":\"PT9223372036854775807S\"}"), 400, "VALIDATION_FAILED",
        "delay");
    // Payloads the handler's class cannot take.
    for (String body : List.of(
        "{\"type\":\"sleep\",\"payload\":{\"millis\":\"x\"}}",
        "{\"type\":\"sleep\",\"payload\":{\"millis\":[]}}",
        "{\"type\":\"sleep\",\"payload\":{\"millis\":{}}}",
        "{\"type\":\"sleep\",\"payload\":[1,2]}",
        "{\"type\":\"sleep\",\"payload\":{\"millis\":1,\"extra\":true}}",
        "{\"type\":\"flaky\",\"payload\":{\"failures\":\"many\"}}",
        "{\"type\":\"flaky\",\"payload\":\"x\"}",
        "{\"type\":\"fail\",\"payload\":{\"message\":[],\"retryable\":false}}",
        "{\"type\":\"fail\",\"payload\":{\"message\":\"m\",\"retryable\":\"maybe\"}}")) {
      expect("payload " + abbreviate(body), post("/v1/tasks", WRITER, body), 400,
          "VALIDATION_FAILED", "payload");
    }
  }

  @Test
  void deepNesting() {
    String arrays = "[".repeat(10_000) + "]".repeat(10_000);
    expect("10,000 nested arrays in payload", post("/v1/tasks", WRITER,
        "{\"type\":\"echo\",\"payload\":" + arrays + "}"), 400, "MALFORMED_JSON", null);
    String objects = "{\"a\":".repeat(10_000) + "1" + "}".repeat(10_000);
    expect("10,000 nested objects in payload", post("/v1/tasks", WRITER,
        "{\"type\":\"echo\",\"payload\":" + objects + "}"), 400, "MALFORMED_JSON", null);
    expect("100,000 open arrays, never closed", post("/v1/tasks", WRITER,
        "{\"type\":\"echo\",\"payload\":" + "[".repeat(100_000)), 400, "MALFORMED_JSON", null);
    expect("nested arrays as the whole body", post("/v1/tasks", WRITER, arrays), 400,
        "MALFORMED_JSON", null);
    expect("nested metadata", post("/v1/tasks", WRITER,
        "{\"type\":\"echo\",\"metadata\":{\"k\":" + objects + "}}"), 400, "MALFORMED_JSON", null);
    expect("nested backoff", post("/v1/tasks", WRITER,
        "{\"type\":\"echo\",\"backoff\":" + arrays + "}"), 400, "MALFORMED_JSON", null);
    expect("nested PATCH", patch(scheduledId, "{\"priority\":" + arrays + "}"), 400,
        "MALFORMED_JSON", null);
    expect("nested PUT queue", send("PUT", "/v1/queues/hostile", ADMIN, JSON,
        "{\"rate\":" + arrays + "}"), 400, "MALFORMED_JSON", null);
    expect("nested batch", post("/v1/tasks:batch", WRITER, "{\"tasks\":" + arrays + "}"), 400,
        "MALFORMED_JSON", null);
    // Just within the parser's depth limit it is an ordinary payload.
    either("payload nested 32 deep", post("/v1/tasks", WRITER,
        "{\"type\":\"echo\",\"payload\":" + "[".repeat(32) + "]".repeat(32) + "}"), "payload");
  }

  @Test
  void invalidUtf8ControlCharactersAndLongStrings() {
    List<byte[]> invalidUtf8 = List.of(
        bytes("{\"type\":\"", new byte[] {(byte) 0xC3, 0x28}, "\"}"),         // bad continuation
        bytes("{\"type\":\"echo\",\"payload\":\"", new byte[] {(byte) 0xFF, (byte) 0xFE}, "\"}"),
        // Overlong encodings of '/' (2, 3 and 4 bytes): invalid UTF-8 (RFC 3629), the classic
        // filter bypass.
        bytes("{\"type\":\"echo\",\"payload\":\"", new byte[] {(byte) 0xC0, (byte) 0xAF}, "\"}"),
        bytes("{\"type\":\"echo\",\"payload\":\"", new byte[] {(byte) 0xE0, (byte) 0x80,
            (byte) 0xAF}, "\"}"),
        bytes("{\"type\":\"echo\",\"payload\":\"", new byte[] {(byte) 0xF0, (byte) 0x80,
            (byte) 0x80, (byte) 0xAF}, "\"}"),
        // Beyond U+10FFFF.
        bytes("{\"type\":\"echo\",\"payload\":\"", new byte[] {(byte) 0xF4, (byte) 0x90,
            (byte) 0x80, (byte) 0x80}, "\"}"),
        // An overlong '"' that would end the string early if decoded.
        bytes("{\"type\":\"echo\",\"payload\":\"a", new byte[] {(byte) 0xC0, (byte) 0xA2},
            "\"}"),
        bytes("{\"type\":\"echo\",\"payload\":\"", new byte[] {(byte) 0xE2, (byte) 0x82}, "\"}"),
        bytes("{\"type\":\"echo\",\"payload\":\"", new byte[] {(byte) 0xF8, (byte) 0x88,
            (byte) 0x80, (byte) 0x80, (byte) 0x80}, "\"}"),
        bytes("{\"type\":\"echo\",\"metadata\":{\"", new byte[] {(byte) 0x80}, "\":\"v\"}}"),
        bytes("", new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, (byte) 0xEF, (byte) 0xBB,
            (byte) 0xBF}, "{\"type\":\"echo\"}"),                            // two BOMs
        bytes("{\"type\":\"echo\"", new byte[] {(byte) 0xA0}, "}"),
        new byte[] {(byte) 0xFF, (byte) 0xFF, '{', '}'});
    for (byte[] body : invalidUtf8) {
      expect("invalid UTF-8 " + hex(body), send("POST", "/v1/tasks", WRITER, JSON, body), 400,
          "MALFORMED_JSON", null);
    }
    expect("invalid UTF-8 in PATCH", send("PATCH", "/v1/tasks/" + scheduledId, WRITER, JSON,
        bytes("{\"runAt\":\"", new byte[] {(byte) 0xFF}, "\"}")), 400, "MALFORMED_JSON", null);
    // Escaped control characters make valid JSON strings: refused where the field has a syntax,
    // accepted where any string goes (a payload, a key, metadata), and stored readably.
    for (String control : List.of("\\u0000", "\\u0001", "\\u001b", "\\u007f", "\\r\\n")) {
      expect("type with " + control, post("/v1/tasks", WRITER,
          "{\"type\":\"echo" + control + "\"}"), 400, "VALIDATION_FAILED", "type");
      expect("queue with " + control, post("/v1/tasks", WRITER,
          "{\"type\":\"echo\",\"queue\":\"q" + control + "\"}"), 400, "VALIDATION_FAILED", "queue");
      expect("delay with " + control, post("/v1/tasks", WRITER,
          "{\"type\":\"echo\",\"delay\":\"PT1M" + control + "\"}"), 400, "VALIDATION_FAILED",
          "delay");
      // Keys and metadata are free-form strings (README: 1-256 characters), so these are valid.
      either("idempotencyKey with " + control, post("/v1/tasks", WRITER,
          "{\"type\":\"echo\",\"delay\":\"PT1H\",\"idempotencyKey\":\"k" + control + "\"}"),
          "idempotencyKey");
      either("metadata with " + control, post("/v1/tasks", WRITER,
          "{\"type\":\"echo\",\"metadata\":{\"k" + control + "\":\"v" + control + "\"}}"),
          "metadata");
      either("payload with " + control, post("/v1/tasks", WRITER,
          "{\"type\":\"echo\",\"payload\":\"p" + control + "\"}"), "payload");
    }
    // Very long strings in every field.
    String huge = "x".repeat(200_000);
    for (String field : List.of("type", "queue", "runAt", "delay", "timeout", "idempotencyKey",
        "concurrencyKey")) {
      String body = field.equals("type")
          ? "{\"type\":\"" + huge + "\"}"
          : "{\"type\":\"echo\",\"" + field + "\":\"" + huge + "\"}";
      expect("200,000-character " + field, post("/v1/tasks", WRITER, body), 400,
          "VALIDATION_FAILED", field);
    }
    // Field names beyond the parser's limit (50,000) are refused while parsing; shorter unknown
    // ones are named.
    expect("200,000-character field name", post("/v1/tasks", WRITER,
        "{\"type\":\"echo\",\"" + huge + "\":1}"), 400, "MALFORMED_JSON", null);
    String longName = "n".repeat(40_000);
    expect("40,000-character field name", post("/v1/tasks", WRITER,
        "{\"type\":\"echo\",\"" + longName + "\":1}"), 400, "VALIDATION_FAILED", longName);
    expect("200,000-digit delay", post("/v1/tasks", WRITER,
        "{\"type\":\"echo\",\"delay\":\"PT" + "9".repeat(200_000) + "S\"}"), 400,
        "VALIDATION_FAILED", "delay");
    expect("200,000-character backoff.kind", post("/v1/tasks", WRITER,
        "{\"type\":\"echo\",\"backoff\":{\"kind\":\"" + huge + "\"}}"), 400, "VALIDATION_FAILED",
        "backoff.kind");
    expect("metadata value of 1025 characters", post("/v1/tasks", WRITER,
        "{\"type\":\"echo\",\"metadata\":{\"k\":\"" + "v".repeat(1025) + "\"}}"), 400,
        "VALIDATION_FAILED", "metadata.k");
    expect("metadata value of 200,000 characters", post("/v1/tasks", WRITER,
        "{\"type\":\"echo\",\"metadata\":{\"k\":\"" + huge + "\"}}"), 400, "VALIDATION_FAILED",
        "metadata.k");
    expect("metadata key of 65 characters", post("/v1/tasks", WRITER,
        "{\"type\":\"echo\",\"metadata\":{\"" + "k".repeat(65) + "\":\"v\"}}"), 400,
        "VALIDATION_FAILED", "metadata");
    expect("empty metadata key", post("/v1/tasks", WRITER,
        "{\"type\":\"echo\",\"metadata\":{\"\":\"v\"}}"), 400, "VALIDATION_FAILED", "metadata");
    expect("PATCH runAt of 200,000 characters", patch(scheduledId,
        "{\"runAt\":\"" + huge + "\"}"), 400, "VALIDATION_FAILED", "runAt");
    expect("queue name segment of 1,000 characters", send("PUT",
        "/v1/queues/" + "q".repeat(1000), ADMIN, JSON, "{\"rate\":1}"), 400, "VALIDATION_FAILED",
        "name");
  }

  /**
   * Lone UTF-16 surrogates are legal JSON escapes ({@code "\ud800"}) and legal in Java strings,
   * but cannot be written back as UTF-8. They are refused (400, see {@link
   * #unstorableStringsAndNumbersAreRefusedNamingTheField}); what must never happen whatever the
   * answer: a stored task (or the whole listing) that can no longer be read. On its own gateway so a
   * poisoned store cannot spill into the other checks.
   */
  @Test
  void loneSurrogatesNeverMakeATaskUnreadable() {
    try (GatewayFixture own = new GatewayFixture("tasker.http.rate-limit.per-key = 0")) {
      List<String> bodies = List.of(
          "{\"type\":\"echo\",\"payload\":\"\\ud800\"}",
          "{\"type\":\"echo\",\"payload\":{\"\\udfff\":1}}",
          "{\"type\":\"echo\",\"delay\":\"PT1H\",\"concurrencyKey\":\"tenant-\\ud800\"}",
          "{\"type\":\"echo\",\"delay\":\"PT1H\",\"idempotencyKey\":\"k\\udc00\"}",
          "{\"type\":\"echo\",\"metadata\":{\"k\":\"v\\ud83d\"}}",
          "{\"type\":\"echo\",\"metadata\":{\"\\ud800\":\"v\"}}");
      List<String> created = new ArrayList<>();
      for (String body : bodies) {
        Answer answer = send(own, request("POST", "/v1/tasks", WRITER, JSON, body.getBytes(UTF_8)));
        check("lone surrogate " + body, answer, Set.of(200, 201, 400), null, ANY_FIELD, true);
        if (answer != null && (answer.status == 201 || answer.status == 200)) {
          created.add(answer.json().get("id").asText());
        }
      }
      // UTF-8 bytes of a surrogate (CESU-8 style): not valid UTF-8.
      Answer cesu = send(own, request("POST", "/v1/tasks", WRITER, JSON,
          bytes("{\"type\":\"echo\",\"payload\":\"", new byte[] {(byte) 0xED, (byte) 0xA0,
              (byte) 0x80}, "\"}")));
      check("surrogate encoded in UTF-8 bytes", cesu, Set.of(200, 201, 400), null, ANY_FIELD,
          true);
      if (cesu != null && (cesu.status == 201 || cesu.status == 200)) {
        created.add(cesu.json().get("id").asText());
      }
      for (String id : created) {
        Answer task = send(own, request("GET", "/v1/tasks/" + id, READER, null, null));
        if (task == null || task.status != 200 || task.jsonOrNull() == null) {
          violations.add("task " + id + " was accepted but cannot be read back: GET /v1/tasks/"
              + id + " -> " + describe(task));
        }
      }
      Answer listing = send(own, request("GET", "/v1/tasks?limit=500", READER, null, null));
      if (listing == null || listing.status != 200 || listing.jsonOrNull() == null) {
        violations.add("after accepting lone surrogates, GET /v1/tasks?limit=500 -> "
            + describe(listing));
      }
    }
  }

  /**
   * Strings the journal's serializer cannot write (lone surrogates) or PostgreSQL text cannot hold
   * (NUL), and payload numbers that are not finite, are refused at once, naming the field; on the
   * inline fixture nothing would fail later, so this pins the refusal itself ({@code
   * EndToEndTest} sends the same values to a real journal).
   */
  @Test
  void unstorableStringsAndNumbersAreRefusedNamingTheField() {
    Map<String, String> refused = new LinkedHashMap<>();
    refused.put("{\"type\":\"echo\",\"payload\":{\"a\":\"\\ud800\"}}", "payload.a");
    refused.put("{\"type\":\"echo\",\"payload\":{\"a\":[\"ok\",{\"b\":\"x\\udfff\"}]}}",
        "payload.a[1].b");
    refused.put("{\"type\":\"echo\",\"payload\":\"\\ude00\\ud83d\"}", "payload");
    refused.put("{\"type\":\"echo\",\"payload\":{\"n\":1e400}}", "payload.n");
    refused.put("{\"type\":\"echo\",\"payload\":[1,-1e400]}", "payload[1]");
    refused.put("{\"type\":\"echo\",\"payload\":1e99999}", "payload");
    refused.put("{\"type\":\"echo\",\"metadata\":{\"k\":\"v\\ud83d\"}}", "metadata.k");
    refused.put("{\"type\":\"echo\",\"metadata\":{\"k\":\"v\\u0000\"}}", "metadata.k");
    refused.put("{\"type\":\"echo\",\"metadata\":{\"k\\u0000\":\"v\"}}", "metadata");
    for (String field : List.of("type", "queue", "idempotencyKey", "concurrencyKey")) {
      for (String bad : List.of("k\\ud800", "\\udc00k", "k\\u0000", "\\u0000")) {
        refused.put(field.equals("type") ? "{\"type\":\"" + bad + "\"}"
            : "{\"type\":\"echo\",\"" + field + "\":\"" + bad + "\"}", field);
      }
    }
    refused.forEach((body, field) -> {
      expect("enqueue " + body, post("/v1/tasks", WRITER, body), 400, "VALIDATION_FAILED", field);
      expect("batch " + body, post("/v1/tasks:batch", WRITER, "{\"tasks\":[" + ECHO + "," + body
          + "]}"), 400, "VALIDATION_FAILED", "tasks[1]." + field);
      expect("schedule template " + body, send("PUT", "/v1/schedules/hostile", WRITER, JSON,
          "{\"interval\":\"PT1H\",\"task\":" + body + "}"), 400, "VALIDATION_FAILED",
          "task." + field);
    });
    // In a field name the parser itself refuses a lone surrogate (the Java API's check of names
    // is pinned in TaskSpecTest).
    for (String body : List.of("{\"type\":\"echo\",\"payload\":{\"a\":{\"\\ud800\":1}}}",
        "{\"type\":\"echo\",\"metadata\":{\"\\ud800\":\"v\"}}",
        "{\"type\":\"echo\",\"\\ud800\":1}")) {
      expect("lone surrogate in a field name " + body, post("/v1/tasks", WRITER, body), 400,
          "MALFORMED_JSON", null);
    }
    // A payload is stored as bytes (the journal's CBOR), never as database text: NUL is data.
    Answer nul = send(post("/v1/tasks", WRITER,
        "{\"type\":\"echo\",\"payload\":{\"a\\u0000\":\"x\\u0000y\"}}"));
    check("payload with NUL", nul, Set.of(201), null, ANY_FIELD, true);
    acceptCreated("payload with NUL", nul);
    if (nul != null && nul.status == 201) {
      JsonNode task = send(request("GET", "/v1/tasks/" + nul.json().get("id").asText(), READER,
          null, null)).json();
      if (!"x\u0000y".equals(task.path("payload").path("a\u0000").asText())
          || !task.path("payload").equals(task.path("result"))) {
        violations.add("payload with NUL did not come back as sent: " + abbreviate(task.toString()));
      }
    }
  }

  /** A handler whose payload is a record cannot take a missing or null payload. */
  @Test
  void missingPayloadOfATypedHandlerIsRefused() {
    for (String type : List.of("sleep", "flaky", "fail")) {
      for (String body : List.of("{\"type\":\"" + type + "\"}",
          "{\"type\":\"" + type + "\",\"payload\":null}")) {
        expect(body, post("/v1/tasks", WRITER, body), 400, "VALIDATION_FAILED", "payload");
        expect("batch " + body, post("/v1/tasks:batch", WRITER, "{\"tasks\":[" + body + "]}"),
            400, "VALIDATION_FAILED", "tasks[0].payload");
      }
    }
    // echo takes any JSON value, null included
    valid("echo without payload", post("/v1/tasks", WRITER,
        "{\"type\":\"echo\",\"delay\":\"PT1H\"}"));
  }

  /**
   * One range for every time a caller gives (runAt, a reschedule's runAt, a schedule's startAt
   * and endAt): from 1970-01-01T00:00:00Z to 3650 days from now, as far as a delay reaches.
   */
  @Test
  void timesOutsideTheOneRangeAreRefused() {
    java.time.Instant latest = gateway.clock.instant().plus(Duration.ofDays(3650));
    List<String> outside = List.of("1969-12-31T23:59:59Z", "0000-01-01T00:00:00Z",
        "-999999999-01-01T00:00:00Z", "+999999999-12-31T23:59:59Z", "9999-12-31T23:59:59Z",
        latest.plusMillis(1).toString());
    for (String time : outside) {
      expectRange("runAt " + time, post("/v1/tasks", WRITER,
          "{\"type\":\"echo\",\"runAt\":\"" + time + "\"}"), "runAt", "1970-01-01T00:00:00Z");
      expectRange("PATCH runAt " + time, patch(scheduledId, "{\"runAt\":\"" + time + "\"}"),
          "runAt", "3650 days from now");
      for (String field : List.of("startAt", "endAt")) {
        expectRange("schedule " + field + " " + time, send("PUT", "/v1/schedules/hostile", WRITER,
            JSON, "{\"interval\":\"PT1H\",\"" + field + "\":\"" + time + "\","
                + "\"task\":" + ECHO + "}"), field, "1970-01-01T00:00:00Z");
      }
    }
    valid("runAt at the epoch runs now", post("/v1/tasks", WRITER,
        "{\"type\":\"echo\",\"runAt\":\"1970-01-01T00:00:00Z\"}"));
    valid("runAt 3650 days from now", post("/v1/tasks", WRITER,
        "{\"type\":\"echo\",\"runAt\":\"" + latest + "\"}"));
    valid("delay of 3650 days", post("/v1/tasks", WRITER,
        "{\"type\":\"echo\",\"delay\":\"P3650D\"}"));
  }

  /** A number outside its field's range is refused with that range in the message. */
  @Test
  void outOfRangeNumbersStateTheRange() {
    for (String number : List.of("1e400", "-1e400", "99999999999999999999", "2147483648",
        "-2147483649", "5000000")) {
      expectRange("priority " + number, post("/v1/tasks", WRITER,
          "{\"type\":\"echo\",\"priority\":" + number + "}"), "priority",
          "between -1000 and 1000");
      expectRange("maxAttempts " + number, post("/v1/tasks", WRITER,
          "{\"type\":\"echo\",\"maxAttempts\":" + number + "}"), "maxAttempts",
          "between 1 and 1000");
      expectRange("PATCH priority " + number, patch(scheduledId, "{\"priority\":" + number + "}"),
          "priority", "between -1000 and 1000");
      for (String field : List.of("maxConcurrency", "maxConcurrencyPerKey", "burst")) {
        expectRange("queue " + field + " " + number, send("PUT", "/v1/queues/hostile", ADMIN, JSON,
            "{\"" + field + "\":" + number + "}"), field, "between 0 and 1000000");
      }
      expectRange("queue rate " + number, send("PUT", "/v1/queues/hostile", ADMIN, JSON,
          "{\"rate\":" + number + "}"), "rate", "between 0");
      expectRange("backoff.factor " + number, post("/v1/tasks", WRITER,
          "{\"type\":\"echo\",\"backoff\":{\"kind\":\"exponential\",\"factor\":" + number
              + "}}"), "backoff.factor", "between 1.0 and 100");
      expectRange("backoff.jitter " + number, post("/v1/tasks", WRITER,
          "{\"type\":\"echo\",\"backoff\":{\"kind\":\"fixed\",\"jitter\":" + number + "}}"),
          "backoff.jitter", "between 0 and 1");
    }
    // Durations too long for a Duration at all are out of range too, not malformed.
    for (String duration : List.of("PT99999999999999999999S", "-PT99999999999999999999S",
        "PT9999999999999999H", "P99999999999999D")) {
      expectRange("timeout " + duration, post("/v1/tasks", WRITER,
          "{\"type\":\"echo\",\"timeout\":\"" + duration + "\"}"), "timeout", "at most PT24H");
      expectRange("delay " + duration, post("/v1/tasks", WRITER,
          "{\"type\":\"echo\",\"delay\":\"" + duration + "\"}"), "delay",
          duration.startsWith("-") ? "must not be negative" : "at most 3650 days");
      expectRange("backoff.initialDelay " + duration, post("/v1/tasks", WRITER,
          "{\"type\":\"echo\",\"backoff\":{\"kind\":\"fixed\",\"initialDelay\":\""
              + duration + "\"}}"), "backoff.initialDelay", "between 0 and PT720H");
      expectRange("schedule interval " + duration, send("PUT", "/v1/schedules/hostile", WRITER,
          JSON, "{\"interval\":\"" + duration + "\",\"task\":" + ECHO + "}"), "interval",
          "between 1s and 3650 days");
    }
  }

  @Test
  void oversizedBodies() {
    byte[] justOver = ("{\"type\":\"echo\",\"payload\":\"" + "x".repeat(1024 * 1024) + "\"}")
        .getBytes(UTF_8);
    expect("body just over 1 MiB", send("POST", "/v1/tasks", WRITER, JSON, justOver), 413,
        "PAYLOAD_TOO_LARGE", null);
    expect("body of 1 MiB + 1 byte of spaces", send("POST", "/v1/tasks", WRITER, JSON,
        (" ".repeat(1024 * 1024) + "1").getBytes(UTF_8)), 413, "PAYLOAD_TOO_LARGE", null);
    byte[] big = ("{\"type\":\"echo\",\"payload\":\"" + "y".repeat(3 * 1024 * 1024) + "\"}")
        .getBytes(UTF_8);
    expect("3 MiB body", send("POST", "/v1/tasks", WRITER, JSON, big), 413, "PAYLOAD_TOO_LARGE",
        null);
    expect("2 MiB chunked body (no Content-Length)", request("POST", "/v1/tasks", WRITER, JSON,
        ("{\"type\":\"echo\",\"payload\":\"" + "z".repeat(2 * 1024 * 1024) + "\"}")
            .getBytes(UTF_8)).chunked(), 413, "PAYLOAD_TOO_LARGE", null);
    expect("oversized PATCH", send("PATCH", "/v1/tasks/" + scheduledId, WRITER, JSON,
        ("{\"runAt\":\"" + "1".repeat(1024 * 1024 + 10) + "\"}").getBytes(UTF_8)), 413,
        "PAYLOAD_TOO_LARGE", null);
    expect("oversized PUT queue", send("PUT", "/v1/queues/hostile", ADMIN, JSON,
        ("{\"rate\":1," + "\"x\":1,".repeat(200_000) + "\"burst\":1}").getBytes(UTF_8)), 413,
        "PAYLOAD_TOO_LARGE", null);
    StringBuilder batch = new StringBuilder("{\"tasks\":[");
    for (int i = 0; i < 90; i++) {
      batch.append(i == 0 ? "" : ",").append("{\"type\":\"echo\",\"payload\":\"")
          .append("b".repeat(12_000)).append("\"}");
    }
    expect("oversized batch", post("/v1/tasks:batch", WRITER, batch.append("]}").toString()), 413,
        "PAYLOAD_TOO_LARGE", null);
  }

  @Test
  void wrongOrMissingContentType() {
    String body = "{\"type\":\"echo\",\"delay\":\"PT1H\"}";
    for (String type : List.of("text/plain", "application/xml", "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=xyz", "application/octet-stream", "application/jsonx",
        "application/json-patch+json", "application/merge-patch+json", "text/json", "*/*",
        "application/*", "json", "garbage!!", "")) {
      expect("Content-Type '" + type + "'", send("POST", "/v1/tasks", WRITER, type, body), 415,
          "UNSUPPORTED_MEDIA_TYPE", null);
    }
    expect("no Content-Type", send("POST", "/v1/tasks", WRITER, null, body), 415,
        "UNSUPPORTED_MEDIA_TYPE", null);
    expect("form body", send("POST", "/v1/tasks", WRITER, "application/x-www-form-urlencoded",
        "type=echo&payload=1"), 415, "UNSUPPORTED_MEDIA_TYPE", null);
    expect("PATCH as text/plain", send("PATCH", "/v1/tasks/" + scheduledId, WRITER, "text/plain",
        "{\"priority\":1}"), 415, "UNSUPPORTED_MEDIA_TYPE", null);
    expect("PATCH without Content-Type", send("PATCH", "/v1/tasks/" + scheduledId, WRITER, null,
        "{\"priority\":1}"), 415, "UNSUPPORTED_MEDIA_TYPE", null);
    expect("PUT queue as text/plain", send("PUT", "/v1/queues/hostile", ADMIN, "text/plain",
        "{\"rate\":1}"), 415, "UNSUPPORTED_MEDIA_TYPE", null);
    expect("batch as text/plain", send("POST", "/v1/tasks:batch", WRITER, "text/plain",
        "{\"tasks\":[{\"type\":\"echo\"}]}"), 415, "UNSUPPORTED_MEDIA_TYPE", null);
    // A POST without any body: JSON declared but nothing sent is malformed; nothing declared 415.
    expectStatus("POST JSON without body", send("POST", "/v1/tasks", WRITER, JSON, (byte[]) null),
        Set.of(400, 415));
    expect("POST without body or type", send("POST", "/v1/tasks", WRITER, null, (byte[]) null),
        415, "UNSUPPORTED_MEDIA_TYPE", null);
  }

  @Test
  void unknownFieldsAndOutOfRangeValues() {
    for (String field : List.of("colour", "Type", "TYPE", "id", "status", "attempts", "result",
        "createdAt", "history", "run_at", "max_attempts", "", " ", "type ", "__proto__",
        "constructor", "$where", "payload.x")) {
      expect("unknown field '" + field + "'", post("/v1/tasks", WRITER,
          "{\"type\":\"echo\",\"" + field + "\":1}"), 400, "VALIDATION_FAILED", field);
    }
    expect("unknown PATCH field", patch(scheduledId, "{\"priority\":1,\"status\":\"SUCCEEDED\"}"),
        400, "VALIDATION_FAILED", "status");
    expect("unknown PATCH field maxAttempts", patch(scheduledId, "{\"maxAttempts\":9}"), 400,
        "VALIDATION_FAILED", "maxAttempts");
    expect("unknown PUT field", send("PUT", "/v1/queues/hostile", ADMIN, JSON,
        "{\"maxConcurrency\":3,\"colour\":1}"), 400, "VALIDATION_FAILED", "colour");
    for (Map.Entry<String, String> entry : Map.of("priority", List.of("1001", "-1001",
        "2147483647", "-2147483648"), "maxAttempts", List.of("0", "-1", "1001", "2147483647"))
        .entrySet().stream().flatMap(e -> e.getValue().stream().map(v -> Map.entry(e.getKey(), v)))
        .toList()) {
      expect(entry.getKey() + " = " + entry.getValue(), post("/v1/tasks", WRITER,
          "{\"type\":\"echo\",\"" + entry.getKey() + "\":" + entry.getValue() + "}"), 400,
          "VALIDATION_FAILED", entry.getKey());
    }
    for (String timeout : List.of("PT0S", "-PT1S", "PT24H0.001S", "P1DT1S", "P365D")) {
      expect("timeout = " + timeout, post("/v1/tasks", WRITER,
          "{\"type\":\"echo\",\"timeout\":\"" + timeout + "\"}"), 400, "VALIDATION_FAILED",
          "timeout");
    }
    for (String[] backoff : new String[][] {
        {"\"kind\":\"exponential\",\"factor\":0.99", "factor"},
        {"\"kind\":\"exponential\",\"factor\":100.01", "factor"},
        {"\"kind\":\"linear\",\"factor\":-0.01", "factor"},
        {"\"kind\":\"fixed\",\"jitter\":-0.01", "jitter"},
        {"\"kind\":\"fixed\",\"jitter\":1.01", "jitter"},
        {"\"kind\":\"fixed\",\"initialDelay\":\"P30DT1S\"", "initialDelay"},
        {"\"kind\":\"fixed\",\"initialDelay\":\"PT1M\",\"maxDelay\":\"PT59S\"", "maxDelay"},
        {"\"kind\":\"fixed\",\"maxDelay\":\"P31D\"", "maxDelay"}}) {
      expect("backoff {" + backoff[0] + "}", post("/v1/tasks", WRITER,
          "{\"type\":\"echo\",\"backoff\":{" + backoff[0] + "}}"), 400, "VALIDATION_FAILED",
          "backoff." + backoff[1]);
    }
    StringBuilder metadata = new StringBuilder();
    for (int i = 0; i < 33; i++) {
      metadata.append(i == 0 ? "" : ",").append("\"k").append(i).append("\":\"v\"");
    }
    expect("33 metadata entries", post("/v1/tasks", WRITER,
        "{\"type\":\"echo\",\"metadata\":{" + metadata + "}}"), 400, "VALIDATION_FAILED",
        "metadata");
    StringBuilder many = new StringBuilder();
    for (int i = 0; i < 10_000; i++) {
      many.append(i == 0 ? "" : ",").append("\"k").append(i).append("\":\"v\"");
    }
    expect("10,000 metadata entries", post("/v1/tasks", WRITER,
        "{\"type\":\"echo\",\"metadata\":{" + many + "}}"), 400, "VALIDATION_FAILED", "metadata");
    for (String[] limits : new String[][] {
        {"{\"maxConcurrency\":-1}", "maxConcurrency"},
        {"{\"maxConcurrency\":1000001}", "maxConcurrency"},
        {"{\"maxConcurrencyPerKey\":-1}", "maxConcurrencyPerKey"},
        {"{\"rate\":-0.5}", "rate"},
        {"{\"rate\":1000000.5}", "rate"},
        {"{\"burst\":-1}", "burst"},
        {"{\"burst\":1000001}", "burst"},
        {"{\"paused\":\"true\"}", "paused"},
        {"{\"paused\":1}", "paused"},
        {"{\"paused\":null,\"maxConcurrency\":\"3\"}", "maxConcurrency"}}) {
      expect("PUT queue " + limits[0], send("PUT", "/v1/queues/hostile", ADMIN, JSON, limits[0]),
          400, "VALIDATION_FAILED", limits[1]);
    }
  }

  @Test
  void badIdsAndNamesInPaths() {
    List<String> badIds = List.of("..%2F..", "a%2Fb", "%2F", "%20",
        "bad%20id", "a" + "b".repeat(128), "x".repeat(1500), "%E2%9C%93", "%F0%9F%92%A9",
        "%C3%A9t%C3%A9", "%00", "%0D%0A", "id%00", "-leading-dash", "_x", "a;b", "a%3Bb",
        "a%22b", "%27%20OR%201%3D1--", "%3Cscript%3E", "a%25b", "%C3%28", "%FF%FE");
    for (String id : badIds) {
      String path = "/v1/tasks/" + id;
      expect("GET " + abbreviate(path), send("GET", path, READER, null, (byte[]) null), 400,
          "VALIDATION_FAILED", "id");
      expect("DELETE " + abbreviate(path), send("DELETE", path, WRITER, null, (byte[]) null), 400,
          "VALIDATION_FAILED", "id");
      expect("PATCH " + abbreviate(path), send("PATCH", path, WRITER, JSON,
          "{\"priority\":1}"), 400, "VALIDATION_FAILED", "id");
      expect("retry " + abbreviate(path), send("POST", path + "/retry", WRITER, null,
          (byte[]) null), 400, "VALIDATION_FAILED", "id");
    }
    // Dot segments ("." and "..", also percent-encoded) are removed by Pekko before routing
    // (RFC 3986 normalization), so these name other paths: any JSON 4xx (404, 405) will do.
    for (String id : List.of("..", ".", "%2E%2E", "%2e", "..%2F")) {
      String path = "/v1/tasks/" + id;
      expectStatus("GET " + path, send("GET", path, READER, null, (byte[]) null), FOUR_XX);
      expectStatus("DELETE " + path, send("DELETE", path, WRITER, null, (byte[]) null), FOUR_XX);
      expectStatus("PATCH " + path, send("PATCH", path, WRITER, JSON, "{\"priority\":1}"),
          FOUR_XX);
      expectStatus("retry " + path, send("POST", path + "/retry", WRITER, null, (byte[]) null),
          FOUR_XX);
    }
    // ... and so this one is GET /v1/queues, a valid read.
    expectStatus("GET /v1/tasks/../queues", send("GET", "/v1/tasks/../queues", READER, null,
        (byte[]) null), Set.of(200));
    // Very long ids: refused, as JSON (an id is at most 128 characters).
    for (int length : List.of(5_000, 100_000)) {
      String path = "/v1/tasks/" + "a".repeat(length);
      expect("GET id of " + length + " characters", send("GET", path, READER, null,
          (byte[]) null), ANY_STATUS, null, ANY_FIELD);
    }
    // Well-formed ids that do not exist: 404, nothing created.
    for (String id : List.of("00000000-0000-0000-0000-000000000000", "no-such-task",
        scheduledId.toUpperCase(Locale.ROOT), scheduledId + "0")) {
      expect("GET unknown " + id, send("GET", "/v1/tasks/" + id, READER, null, (byte[]) null),
          404, "TASK_NOT_FOUND", null);
      expect("DELETE unknown " + id, send("DELETE", "/v1/tasks/" + id, WRITER, null,
          (byte[]) null), 404, "TASK_NOT_FOUND", null);
      expect("PATCH unknown " + id, patch(id, "{\"priority\":1}"), 404, "TASK_NOT_FOUND", null);
      expect("retry unknown " + id, send("POST", "/v1/tasks/" + id + "/retry", WRITER, null,
          (byte[]) null), 404, "TASK_NOT_FOUND", null);
    }
    // Paths that name no endpoint.
    for (String path : List.of("/v1/tasks/" + scheduledId + "/", "/v1/tasks/" + scheduledId
        + "/retry/x", "/v1/tasks/" + scheduledId + "/cancel", "/v1//tasks", "/v2/tasks", "/v1",
        "/", "/v1/tasks:batch/x", "/v1/TASKS", "/health/live/x",
        "/v1/tasksX", "/v1/queues/default/pause/x")) {
      expect("GET " + path, send("GET", path, READER, null, (byte[]) null), 404, "NOT_FOUND",
          null);
    }
    // Wrong methods.
    for (String[] call : new String[][] {{"PUT", "/v1/tasks"}, {"DELETE", "/v1/tasks"},
        {"PATCH", "/v1/tasks"}, {"PUT", "/v1/tasks/" + scheduledId},
        {"POST", "/v1/tasks/" + scheduledId}, {"GET", "/v1/tasks/" + scheduledId + "/retry"},
        {"GET", "/v1/tasks:batch"}, {"DELETE", "/v1/queues/hostile"},
        {"GET", "/v1/queues/hostile/pause"}, {"POST", "/v1/queues"}, {"POST", "/health/live"}}) {
      expect(call[0] + " " + call[1], send(call[0], call[1], ADMIN, JSON, "{}"), 405,
          "METHOD_NOT_ALLOWED", null);
    }
    // Bad queue names.
    for (String name : List.of("a%20b", "...", "-q", "q%2Fx", "%E2%98%83", "q".repeat(65),
        "%00", "q%00", "%2E%2E%2Fdefault")) {
      expect("GET queue " + name, send("GET", "/v1/queues/" + name, READER, null, (byte[]) null),
          400, "VALIDATION_FAILED", "name");
      expect("PUT queue " + name, send("PUT", "/v1/queues/" + name, ADMIN, JSON,
          "{\"maxConcurrency\":1}"), 400, "VALIDATION_FAILED", "name");
      expect("pause queue " + name, send("POST", "/v1/queues/" + name + "/pause", ADMIN, null,
          (byte[]) null), 400, "VALIDATION_FAILED", "name");
    }
  }

  @Test
  void stateConflictsLeaveTasksAlone() {
    expectConflict("cancel SUCCEEDED", send("DELETE", "/v1/tasks/" + succeededId, WRITER, null,
        (byte[]) null), "SUCCEEDED");
    expectConflict("cancel DEAD", send("DELETE", "/v1/tasks/" + deadId, WRITER, null,
        (byte[]) null), "DEAD");
    expectConflict("cancel CANCELLED", send("DELETE", "/v1/tasks/" + cancelledId, WRITER, null,
        (byte[]) null), "CANCELLED");
    expectConflict("reschedule SUCCEEDED", patch(succeededId, "{\"priority\":1}"), "SUCCEEDED");
    expectConflict("reschedule DEAD", patch(deadId, "{\"delay\":\"PT0S\"}"), "DEAD");
    expectConflict("reschedule CANCELLED", patch(cancelledId, "{\"delay\":\"PT0S\"}"),
        "CANCELLED");
    expectConflict("retry SCHEDULED", send("POST", "/v1/tasks/" + scheduledId + "/retry", WRITER,
        null, (byte[]) null), "SCHEDULED");
    expectConflict("retry SUCCEEDED", send("POST", "/v1/tasks/" + succeededId + "/retry", WRITER,
        null, (byte[]) null), "SUCCEEDED");
    expectConflict("retry CANCELLED", send("POST", "/v1/tasks/" + cancelledId + "/retry", WRITER,
        null, (byte[]) null), "CANCELLED");
    // The same idempotency key again answers the task that exists (200), unchanged, even with
    // different fields: a valid request that stores nothing.
    Answer again = send(request("POST", "/v1/tasks", WRITER, JSON,
        "{\"type\":\"flaky\",\"payload\":{\"failures\":3},\"priority\":9,\"delay\":\"PT1S\"}"
            .getBytes(UTF_8)).header("Idempotency-Key", "seed-idem"));
    check("repeated idempotency key", again, Set.of(200), null, ANY_FIELD, false);
    if (again != null && again.status == 200 && !idempotentId.equals(again.json().path("id")
        .asText())) {
      violations.add("repeated idempotency key answered another task: " + again.text);
    }
    // An invalid request with that key is refused before it reaches the task.
    expect("idempotency key with a bad body", request("POST", "/v1/tasks", WRITER, JSON,
        "{\"type\":\"flaky\",\"priority\":\"x\"}".getBytes(UTF_8))
        .header("Idempotency-Key", "seed-idem"), 400, "VALIDATION_FAILED", "priority");
  }

  @Test
  void badQueryParameters() {
    Map<String, String> cases = new LinkedHashMap<>();
    cases.put("status=bogus", "status");
    cases.put("status=", "status");
    cases.put("status=SCHEDULED%00", "status");
    cases.put("status=scheduled,dead", "status");
    cases.put("status=%E2%9C%93", "status");
    cases.put("limit=0", "limit");
    cases.put("limit=-1", "limit");
    cases.put("limit=501", "limit");
    cases.put("limit=abc", "limit");
    cases.put("limit=", "limit");
    cases.put("limit", "limit");
    cases.put("limit=1.5", "limit");
    cases.put("limit=1e3", "limit");
    cases.put("limit=99999999999", "limit");
    cases.put("limit=2147483648", "limit");
    cases.put("limit=%20", "limit");
    cases.put("limit=0x10", "limit");
    cases.put("order=sideways", "order");
    cases.put("order=", "order");
    cases.put("cursor=garbage", "cursor");
    cases.put("cursor=", "cursor");
    cases.put("cursor=-5", "cursor");
    cases.put("cursor=-1", "cursor");
    cases.put("cursor=2147483647", "cursor");
    cases.put("cursor=99999999999", "cursor");
    cases.put("cursor=" + "A".repeat(1500), "cursor");
    cases.put("cursor=%00", "cursor");
    cases.put("cursor=MjAyNi0wNi0wMVQxMjowMDowMFp8eA", "cursor");
    cases.put("queue=a%20b", "queue");
    cases.put("queue=", "queue");
    cases.put("queue=%00", "queue");
    cases.put("queue=" + "q".repeat(65), "queue");
    cases.put("type=%E2%9C%93", "type");
    cases.put("type=..", "type");
    cases.put("colour=red", "colour");
    cases.put("Status=SCHEDULED", "Status");
    cases.put("limit=10&extra=1", "extra");
    cases.put("%24where=1", "$where");
    for (Map.Entry<String, String> entry : cases.entrySet()) {
      String path = "/v1/tasks?" + entry.getKey();
      expect("GET " + abbreviate(path), send("GET", path, READER, null, (byte[]) null), 400,
          "VALIDATION_FAILED", entry.getValue());
    }
    expectField("GET /v1/tasks?=x (empty parameter name)", send("GET", "/v1/tasks?=x", READER,
        null, (byte[]) null), 400, "VALIDATION_FAILED", ANY_FIELD);
    // The same parameter twice, one of them bad: refused or answered, never a 5xx.
    expectStatus("limit=10&limit=abc", send("GET", "/v1/tasks?limit=10&limit=abc", READER, null,
        (byte[]) null), Set.of(200, 400));
    expectStatus("status=dead&status=bogus", send("GET", "/v1/tasks?status=dead&status=bogus",
        READER, null, (byte[]) null), Set.of(200, 400));
  }

  @Test
  void patchAndPutBodiesWithWrongTypes() {
    Map<String, String> patches = new LinkedHashMap<>();
    patches.put("{\"runAt\":5}", "runAt");
    patches.put("{\"runAt\":true}", "runAt");
    patches.put("{\"runAt\":[]}", "runAt");
    patches.put("{\"runAt\":{}}", "runAt");
    patches.put("{\"runAt\":\"tomorrow\"}", "runAt");
    patches.put("{\"runAt\":\"2030-01-01T00:00:00\"}", "runAt");
    patches.put("{\"runAt\":\"2030-02-30T00:00:00Z\"}", "runAt");
    patches.put("{\"runAt\":\"+1000000000-01-01T00:00:00Z\"}", "runAt");
    patches.put("{\"delay\":true}", "delay");
    patches.put("{\"delay\":60}", "delay");
    patches.put("{\"delay\":\"1 minute\"}", "delay");
    patches.put("{\"delay\":\"-PT1M\"}", "delay");
    patches.put("{\"delay\":\"PT99999999999999999999S\"}", "delay");
    patches.put("{\"delay\":\"PT1M\",\"runAt\":\"2030-01-01T00:00:00Z\"}", "delay");
    patches.put("{\"priority\":\"high\"}", "priority");
    patches.put("{\"priority\":true}", "priority");
    patches.put("{\"priority\":[1]}", "priority");
    patches.put("{\"priority\":1001}", "priority");
    patches.put("{\"priority\":-1001}", "priority");
    patches.put("{\"priority\":2147483647}", "priority");
    patches.put("{}", "runAt");
    patches.put("{\"runAt\":null,\"delay\":null,\"priority\":null}", "runAt");
    patches.put("{\"id\":\"other\"}", "id");
    patches.put("{\"status\":\"SUCCEEDED\"}", "status");
    patches.put("{\"type\":\"fail\"}", "type");
    patches.put("{\"payload\":{}}", "payload");
    for (Map.Entry<String, String> entry : patches.entrySet()) {
      expect("PATCH scheduled " + entry.getKey(), patch(scheduledId, entry.getKey()), 400,
          "VALIDATION_FAILED", entry.getValue());
    }
    // now + delay past the end of time: the run time cannot exist, a bad delay.
    expect("PATCH delay beyond the end of time", patch(scheduledId,
        "{\"delay\":\"PT9999999999999H\"}"), 400, "VALIDATION_FAILED", "delay");
    expect("PATCH delay of Long.MAX_VALUE seconds", patch(scheduledId,
        "{\"delay\":\"PT9223372036854775807S\"}"), 400, "VALIDATION_FAILED", "delay");
    // Valid field, bad partner: nothing of the request may be applied.
    expect("PATCH good runAt, bad priority", patch(scheduledId,
        "{\"runAt\":\"2098-01-01T00:00:00Z\",\"priority\":\"x\"}"), 400, "VALIDATION_FAILED",
        "priority");
    expect("PATCH good delay, priority out of range (checked by the task)", patch(idempotentId,
        "{\"delay\":\"PT1M\",\"priority\":5000}"), 400, "VALIDATION_FAILED", "priority");
    Map<String, String> puts = new LinkedHashMap<>();
    puts.put("{\"maxConcurrency\":\"5\"}", "maxConcurrency");
    puts.put("{\"maxConcurrency\":true}", "maxConcurrency");
    puts.put("{\"maxConcurrency\":[5]}", "maxConcurrency");
    puts.put("{\"maxConcurrencyPerKey\":{}}", "maxConcurrencyPerKey");
    puts.put("{\"rate\":\"10\"}", "rate");
    puts.put("{\"rate\":false}", "rate");
    puts.put("{\"burst\":\"many\"}", "burst");
    puts.put("{\"paused\":\"yes\"}", "paused");
    puts.put("{\"paused\":[]}", "paused");
    puts.put("{\"paused\":0}", "paused");
    puts.put("{\"name\":\"other\"}", "name");
    puts.put("{\"limits\":{\"maxConcurrency\":1}}", "limits");
    puts.put("{\"maxConcurrency\":3,\"rate\":\"x\"}", "rate");
    for (Map.Entry<String, String> entry : puts.entrySet()) {
      expect("PUT queue " + entry.getKey(), send("PUT", "/v1/queues/hostile", ADMIN, JSON,
          entry.getKey()), 400, "VALIDATION_FAILED", entry.getValue());
      expect("PUT default queue " + entry.getKey(), send("PUT", "/v1/queues/default", ADMIN,
          JSON, entry.getKey()), 400, "VALIDATION_FAILED", entry.getValue());
    }
  }

  @Test
  void batches() {
    String good = "{\"type\":\"echo\",\"payload\":1,\"delay\":\"PT1H\"}";
    Map<String, String> shapes = new LinkedHashMap<>();
    shapes.put("{}", "tasks");
    shapes.put("{\"tasks\":[]}", "tasks");
    shapes.put("{\"tasks\":{}}", "tasks");
    shapes.put("{\"tasks\":\"x\"}", "tasks");
    shapes.put("{\"tasks\":null}", "tasks");
    shapes.put("{\"tasks\":" + good + "}", "tasks");
    shapes.put("{\"tasks\":[" + good + "],\"extra\":1}", "tasks");
    shapes.put("{\"task\":[" + good + "]}", "tasks");
    shapes.put("[" + good + "]", "tasks");
    shapes.put("{\"tasks\":[1]}", "tasks[0]");
    shapes.put("{\"tasks\":[null]}", "tasks[0]");
    shapes.put("{\"tasks\":[[]]}", "tasks[0]");
    shapes.put("{\"tasks\":[" + good + ",\"x\"]}", "tasks[1]");
    for (Map.Entry<String, String> entry : shapes.entrySet()) {
      expect("batch " + abbreviate(entry.getKey()), post("/v1/tasks:batch", WRITER,
          entry.getKey()), 400, "VALIDATION_FAILED", entry.getValue());
    }
    StringBuilder tooMany = new StringBuilder("{\"tasks\":[");
    for (int i = 0; i < 101; i++) {
      tooMany.append(i == 0 ? "" : ",").append(good);
    }
    expect("batch of 101 tasks (max-batch is 100)", post("/v1/tasks:batch", WRITER,
        tooMany.append("]}").toString()), 400, "VALIDATION_FAILED", "tasks");
    // One bad task among good ones: the whole batch is refused, naming tasks[i].field, and none
    // of the good ones is stored (checked after this method).
    Map<String, String> oneBad = new LinkedHashMap<>();
    oneBad.put("{\"type\":\"echo\",\"priority\":\"high\"}", "priority");
    oneBad.put("{\"type\":\"echo\",\"priority\":5000}", "priority");
    oneBad.put("{\"type\":\"nope\"}", "type");
    oneBad.put("{\"payload\":1}", "type");
    oneBad.put("{\"type\":\"echo\",\"colour\":1}", "colour");
    oneBad.put("{\"type\":\"echo\",\"queue\":\"a b\"}", "queue");
    oneBad.put("{\"type\":\"echo\",\"delay\":\"-PT1S\"}", "delay");
    oneBad.put("{\"type\":\"echo\",\"runAt\":\"yesterday\"}", "runAt");
    oneBad.put("{\"type\":\"echo\",\"timeout\":\"PT0S\"}", "timeout");
    oneBad.put("{\"type\":\"echo\",\"maxAttempts\":0}", "maxAttempts");
    oneBad.put("{\"type\":\"echo\",\"metadata\":{\"k\":1}}", "metadata.k");
    oneBad.put("{\"type\":\"echo\",\"idempotencyKey\":\"\"}", "idempotencyKey");
    oneBad.put("{\"type\":\"sleep\",\"payload\":{\"millis\":\"x\"}}", "payload");
    oneBad.put("{\"type\":\"echo\",\"backoff\":{\"kind\":\"sideways\"}}", "backoff.kind");
    oneBad.put("{\"type\":\"echo\",\"backoff\":{\"kind\":\"exponential\",\"factor\":0.5}}",
        "backoff.factor");
    oneBad.put("{\"type\":\"echo\",\"backoff\":{\"kind\":\"fixed\",\"jitter\":2}}",
        "backoff.jitter");
    oneBad.put("{\"type\":\"echo\",\"backoff\":{\"kind\":\"fixed\",\"initialDelay\":\"-PT1S\"}}",
        "backoff.initialDelay");
    oneBad.put("{\"type\":\"echo\",\"delay\":\"PT9999999999999H\"}", "delay");
    for (Map.Entry<String, String> entry : oneBad.entrySet()) {
      for (int position : new int[] {0, 2}) {
        List<String> tasks = new ArrayList<>(List.of(good, good));
        tasks.add(position, entry.getKey());
        expect("batch with bad tasks[" + position + "] " + entry.getKey(),
            post("/v1/tasks:batch", WRITER, "{\"tasks\":[" + String.join(",", tasks) + "]}"),
            400, "VALIDATION_FAILED", "tasks[" + position + "]." + entry.getValue());
      }
    }
    StringBuilder lastBad = new StringBuilder("{\"tasks\":[");
    for (int i = 0; i < 99; i++) {
      lastBad.append(good).append(",");
    }
    expect("batch of 100 with the last one bad", post("/v1/tasks:batch", WRITER,
        lastBad.append("{\"type\":\"echo\",\"maxAttempts\":-1}]}").toString()), 400,
        "VALIDATION_FAILED", "tasks[99].maxAttempts");
  }

  @Test
  void authorizationHeaders() {
    String body = "{\"type\":\"echo\",\"delay\":\"PT1H\"}";
    List<String[]> endpoints = List.of(
        new String[] {"GET", "/v1/tasks", null},
        new String[] {"GET", "/v1/tasks/" + scheduledId, null},
        new String[] {"POST", "/v1/tasks", body},
        new String[] {"POST", "/v1/tasks:batch", "{\"tasks\":[" + body + "]}"},
        new String[] {"PATCH", "/v1/tasks/" + scheduledId, "{\"priority\":1}"},
        new String[] {"DELETE", "/v1/tasks/" + scheduledId, null},
        new String[] {"POST", "/v1/tasks/" + deadId + "/retry", null},
        new String[] {"GET", "/v1/queues", null},
        new String[] {"PUT", "/v1/queues/hostile", "{\"maxConcurrency\":1}"},
        new String[] {"POST", "/v1/queues/hostile/pause", null},
        new String[] {"POST", "/v1/queues/hostile/resume", null},
        new String[] {"GET", "/v1/cluster", null});
    List<String> garbage = List.of("Bearer", "Bearer ", "Bearer x", "Basic d3JpdGVyOmtleQ==",
        "Token " + WRITER, WRITER, "Bearer " + WRITER + "x", "Bearer " + WRITER.toUpperCase(
            Locale.ROOT), "Bearer " + READER + " " + WRITER, "Bearer%20" + WRITER,
        "Bearer " + "A".repeat(4000), "Bearer \"" + WRITER + "\"", "Bearer null",
        "BearerX " + WRITER);
    // ("Bearer<TAB><valid key>" is not in this list: Pekko parses the modeled Authorization header
    // leniently and it authenticates as that key, which is harmless: the caller holds the key.)
    for (String[] endpoint : endpoints) {
      String label = endpoint[0] + " " + endpoint[1];
      byte[] bytes = endpoint[2] == null ? null : endpoint[2].getBytes(UTF_8);
      String type = endpoint[2] == null ? null : JSON;
      expect(label + " without Authorization", request(endpoint[0], endpoint[1], null, type,
          bytes), 401, "UNAUTHORIZED", null);
      for (String value : garbage) {
        expect(label + " with Authorization '" + abbreviate(value) + "'", request(endpoint[0],
            endpoint[1], null, type, bytes).header("Authorization", value), 401, "UNAUTHORIZED",
            null);
      }
    }
    // Read keys cannot write; write keys cannot administer queues. Bad bodies do not change that.
    for (String[] endpoint : endpoints) {
      if (endpoint[0].equals("GET")) {
        continue;
      }
      byte[] bytes = endpoint[2] == null ? null : endpoint[2].getBytes(UTF_8);
      String type = endpoint[2] == null ? null : JSON;
      expect(endpoint[0] + " " + endpoint[1] + " with the READER key",
          request(endpoint[0], endpoint[1], READER, type, bytes), 403, "FORBIDDEN", null);
      if (endpoint[1].startsWith("/v1/queues")) {
        expect(endpoint[0] + " " + endpoint[1] + " with the WRITER key",
            request(endpoint[0], endpoint[1], WRITER, type, bytes), 403, "FORBIDDEN", null);
      }
      if (bytes != null) {
        expect(endpoint[0] + " " + endpoint[1] + " with the READER key and a bad body",
            request(endpoint[0], endpoint[1], READER, JSON, "{'x'".getBytes(UTF_8)), 403,
            "FORBIDDEN", null);
      }
    }
    // Idempotency-Key header values that cannot be keys.
    expect("empty Idempotency-Key", request("POST", "/v1/tasks", WRITER, JSON,
        body.getBytes(UTF_8)).header("Idempotency-Key", ""), 400, "VALIDATION_FAILED",
        "idempotencyKey");
    expect("Idempotency-Key of 257 characters", request("POST", "/v1/tasks", WRITER, JSON,
        body.getBytes(UTF_8)).header("Idempotency-Key", "k".repeat(257)), 400,
        "VALIDATION_FAILED", "idempotencyKey");
    expect("Idempotency-Key differing from the body's", request("POST", "/v1/tasks", WRITER, JSON,
        "{\"type\":\"echo\",\"idempotencyKey\":\"a\"}".getBytes(UTF_8))
        .header("Idempotency-Key", "b"), 400, "VALIDATION_FAILED", "idempotencyKey");
    // Raw bytes the Java client will not send: obs-text (0x80-0xFF) and a tab in the key.
    for (byte[] value : List.of(bytes("Bearer ", new byte[] {(byte) 0xFF, (byte) 0xFE}, ""),
        bytes("Bearer ", new byte[] {(byte) 0xC3, (byte) 0xA9}, ""),
        bytes("Bearer writer", new byte[] {0x09}, "key-2"),
        bytes("Bearer ", new byte[] {0x7F}, WRITER))) {
      Answer answer = raw("GET /v1/tasks HTTP/1.1", List.of(bytes("Authorization: ", value, "")),
          null);
      // Pekko may refuse such a header while parsing (400 MALFORMED_REQUEST, as JSON): fine.
      check("raw Authorization " + hex(value), answer, Set.of(400, 401), null, null, false);
    }
  }

  /** Pekko-level limits (URI and header lengths) must still answer with a JSON 4xx. */
  @Test
  void requestsBeyondTheServersParsingLimits() {
    Answer longHeader = raw("GET /v1/tasks HTTP/1.1",
        List.of(("Authorization: Bearer " + "A".repeat(20_000)).getBytes(ISO_8859_1)), null);
    check("Authorization header of 20,000 characters", longHeader, FOUR_XX, null, ANY_FIELD,
        false);
    Answer longUri = raw("GET /v1/tasks/" + "a".repeat(5_000) + " HTTP/1.1",
        List.of(("Authorization: Bearer " + READER).getBytes(ISO_8859_1)), null);
    check("request target of 5,000 characters", longUri, FOUR_XX, null, ANY_FIELD, false);
    Answer badPercent = raw("GET /v1/tasks?limit=%zz HTTP/1.1",
        List.of(("Authorization: Bearer " + READER).getBytes(ISO_8859_1)), null);
    check("invalid percent-encoding in the query", badPercent, FOUR_XX, null, ANY_FIELD, false);
    Answer badPathPercent = raw("GET /v1/tasks/%zz HTTP/1.1",
        List.of(("Authorization: Bearer " + READER).getBytes(ISO_8859_1)), null);
    check("invalid percent-encoding in the path", badPathPercent, FOUR_XX, null, ANY_FIELD,
        false);
  }

  /**
   * The two 5xx a bad request can get, from Pekko HTTP before any route (README says so): an
   * unknown method is 501, an HTTP version other than 1.0 and 1.1 is 505; both with the JSON error.
   */
  @Test
  void unknownMethodsAndHttpVersionsAnswer501And505() {
    Map<String, Integer> requestLines = new LinkedHashMap<>();
    requestLines.put("FOO /v1/tasks HTTP/1.1", 501);
    requestLines.put("PROPFIND /v1/tasks HTTP/1.1", 501);
    requestLines.put("GET /v1/tasks HTTP/2.0", 505);
    requestLines.put("GET /v1/tasks HTTP/1.2", 505);
    requestLines.forEach((line, status) -> {
      Answer answer = raw(line, List.of(("Authorization: Bearer " + READER).getBytes(ISO_8859_1)),
          null);
      if (answer == null || answer.status != status || !errorShapeProblems(answer).isEmpty()) {
        violations.add(line + "\n    expected " + status + " with a JSON error, got "
            + describe(answer));
      }
    });
  }

  @Test
  void randomBytesFromAFixedSeed() {
    Random random = new Random(20260601L);
    // Pure random bytes: never a valid enqueue.
    for (int i = 0; i < 80; i++) {
      byte[] body = new byte[random.nextInt(2048) + 1];
      random.nextBytes(body);
      String path = i % 4 == 3 ? "/v1/tasks:batch" : "/v1/tasks";
      expectStatus("random bytes #" + i + " to " + path, send("POST", path, WRITER, JSON, body),
          Set.of(400));
    }
    // Random printable ASCII: JSON-looking noise.
    String alphabet = "{}[]\":,0123456789.eE+-truefalsnl \\/abcxyz\t\n";
    for (int i = 0; i < 60; i++) {
      StringBuilder body = new StringBuilder();
      int length = random.nextInt(200) + 1;
      for (int j = 0; j < length; j++) {
        body.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
      expectStatus("random JSON-ish #" + i + " " + abbreviate(body.toString()),
          post("/v1/tasks", WRITER, body.toString()), Set.of(400));
    }
    // Mutations of a valid request: flipped, deleted or inserted bytes. Some mutants are still
    // valid requests (e.g. a changed digit in the payload), so 2xx is allowed for them.
    byte[] base = ("{\"type\":\"echo\",\"payload\":{\"n\":12,\"s\":\"abc\"},\"delay\":\"PT1H\","
        + "\"priority\":3,\"metadata\":{\"k\":\"v\"}}").getBytes(UTF_8);
    for (int i = 0; i < 80; i++) {
      byte[] mutant = mutate(base, random);
      either("mutant #" + i + " " + abbreviate(new String(mutant, ISO_8859_1)),
          send("POST", "/v1/tasks", WRITER, JSON, mutant), ANY_FIELD);
    }
    // Random ids and queue names in paths.
    for (int i = 0; i < 40; i++) {
      byte[] segment = new byte[random.nextInt(40) + 1];
      random.nextBytes(segment);
      StringBuilder encoded = new StringBuilder();
      for (byte b : segment) {
        encoded.append(String.format("%%%02X", b & 0xFF));
      }
      expectStatus("random id #" + i, send("GET", "/v1/tasks/" + encoded, READER, null,
          (byte[]) null), Set.of(400, 404));
      expectStatus("random queue #" + i, send("GET", "/v1/queues/" + encoded, READER, null,
          (byte[]) null), Set.of(400, 200));
    }
    // Random query strings.
    for (int i = 0; i < 30; i++) {
      byte[] noise = new byte[random.nextInt(30) + 1];
      random.nextBytes(noise);
      StringBuilder encoded = new StringBuilder();
      for (byte b : noise) {
        encoded.append(String.format("%%%02X", b & 0xFF));
      }
      String name = List.of("status", "limit", "cursor", "order", "queue", "type")
          .get(random.nextInt(6));
      expectStatus("random " + name + " #" + i, send("GET", "/v1/tasks?" + name + "=" + encoded,
          READER, null, (byte[]) null), Set.of(400, 200));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The per-key rate limit, on its own gateway

  @Test
  void rateLimitPerKeyAnswers429WithRetryAfter() {
    try (GatewayFixture limited = new GatewayFixture(
        "tasker.http.rate-limit.per-key = 5\ntasker.http.rate-limit.burst = 5")) {
      // 20 requests at once from one key: the burst of 5 passes, then tokens come at 5/s (the
      // bucket's arithmetic over time is TokenBucketTest's, on explicit times). Each is answered:
      // the timeouts below fail a request left hanging.
      List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> inFlight =
          new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        inFlight.add(client.sendAsync(HttpRequest.newBuilder(limited.uri("/v1/tasks"))
                .timeout(ANSWER_WITHIN).header("Authorization", "Bearer " + READER).GET().build(),
            HttpResponse.BodyHandlers.ofString()));
      }
      List<Integer> statuses = new ArrayList<>();
      List<Answer> limitedAnswers = new ArrayList<>();
      for (var future : inFlight) {
        HttpResponse<String> response = future.orTimeout(ANSWER_WITHIN.toSeconds(),
            TimeUnit.SECONDS).join();
        sent.incrementAndGet();
        statuses.add(response.statusCode());
        if (response.statusCode() == 429) {
          limitedAnswers.add(new Answer(429, response.headers(), response.body()));
        }
      }
      long passed = statuses.stream().filter(s -> s == 200).count();
      assertEquals(20, statuses.size());
      assertTrue(statuses.stream().allMatch(s -> s == 200 || s == 429), statuses.toString());
      assertTrue(passed >= 5, "the burst of 5 passes: " + statuses);
      assertTrue(!limitedAnswers.isEmpty(), "some of 20 quick requests are limited: " + statuses);
      for (Answer answer : limitedAnswers) {
        Optional<String> retryAfter = answer.headers.firstValue("Retry-After");
        assertTrue(retryAfter.isPresent(), "429 without Retry-After: " + answer.text);
        assertTrue(Long.parseLong(retryAfter.get()) >= 1, "Retry-After " + retryAfter.get());
        List<String> problems = errorShapeProblems(answer);
        assertTrue(problems.isEmpty(), problems + ": " + answer.text);
        assertEquals("RATE_LIMITED", answer.json().get("error").get("code").asText());
      }
      // Per key: another key is not limited by the first one's traffic; unknown keys get 401.
      assertEquals(200, send(limited, request("GET", "/v1/tasks", WRITER, null, null)).status);
      assertEquals(401, send(limited, request("GET", "/v1/tasks", "unknown", null, null)).status);
      // And the limited key recovers as tokens refill.
      await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(250))
          .until(() -> send(limited, request("GET", "/v1/tasks", READER, null, null)).status
              == 200);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Requests and expectations

  private static final Set<Integer> FOUR_XX = rangeSet(400, 499);
  private static final int ANY_STATUS = -1;

  private static Set<Integer> rangeSet(int from, int to) {
    Set<Integer> set = new LinkedHashSet<>();
    for (int i = from; i <= to; i++) {
      set.add(i);
    }
    return set;
  }

  /** A request to send. */
  static final class Req {
    final String method;
    final String path;
    final String key;
    final String contentType;
    final byte[] body;
    final Map<String, String> headers = new LinkedHashMap<>();
    boolean chunked;

    Req(String method, String path, String key, String contentType, byte[] body) {
      this.method = method;
      this.path = path;
      this.key = key;
      this.contentType = contentType;
      this.body = body;
    }

    Req header(String name, String value) {
      headers.put(name, value);
      return this;
    }

    Req chunked() {
      chunked = true;
      return this;
    }

    @Override
    public String toString() {
      return method + " " + abbreviate(path) + (key == null ? "" : " [key " + key + "]")
          + (contentType == null ? "" : " [" + contentType + "]") + (headers.isEmpty() ? ""
          : " " + abbreviate(headers.toString())) + (body == null ? ""
          : " body(" + body.length + " bytes) " + abbreviate(new String(body, ISO_8859_1)));
    }
  }

  /** An answer: status, headers, body text. */
  record Answer(int status, HttpHeaders headers, String text) {
    JsonNode json() {
      try {
        return JsonContract.MAPPER.readTree(text);
      } catch (IOException e) {
        throw new AssertionError("not JSON: " + text, e);
      }
    }

    JsonNode jsonOrNull() {
      try {
        return JsonContract.MAPPER.readTree(text);
      } catch (IOException | RuntimeException e) {
        return null;
      }
    }
  }

  private static Req request(String method, String path, String key, String contentType,
      byte[] body) {
    return new Req(method, path, key, contentType, body);
  }

  private static Req post(String path, String key, String json) {
    return request("POST", path, key, JSON, json.getBytes(UTF_8));
  }

  private static Req send(String method, String path, String key, String contentType,
      String body) {
    return request(method, path, key, contentType, body.getBytes(UTF_8));
  }

  private static Req send(String method, String path, String key, String contentType,
      byte[] body) {
    return request(method, path, key, contentType, body);
  }

  private static Req patch(String id, String json) {
    return request("PATCH", "/v1/tasks/" + id, WRITER, JSON, json.getBytes(UTF_8));
  }

  private Answer send(Req req) {
    return send(gateway, req);
  }

  /** @return the answer, or null if none came within {@link #ANSWER_WITHIN} or it failed */
  private Answer send(GatewayFixture target, Req req) {
    sent.incrementAndGet();
    HttpRequest.BodyPublisher publisher;
    if (req.body == null) {
      publisher = HttpRequest.BodyPublishers.noBody();
    } else if (req.chunked) {
      publisher = HttpRequest.BodyPublishers.ofInputStream(
          () -> new ByteArrayInputStream(req.body));
    } else {
      publisher = HttpRequest.BodyPublishers.ofByteArray(req.body);
    }
    HttpRequest.Builder builder;
    try {
      builder = HttpRequest.newBuilder(target.uri(req.path)).timeout(ANSWER_WITHIN)
          .method(req.method, publisher);
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException("the test built a bad URI: " + req, e);
    }
    if (req.key != null) {
      builder.header("Authorization", "Bearer " + req.key);
    }
    if (req.contentType != null) {
      builder.header("Content-Type", req.contentType);
    }
    req.headers.forEach(builder::header);
    try {
      HttpResponse<byte[]> response = client.send(builder.build(),
          HttpResponse.BodyHandlers.ofByteArray());
      return new Answer(response.statusCode(), response.headers(),
          new String(response.body(), UTF_8));
    } catch (IOException e) {
      lastFailure = e.toString();
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private String lastFailure = "";

  /**
   * Sends a raw HTTP/1.1 request over a socket (for bytes the Java client refuses to send).
   * {@code Connection: close} is added, so the answer ends with the connection.
   */
  private Answer raw(String requestLine, List<byte[]> headers, byte[] body) {
    sent.incrementAndGet();
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", gateway.gateway.port()), 5_000);
      socket.setSoTimeout((int) ANSWER_WITHIN.toMillis());
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      out.writeBytes((requestLine + "\r\nHost: 127.0.0.1\r\nConnection: close\r\n")
          .getBytes(ISO_8859_1));
      for (byte[] header : headers) {
        out.writeBytes(header);
        out.writeBytes("\r\n".getBytes(ISO_8859_1));
      }
      if (body != null) {
        out.writeBytes(("Content-Length: " + body.length + "\r\n").getBytes(ISO_8859_1));
      }
      out.writeBytes("\r\n".getBytes(ISO_8859_1));
      if (body != null) {
        out.writeBytes(body);
      }
      OutputStream socketOut = socket.getOutputStream();
      socketOut.write(out.toByteArray());
      socketOut.flush();
      InputStream in = socket.getInputStream();
      byte[] response = in.readAllBytes();
      return parseRaw(new String(response, ISO_8859_1));
    } catch (IOException e) {
      lastFailure = e.toString();
      return null;
    }
  }

  private static Answer parseRaw(String response) {
    int headerEnd = response.indexOf("\r\n\r\n");
    if (!response.startsWith("HTTP/1.1 ") || headerEnd < 0) {
      return new Answer(0, HttpHeaders.of(Map.of(), (a, b) -> true), response);
    }
    String[] lines = response.substring(0, headerEnd).split("\r\n");
    int status = Integer.parseInt(lines[0].substring(9, 12));
    Map<String, List<String>> headers = new LinkedHashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon > 0) {
        headers.computeIfAbsent(lines[i].substring(0, colon).trim(), k -> new ArrayList<>())
            .add(lines[i].substring(colon + 1).trim());
      }
    }
    String body = response.substring(headerEnd + 4);
    boolean chunked = headers.getOrDefault("Transfer-Encoding", List.of()).contains("chunked");
    if (chunked) {
      StringBuilder joined = new StringBuilder();
      int at = 0;
      while (at < body.length()) {
        int lineEnd = body.indexOf("\r\n", at);
        int size = Integer.parseInt(body.substring(at, lineEnd).trim(), 16);
        if (size == 0) {
          break;
        }
        joined.append(body, lineEnd + 2, lineEnd + 2 + size);
        at = lineEnd + 2 + size + 2;
      }
      body = joined.toString();
    }
    return new Answer(status, HttpHeaders.of(headers, (a, b) -> true),
        new String(body.getBytes(ISO_8859_1), UTF_8));
  }

  /** Expects exactly {@code status} with error {@code code} (null: any) and {@code field}. */
  private void expect(String label, Req req, int status, String code, String field) {
    Set<Integer> statuses = status == ANY_STATUS ? FOUR_XX : Set.of(status);
    check(label + " — " + req, send(req), statuses, code, field, false);
  }

  /** Expects a 400 naming {@code field} whose message states the range ({@code range}). */
  private void expectRange(String label, Req req, String field, String range) {
    Answer answer = send(req);
    check(label + " — " + req, answer, Set.of(400), "VALIDATION_FAILED", field, false);
    if (answer != null && answer.status == 400 && answer.jsonOrNull() != null
        && !answer.json().path("error").path("message").asText().contains(range)) {
      violations.add(label + " — " + req + "\n    expected the message to state '" + range
          + "', got " + abbreviate(answer.text));
    }
  }

  /** Expects {@code status} and one of the two fields (e.g. null or "body"). */
  private void expectField(String label, Req req, int status, String code, String field) {
    Answer answer = send(req);
    check(label + " — " + req, answer, Set.of(status), code, ANY_FIELD, false);
    if (answer != null && answer.status == status && !field.equals(ANY_FIELD)) {
      JsonNode actual = answer.jsonOrNull() == null ? null
          : answer.jsonOrNull().path("error").path("field");
      boolean ok = actual != null && (actual.isNull() || actual.asText().equals(field));
      if (!ok) {
        violations.add(label + " — " + req + "\n    expected field null or '" + field
            + "', got " + answer.text);
      }
    }
  }

  private void expectStatus(String label, Req req, Set<Integer> statuses) {
    check(label + " — " + req, send(req), statuses, null, ANY_FIELD, false);
  }

  private void expectConflict(String label, Req req, String status) {
    Answer answer = send(req);
    check(label + " — " + req, answer, Set.of(409), "TASK_STATE_CONFLICT", null, false);
    if (answer != null && answer.status == 409 && answer.jsonOrNull() != null
        && !status.equals(answer.json().path("error").path("status").asText())) {
      violations.add(label + ": expected error.status " + status + ", got " + answer.text);
    }
  }

  /** A valid request: must be 2xx; a task it creates joins the accepted ones. */
  private void valid(String label, Req req) {
    Answer answer = send(req);
    check(label + " — " + req, answer, Set.of(200, 201), null, ANY_FIELD, false);
    acceptCreated(label, answer);
  }

  /**
   * A request that may be valid or not: 2xx (its task must then be readable) or a 400 naming
   * {@code field} (or {@link #ANY_FIELD}).
   */
  private void either(String label, Req req, String field) {
    Answer answer = send(req);
    Set<Integer> statuses = new LinkedHashSet<>(List.of(200, 201));
    statuses.addAll(FOUR_XX);
    check(label + " — " + req, answer, statuses, null, ANY_FIELD, true);
    if (answer == null) {
      return;
    }
    if (answer.status >= 400 && !field.equals(ANY_FIELD)) {
      JsonNode actual = answer.jsonOrNull() == null ? null
          : answer.jsonOrNull().path("error").path("field");
      if (answer.status != 400 || actual == null || !field.equals(actual.asText())) {
        violations.add(label + " — " + req + "\n    expected 2xx or 400 naming '" + field
            + "', got " + answer.status + " " + abbreviate(answer.text));
      }
    }
    acceptCreated(label, answer);
  }

  private void acceptCreated(String label, Answer answer) {
    if (answer == null || answer.status >= 300 || answer.jsonOrNull() == null) {
      return;
    }
    List<String> ids = new ArrayList<>();
    JsonNode json = answer.json();
    if (json.has("id")) {
      ids.add(json.get("id").asText());
    }
    json.path("tasks").forEach(task -> ids.add(task.path("id").asText()));
    for (String id : ids) {
      if (!seeds.containsKey(id)) {
        acceptedIds.add(id);
      }
      Answer task = send(request("GET", "/v1/tasks/" + id, READER, null, null));
      if (task == null || task.status != 200 || task.jsonOrNull() == null) {
        violations.add(label + ": created task " + id + " cannot be read back: "
            + describe(task));
      }
    }
  }

  /**
   * Records a violation unless the answer came, is not a 5xx, has one of {@code statuses} and,
   * for 4xx, is {@code {"error":{"code","message","field"}}} with {@code code} (null: any) and
   * {@code field} (null: JSON null; {@link #ANY_FIELD}: anything).
   */
  private void check(String label, Answer answer, Set<Integer> statuses, String code,
      String field, boolean successAllowed) {
    if (answer == null) {
      violations.add(label + "\n    no answer within " + ANSWER_WITHIN + " (" + lastFailure + ")");
      return;
    }
    if (answer.status >= 500) {
      violations.add(label + "\n    5xx: " + answer.status + " " + abbreviate(answer.text));
      return;
    }
    if (!statuses.contains(answer.status)) {
      violations.add(label + "\n    expected " + describeStatuses(statuses) + ", got "
          + answer.status + " " + abbreviate(answer.text));
      return;
    }
    if (answer.status < 400) {
      if (!successAllowed && statuses.stream().noneMatch(s -> s < 400)) {
        violations.add(label + "\n    unexpected success " + answer.status);
      }
      return;
    }
    List<String> problems = errorShapeProblems(answer);
    if (!problems.isEmpty()) {
      violations.add(label + "\n    " + answer.status + " but " + problems + ": content-type "
          + answer.headers.firstValue("Content-Type").orElse("none") + ", body "
          + abbreviate(answer.text));
      return;
    }
    JsonNode error = answer.json().get("error");
    if (code != null && !code.equals(error.get("code").asText())) {
      violations.add(label + "\n    expected code " + code + ", got " + abbreviate(answer.text));
    }
    if (field == null ? !error.get("field").isNull()
        : !field.equals(ANY_FIELD) && !field.equals(error.get("field").asText())) {
      violations.add(label + "\n    expected field " + (field == null ? "null" : "'"
          + abbreviate(field) + "'") + ", got " + abbreviate(answer.text));
    }
  }

  /** @return what is wrong with a 4xx answer's {@code {"error":{"code","message","field"}}} */
  private static List<String> errorShapeProblems(Answer answer) {
    List<String> problems = new ArrayList<>();
    String type = answer.headers.firstValue("Content-Type").orElse("");
    if (!type.toLowerCase(Locale.ROOT).startsWith("application/json")) {
      problems.add("Content-Type is not application/json");
    }
    JsonNode json = answer.jsonOrNull();
    if (json == null || !json.isObject()) {
      problems.add("body is not a JSON object");
      return problems;
    }
    JsonNode error = json.get("error");
    if (error == null || !error.isObject()) {
      problems.add("no error object");
      return problems;
    }
    if (!error.path("code").isTextual() || error.path("code").asText().isBlank()) {
      problems.add("error.code missing");
    }
    if (!error.path("message").isTextual() || error.path("message").asText().isBlank()) {
      problems.add("error.message missing");
    }
    if (!error.has("field") || !(error.get("field").isNull() || error.get("field").isTextual())) {
      problems.add("error.field missing or not a string/null");
    }
    return problems;
  }

  private static String describeStatuses(Set<Integer> statuses) {
    return statuses.equals(FOUR_XX) ? "a 4xx" : statuses.size() > 100 ? "2xx or 4xx"
        : statuses.toString();
  }

  private String describe(Answer answer) {
    return answer == null ? "no answer (" + lastFailure + ")"
        : answer.status + " " + abbreviate(answer.text);
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  private static byte[] mutate(byte[] base, Random random) {
    byte[] mutant = base.clone();
    int edits = 1 + random.nextInt(3);
    for (int e = 0; e < edits; e++) {
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

  private static byte[] bytes(String before, byte[] middle, String after) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(before.getBytes(UTF_8));
    out.writeBytes(middle);
    out.writeBytes(after.getBytes(UTF_8));
    return out.toByteArray();
  }

  private static String hex(byte[] bytes) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < Math.min(bytes.length, 40); i++) {
      int b = bytes[i] & 0xFF;
      out.append(b >= 0x20 && b < 0x7F ? String.valueOf((char) b) : String.format("\\x%02X", b));
    }
    return out + (bytes.length > 40 ? "…" : "");
  }

  private static String abbreviate(String text) {
    String shown = text.length() > 160
        ? text.substring(0, 120) + "…(" + text.length() + " chars)" : text;
    StringBuilder out = new StringBuilder();
    for (char c : shown.toCharArray()) {
      out.append(c < 0x20 || c == 0x7F ? String.format("\\u%04x", (int) c) : String.valueOf(c));
    }
    return out.toString();
  }

}
