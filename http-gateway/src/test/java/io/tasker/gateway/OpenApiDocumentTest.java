package io.tasker.gateway;

import static io.tasker.gateway.GatewayFixture.ADMIN;
import static io.tasker.gateway.GatewayFixture.READER;
import static io.tasker.gateway.GatewayFixture.WRITER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tasker.gateway.GatewayFixture.Reply;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Holds {@code openapi.json} to the gateway as built: the document is well formed, names
 * exactly the routes {@link TaskerRoutes} serves, and every request the test sends to a live
 * gateway is answered with a status (and, where there is one, a body and headers) that the
 * document lists for that operation.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OpenApiDocumentTest {
  /** Every route of {@link TaskerRoutes#routes()}, as "METHOD /path/{param}"; keep in step. */
  static final List<String> SERVED_ROUTES = List.of(
      "GET /health/live",
      "GET /health/ready",
      "GET /metrics",
      "GET /v1/openapi.json",
      "POST /v1/tasks:batch",
      "POST /v1/tasks:retry",
      "POST /v1/tasks:cancel",
      "GET /v1/cluster",
      "GET /v1/whoami",
      "GET /v1/task-types",
      "GET /v1/audit",
      "POST /v1/tasks",
      "GET /v1/tasks",
      "GET /v1/tasks/{id}",
      "DELETE /v1/tasks/{id}",
      "PATCH /v1/tasks/{id}",
      "POST /v1/tasks/{id}/retry",
      "GET /v1/tasks/{id}/result",
      "GET /v1/queues",
      "GET /v1/queues/{name}",
      "PUT /v1/queues/{name}",
      "POST /v1/queues/{name}/pause",
      "POST /v1/queues/{name}/resume",
      "GET /v1/schedules",
      "GET /v1/schedules/{id}",
      "PUT /v1/schedules/{id}",
      "DELETE /v1/schedules/{id}",
      "POST /v1/schedules/{id}/pause",
      "POST /v1/schedules/{id}/resume",
      "POST /v1/schedules/{id}/trigger",
      "GET /v1/workflows",
      "GET /v1/workflows/{name}",
      "PUT /v1/workflows/{name}",
      "POST /v1/workflows/{name}/executions",
      "GET /v1/workflow-executions",
      "GET /v1/workflow-executions/{id}",
      "POST /v1/workflow-executions/{id}/cancel",
      "POST /v1/workflow-executions/{id}/retry");

  private static final String RESOURCE = "/io/tasker/gateway/openapi.json";
  private static final Set<String> OPERATION_KEYS =
      Set.of("get", "put", "post", "delete", "options", "head", "patch", "trace");
  private static final List<String> PROBED_METHODS = List.of("GET", "POST", "PUT", "PATCH", "DELETE");
  /** Well formed, but no task has it: operations on it answer without changing anything. */
  private static final String MISSING_TASK = "openapi-no-such-task";
  /** A queue no other test uses. */
  private static final String PROBE_QUEUE = "openapi-probe";
  /** The default tasker.http.max-body-size is 1m. */
  private static final int OVER_BODY_LIMIT = 1024 * 1024 + 1000;
  private static final Pattern TEMPLATE_PARAM = Pattern.compile("\\{([^}/]+)}");

  private JsonNode doc;
  private GatewayFixture gateway;

  /** One documented operation. */
  record Operation(String method, String path, JsonNode node, JsonNode pathItem) {
    String route() {
      return method + " " + path;
    }

    @Override
    public String toString() {
      return route();
    }
  }

  @BeforeAll
  void start() throws IOException {
    try (InputStream in = TaskerRoutes.class.getResourceAsStream(RESOURCE)) {
      assertNotNull(in, RESOURCE + " is not on the classpath");
      doc = JsonContract.MAPPER.readTree(in);
    }
    gateway = new GatewayFixture();
  }

  @AfterAll
  void stop() {
    if (gateway != null) {
      gateway.close();
    }
  }

  // The document on its own

  @Test
  void isAnOpenApi3Document() {
    assertTrue(doc.isObject(), "the document is not a JSON object");
    assertTrue(doc.path("openapi").isTextual() && doc.path("openapi").asText().startsWith("3."),
        "openapi: " + doc.path("openapi"));
    assertTrue(doc.path("info").path("title").isTextual(), "info.title");
    assertTrue(doc.path("info").path("version").isTextual(), "info.version");
    assertTrue(doc.path("paths").isObject() && doc.path("paths").size() > 0, "paths");
    Set<String> operationIds = new TreeSet<>();
    for (Operation op : operations()) {
      String id = op.node().path("operationId").asText("");
      assertFalse(id.isEmpty(), op + " has no operationId");
      assertTrue(operationIds.add(id), "operationId " + id + " is used twice");
      assertTrue(op.node().path("summary").isTextual() || op.node().path("description").isTextual(),
          op + " has no summary or description");
      JsonNode responses = op.node().path("responses");
      assertTrue(responses.isObject() && responses.size() > 0, op + " lists no responses");
      responses.properties().forEach(e -> {
        assertTrue(e.getKey().equals("default") || e.getKey().matches("[1-5][0-9][0-9]"),
            op + ": response key " + e.getKey());
        assertTrue(resolve(e.getValue()).path("description").isTextual(),
            op + " " + e.getKey() + " has no description");
      });
      JsonNode body = op.node().path("requestBody");
      if (!body.isMissingNode()) {
        assertTrue(resolve(body).path("content").path("application/json").path("schema").isObject(),
            op + ": the request body has no application/json schema");
      }
    }
    JsonNode schemes = doc.path("components").path("securitySchemes");
    assertTrue(doc.path("security").isArray() && doc.path("security").size() > 0,
        "no global security requirement");
    doc.path("security").forEach(requirement -> requirement.fieldNames().forEachRemaining(name ->
        assertTrue(schemes.has(name), "security requirement names an unknown scheme " + name)));
    JsonNode bearer = schemes.path(doc.path("security").get(0).fieldNames().next());
    assertEquals("http", bearer.path("type").asText());
    assertEquals("bearer", bearer.path("scheme").asText().toLowerCase());
  }

  @Test
  void everyRefResolvesInsideTheDocument() {
    List<String> refs = new ArrayList<>();
    walk(doc, node -> {
      if (node.isObject() && node.has("$ref")) {
        refs.add(node.get("$ref").asText());
      }
    });
    assertFalse(refs.isEmpty(), "no $ref at all");
    for (String ref : refs) {
      assertTrue(ref.startsWith("#/"), ref + " points outside the document");
      JsonNode target = doc.at(ref.substring(1));
      assertFalse(target.isMissingNode(), ref + " does not resolve");
      assertTrue(target.isObject(), ref + " resolves to a non-object");
    }
  }

  @Test
  void requiredFieldsAreDeclaredProperties() {
    List<String> problems = new ArrayList<>();
    int[] schemas = {0};
    walk(doc, node -> {
      if (node.isObject() && node.path("required").isArray()) {
        schemas[0]++;
        node.get("required").forEach(name -> {
          if (!node.path("properties").has(name.asText())) {
            problems.add(name.asText() + " is required but not a property of " + node);
          }
        });
      }
    });
    assertTrue(schemas[0] > 5, "too few schemas with required fields: " + schemas[0]);
    assertTrue(problems.isEmpty(), String.join("\n", problems));
  }

  @Test
  void examplesMatchTheirSchemas() {
    List<String> problems = new ArrayList<>();
    int[] examples = {0};
    walk(doc, node -> {
      if (node.isObject() && node.has("example")) {
        examples[0]++;
        JsonNode schema = node.has("schema") ? node.get("schema") : node;
        validate(schema, node.get("example"), "example " + node.get("example"), problems);
      }
    });
    assertTrue(examples[0] > 0, "no examples");
    assertTrue(problems.isEmpty(), String.join("\n", problems));
  }

  @Test
  void documentsExactlyTheServedRoutes() {
    Set<String> documented = new TreeSet<>();
    operations().forEach(op -> documented.add(op.route()));
    assertEquals(new TreeSet<>(SERVED_ROUTES), documented);
    for (Operation op : operations()) {
      Set<String> inTemplate = new TreeSet<>();
      Matcher matcher = TEMPLATE_PARAM.matcher(op.path());
      while (matcher.find()) {
        inTemplate.add(matcher.group(1));
      }
      Set<String> declared = new TreeSet<>();
      for (JsonNode parameter : parameters(op)) {
        if (parameter.path("in").asText().equals("path")) {
          assertTrue(parameter.path("required").asBoolean(), op + ": path parameters are required");
          declared.add(parameter.path("name").asText());
        }
      }
      assertEquals(inTemplate, declared, op + ": path parameters");
    }
  }

  // Against a live gateway

  @Test
  void servesTheDocumentWithoutAKey() {
    Reply reply = gateway.get("/v1/openapi.json", null);
    assertEquals(200, reply.status(), reply.text());
    assertTrue(reply.header("Content-Type").orElse("").startsWith("application/json"),
        reply.headers().map().toString());
    assertEquals(doc, reply.json(), "GET /v1/openapi.json differs from " + RESOURCE);
  }

  @Test
  void everyOperationAnswersADocumentedStatus() {
    List<String> problems = new ArrayList<>();
    for (Operation op : operations()) {
      Reply reply = send(op, probePath(op), ADMIN, exampleBody(op));
      check(op, reply, problems);
    }
    assertTrue(problems.isEmpty(), String.join("\n", problems));
  }

  @Test
  void keysAndScopesAreAsDocumented() {
    List<String> problems = new ArrayList<>();
    for (Operation op : operations()) {
      Reply anonymous = send(op, probePath(op), null, exampleBody(op));
      check(op, anonymous, problems);
      if (!needsKey(op)) {
        expect(op, anonymous.status() != 401 && anonymous.status() != 403, anonymous,
            "needs no key by the document", problems);
        expect(op, !op.node().has("x-required-scope"), anonymous, "names a scope without security",
            problems);
        continue;
      }
      expect(op, anonymous.status() == 401, anonymous, "without a key should be 401", problems);
      String scope = op.node().path("x-required-scope").asText("");
      Scope needed;
      try {
        needed = Scope.parse(scope);
      } catch (IllegalArgumentException e) {
        problems.add(op + ": x-required-scope '" + scope + "' is not a scope");
        continue;
      }
      String weakest = switch (needed) {
        case TASKS_READ -> READER;
        case TASKS_WRITE -> WRITER;
        case QUEUES_ADMIN, METRICS_READ -> ADMIN;
      };
      Reply allowed = send(op, probePath(op), weakest, exampleBody(op));
      check(op, allowed, problems);
      expect(op, allowed.status() != 401 && allowed.status() != 403, allowed,
          "a key with " + scope + " is refused", problems);
      String lacking = switch (needed) {
        case TASKS_READ -> null; // every key of the fixture has tasks:read
        case TASKS_WRITE -> READER;
        case QUEUES_ADMIN, METRICS_READ -> WRITER;
      };
      if (lacking != null) {
        Reply refused = send(op, probePath(op), lacking, exampleBody(op));
        check(op, refused, problems);
        expect(op, refused.status() == 403, refused, "a key without " + scope + " should be 403",
            problems);
      }
    }
    assertTrue(problems.isEmpty(), String.join("\n", problems));
  }

  @Test
  void bodiesAreTakenAsDocumented() {
    List<String> problems = new ArrayList<>();
    byte[] huge = ("{\"payload\":\"" + "x".repeat(OVER_BODY_LIMIT) + "\"}")
        .getBytes(StandardCharsets.UTF_8);
    for (Operation op : operations()) {
      String path = probePath(op);
      String key = needsKey(op) ? ADMIN : null;
      if (!op.node().has("requestBody")) {
        expect(op, !op.node().path("responses").has("413")
            && !op.node().path("responses").has("415"), null,
            "takes no body but lists 413/415", problems);
        Reply ignored = gateway.send(op.method(), path, key, "text/plain", "x".getBytes());
        check(op, ignored, problems);
        expect(op, ignored.status() != 415, ignored, "refuses a body it does not read", problems);
        continue;
      }
      JsonNode body = resolve(op.node().get("requestBody"));
      expect(op, body.path("required").asBoolean(), null, "requestBody should be required",
          problems);
      Reply text = gateway.send(op.method(), path, key, "text/plain", "{}".getBytes());
      check(op, text, problems);
      expect(op, text.status() == 415, text, "text/plain should be 415", problems);
      Reply large = sendOversized(op.method(), path, key, huge);
      check(op, large, problems);
      expect(op, large.status() == 413, large, "an oversized body should be 413", problems);
      Reply empty = gateway.send(op.method(), path, key, "application/json", new byte[0]);
      check(op, empty, problems);
      expect(op, empty.status() == 400, empty, "an empty body should be 400", problems);
      Reply notJson = send(op, path, key, "{\"".getBytes(StandardCharsets.UTF_8));
      check(op, notJson, problems);
      expect(op, notJson.status() == 400, notJson, "malformed JSON should be 400", problems);
      JsonNode schema = resolve(body.path("content").path("application/json").path("schema"));
      if (schema.path("additionalProperties").isBoolean()
          && !schema.path("additionalProperties").asBoolean()) {
        ObjectNode extra = ((ObjectNode) exampleJson(op).deepCopy()).put("notAField", 1);
        Reply unknown = send(op, path, key, bytes(extra));
        check(op, unknown, problems);
        expect(op, unknown.status() == 400, unknown, "an unknown field should be 400", problems);
      }
    }
    assertTrue(problems.isEmpty(), String.join("\n", problems));
  }

  @Test
  void malformedPathParametersAnswer400() {
    List<String> problems = new ArrayList<>();
    for (Operation op : operations()) {
      for (JsonNode parameter : parameters(op)) {
        if (!parameter.path("in").asText().equals("path")) {
          continue;
        }
        String name = parameter.path("name").asText();
        List<String> wrong = new ArrayList<>();
        validate(parameter.path("schema"), JsonContract.MAPPER.getNodeFactory().textNode("bad value"),
            name, wrong);
        expect(op, !wrong.isEmpty(), null, "the schema of {" + name + "} allows 'bad value'",
            problems);
        String path = probePath(op).replace(probeValue(name), "bad%20value");
        Reply reply = send(op, path, needsKey(op) ? ADMIN : null, exampleBody(op));
        check(op, reply, problems);
        expect(op, reply.status() == 400 && name.equals(reply.json().path("error").path("field")
            .asText()), reply, "a malformed {" + name + "} should be 400 naming it", problems);
      }
    }
    assertTrue(problems.isEmpty(), String.join("\n", problems));
  }

  @Test
  void queryParametersAreAsDocumented() {
    List<String> problems = new ArrayList<>();
    for (Operation op : operations()) {
      List<JsonNode> query = parameters(op).stream()
          .filter(p -> p.path("in").asText().equals("query")).toList();
      if (query.isEmpty()) {
        continue;
      }
      String base = probePath(op);
      Reply unknown = send(op, base + "?notAParameter=1", ADMIN, exampleBody(op));
      check(op, unknown, problems);
      expect(op, unknown.status() == 400, unknown, "an unknown query parameter should be 400",
          problems);
      for (JsonNode parameter : query) {
        String name = parameter.path("name").asText();
        JsonNode schema = resolve(parameter.path("schema"));
        List<String> good = new ArrayList<>();
        List<String> bad = new ArrayList<>();
        schema.path("enum").forEach(v -> good.add(v.asText()));
        if (schema.has("enum")) {
          bad.add("bogus-value");
        }
        if (schema.path("type").asText().equals("integer")) {
          bad.add("abc");
          if (schema.has("minimum")) {
            good.add(schema.get("minimum").asText());
            bad.add(Long.toString(schema.get("minimum").asLong() - 1));
          }
          if (schema.has("maximum")) {
            good.add(schema.get("maximum").asText());
            bad.add(Long.toString(schema.get("maximum").asLong() + 1));
          }
        }
        if (schema.has("pattern")) {
          good.add("q1");
          bad.add("a b");
        }
        for (String value : good) {
          Reply reply = send(op, base + "?" + name + "=" + encode(value), ADMIN, exampleBody(op));
          check(op, reply, problems);
          expect(op, reply.status() / 100 == 2, reply, name + "=" + value + " should be taken",
              problems);
        }
        for (String value : bad) {
          Reply reply = send(op, base + "?" + name + "=" + encode(value), ADMIN, exampleBody(op));
          check(op, reply, problems);
          expect(op, reply.status() == 400 && name.equals(
              reply.json().path("error").path("field").asText()), reply,
              name + "=" + value + " should be 400 naming " + name, problems);
        }
      }
    }
    assertTrue(problems.isEmpty(), String.join("\n", problems));
  }

  @Test
  void undocumentedMethodsAndPathsAreNotServed() {
    List<String> problems = new ArrayList<>();
    Map<String, Set<String>> methodsByPath = new LinkedHashMap<>();
    Map<String, Operation> anyOpByPath = new LinkedHashMap<>();
    for (Operation op : operations()) {
      methodsByPath.computeIfAbsent(op.path(), p -> new TreeSet<>()).add(op.method());
      anyOpByPath.putIfAbsent(op.path(), op);
    }
    methodsByPath.forEach((path, methods) -> {
      for (String method : PROBED_METHODS) {
        if (methods.contains(method)) {
          continue;
        }
        Reply reply = gateway.send(method, probePath(anyOpByPath.get(path)), ADMIN,
            "application/json", "{}".getBytes());
        if (reply.status() != 405) {
          problems.add(method + " " + path + " is not documented but answers " + reply.status()
              + " " + reply.text());
        }
      }
    });
    for (String path : List.of("/", "/v1", "/v1/nothing", "/v1/tasks/" + MISSING_TASK + "/nothing",
        "/v1/queues/" + PROBE_QUEUE + "/nothing", "/health", "/v2/tasks")) {
      Reply reply = gateway.get(path, ADMIN);
      if (reply.status() != 404) {
        problems.add("GET " + path + " is not documented but answers " + reply.status());
      }
    }
    assertTrue(problems.isEmpty(), String.join("\n", problems));
  }

  /** Real tasks in several states, so every success schema meets real data. */
  @Test
  void liveAnswersMatchTheirSchemas() {
    List<String> problems = new ArrayList<>();
    JsonNode fullExample = resolve(doc.at("/components/schemas/EnqueueRequest")).path("example");
    assertFalse(fullExample.isMissingNode(), "EnqueueRequest has no example");
    Reply created = call("POST", "/v1/tasks", WRITER, bytes(fullExample), Map.of(), problems);
    assertEquals(201, created.status(), created.text());
    String scheduled = created.json().path("id").asText();
    assertEquals("/v1/tasks/" + scheduled, created.header("Location").orElse(""));
    call("GET", created.header("Location").orElseThrow(), READER, null, Map.of(), problems);

    byte[] echo = "{\"type\":\"echo\",\"payload\":{\"n\":1},\"metadata\":{\"m\":\"v\"}}"
        .getBytes(StandardCharsets.UTF_8);
    Reply first = call("POST", "/v1/tasks", WRITER, echo, Map.of("Idempotency-Key", "oas-1"),
        problems);
    Reply again = call("POST", "/v1/tasks", WRITER, echo, Map.of("Idempotency-Key", "oas-1"),
        problems);
    assertEquals(201, first.status(), first.text());
    assertEquals(200, again.status(), again.text());
    String succeeded = first.json().path("id").asText();
    Reply done = call("GET", "/v1/tasks/" + succeeded, READER, null, Map.of(), problems);
    assertEquals("SUCCEEDED", done.json().path("status").asText(), done.text());
    Reply conflict = call("DELETE", "/v1/tasks/" + succeeded, WRITER, null, Map.of(), problems);
    assertEquals(409, conflict.status(), conflict.text());

    Reply dead = call("POST", "/v1/tasks", WRITER,
        "{\"type\":\"fail\",\"payload\":{\"message\":\"no\",\"retryable\":false}}"
            .getBytes(StandardCharsets.UTF_8), Map.of(), problems);
    String deadId = dead.json().path("id").asText();
    Reply deadTask = call("GET", "/v1/tasks/" + deadId, READER, null, Map.of(), problems);
    assertEquals("DEAD", deadTask.json().path("status").asText(), deadTask.text());
    Reply retried = call("POST", "/v1/tasks/" + deadId + "/retry", WRITER, null, Map.of(), problems);
    assertEquals(200, retried.status(), retried.text());

    JsonNode rescheduleExample = resolve(doc.at("/components/schemas/Reschedule")).path("example");
    Reply moved = call("PATCH", "/v1/tasks/" + scheduled, WRITER, bytes(rescheduleExample),
        Map.of(), problems);
    assertEquals(200, moved.status(), moved.text());
    call("POST", "/v1/tasks:batch", WRITER,
        "{\"tasks\":[{\"type\":\"echo\"},{\"type\":\"echo\",\"idempotencyKey\":\"oas-1\"}]}"
            .getBytes(StandardCharsets.UTF_8), Map.of(), problems);
    Reply page = call("GET", "/v1/tasks?limit=2", READER, null, Map.of(), problems);
    assertFalse(page.json().path("nextCursor").isNull(), page.text());
    call("GET", "/v1/tasks?limit=2&cursor=" + encode(page.json().path("nextCursor").asText()),
        READER, null, Map.of(), problems);
    JsonNode limitsExample =
        resolve(doc.at("/components/schemas/QueueLimitsUpdate")).path("example");
    call("PUT", "/v1/queues/" + PROBE_QUEUE, ADMIN, bytes(limitsExample), Map.of(), problems);
    call("GET", "/v1/queues", READER, null, Map.of(), problems);
    call("GET", "/v1/cluster", READER, null, Map.of(), problems);
    assertTrue(problems.isEmpty(), String.join("\n", problems));
  }

  /** Workflows need a node: a real one (H2) answers the workflow operations here. */
  @Test
  void liveWorkflowAnswersMatchTheirSchemas() throws IOException {
    java.nio.file.Path dataDir = java.nio.file.Files.createTempDirectory("tasker-oas-wf-");
    try (io.tasker.node.TaskerNode node = io.tasker.node.Tasker.builder()
            .plugin(new io.tasker.sample.SampleHandlers())
            .config(WorkflowRoutesTest.config(dataDir, "")).start();
        HttpGateway served = HttpGateway.start(node)) {
      java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
      List<String> problems = new ArrayList<>();
      java.util.function.BiFunction<String[], String, Reply> call = (route, body) -> {
        Reply reply = WorkflowRoutesTest.send(client, served.port(), route[0], route[1],
            route[2], body);
        check(operationFor(route[0], route[1]), reply, problems);
        return reply;
      };
      String admin = WorkflowRoutesTest.ADMIN;
      String definition = bytesText(resolve(doc.at("/components/schemas/WorkflowDefinition"))
          .path("example"));
      assertEquals(201, call.apply(new String[] {"PUT", "/v1/workflows/oas-orders", admin},
          definition).status());
      call.apply(new String[] {"PUT", "/v1/workflows/oas-orders", admin}, definition);
      call.apply(new String[] {"PUT", "/v1/workflows/oas-orders", admin},
          definition.replace("30m", "31m"));
      call.apply(new String[] {"PUT", "/v1/workflows/oas-bad", admin},
          "{\"tasks\": [{\"name\": \"a\", \"type\": \"nobody\"}]}");
      call.apply(new String[] {"GET", "/v1/workflows/oas-orders?version=1", admin}, null);
      call.apply(new String[] {"GET", "/v1/workflows", admin}, null);
      call.apply(new String[] {"GET", "/v1/workflows/oas-none", admin}, null);
      String start = bytesText(resolve(doc.at("/components/schemas/WorkflowStart"))
          .path("example"));
      Reply started = call.apply(
          new String[] {"POST", "/v1/workflows/oas-orders/executions", admin}, start);
      assertEquals(201, started.status(), started.text());
      call.apply(new String[] {"POST", "/v1/workflows/oas-orders/executions", admin}, start);
      String id = started.json().path("id").asText();
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).until(() ->
          call.apply(new String[] {"GET", "/v1/workflow-executions/" + id, admin}, null).json()
              .path("status").asText().equals("SUCCEEDED"));
      call.apply(new String[] {"POST", "/v1/workflow-executions/" + id + "/cancel", admin}, null);
      call.apply(new String[] {"POST", "/v1/workflow-executions/" + id + "/retry", admin}, null);
      call.apply(new String[] {"GET", "/v1/workflow-executions/none", admin}, null);
      Reply page = call.apply(new String[] {"GET",
          "/v1/workflow-executions?workflow=oas-orders&status=succeeded&limit=1", admin}, null);
      assertEquals(id, page.json().path("executions").get(0).path("id").asText(), page.text());
      assertTrue(problems.isEmpty(), String.join("\n", problems));
    }
  }

  private static String bytesText(JsonNode json) {
    return new String(bytes(json), StandardCharsets.UTF_8);
  }

  @Test
  void rateLimitedKeysGet429WithRetryAfter() {
    List<String> problems = new ArrayList<>();
    try (GatewayFixture limited = new GatewayFixture(
        "tasker.http.rate-limit.per-key = 0.001\ntasker.http.rate-limit.burst = 1")) {
      assertEquals(200, limited.get("/v1/queues", ADMIN).status()); // spends the only token
      for (Operation op : operations()) {
        byte[] body = exampleBody(op);
        Reply reply = limited.send(op.method(), probePath(op), ADMIN,
            body == null ? null : "application/json", body);
        check(op, reply, problems);
        if (needsKey(op)) {
          expect(op, reply.status() == 429, reply, "should be 429 over the key's rate", problems);
        } else {
          expect(op, reply.status() != 429, reply, "needs no key, so no rate limit", problems);
        }
      }
    }
    assertTrue(problems.isEmpty(), String.join("\n", problems));
  }

  // Sending and checking

  /** Sends to the operation of {@code method} + the path's template; checks the answer. */
  private Reply call(String method, String path, String key, byte[] body,
      Map<String, String> headers, List<String> problems) {
    Operation op = operationFor(method, path);
    Reply reply = gateway.send(method, path, key, body == null ? null : "application/json", body,
        headers);
    check(op, reply, problems);
    return reply;
  }

  private Reply send(Operation op, String path, String key, byte[] body) {
    return gateway.send(op.method(), path, key, body == null ? null : "application/json", body);
  }

  /**
   * Checks that the operation documents the status of {@code reply}, that its required headers
   * came, and that its body matches the documented schema (or is empty when none is).
   */
  private void check(Operation op, Reply reply, List<String> problems) {
    String status = Integer.toString(reply.status());
    JsonNode responses = op.node().path("responses");
    JsonNode response = responses.has(status) ? responses.get(status) : responses.get("default");
    if (response == null) {
      problems.add(op + " answered " + status + ", which it does not document: " + reply.text());
      return;
    }
    response = resolve(response);
    response.path("headers").properties().forEach(e -> {
      JsonNode header = resolve(e.getValue());
      var value = reply.header(e.getKey());
      if (value.isEmpty()) {
        if (header.path("required").asBoolean()) {
          problems.add(op + " " + status + " lacks the header " + e.getKey());
        }
      } else if (header.path("schema").path("type").asText().equals("integer")) {
        try {
          long number = Long.parseLong(value.get());
          if (header.path("schema").has("minimum")
              && number < header.path("schema").get("minimum").asLong()) {
            problems.add(op + " " + status + ": " + e.getKey() + " " + number + " is too small");
          }
        } catch (NumberFormatException ex) {
          problems.add(op + " " + status + ": " + e.getKey() + " is not a number: " + value.get());
        }
      }
    });
    JsonNode media = response.path("content").path("application/json");
    if (media.isMissingNode()) {
      if (response.path("content").size() > 0) {
        return; // another media type (text/plain of /metrics): not checked here
      }
      if (!reply.text().isEmpty()) {
        problems.add(op + " " + status + " documents no body but sent " + reply.text());
      }
      return;
    }
    if (!reply.header("Content-Type").orElse("").startsWith("application/json")) {
      problems.add(op + " " + status + " is not application/json: " + reply.headers().map());
      return;
    }
    JsonNode body;
    try {
      body = JsonContract.MAPPER.readTree(reply.text());
    } catch (IOException e) {
      problems.add(op + " " + status + " sent invalid JSON: " + reply.text());
      return;
    }
    validate(media.path("schema"), body, op + " " + status, problems);
  }

  private static void expect(Operation op, boolean condition, Reply reply, String what,
      List<String> problems) {
    if (!condition) {
      problems.add(op + ": " + what
          + (reply == null ? "" : " (answered " + reply.status() + " " + reply.text() + ")"));
    }
  }

  // Schemas: the subset of OpenAPI 3.0 schema objects the document uses

  private void validate(JsonNode schemaOrRef, JsonNode value, String where, List<String> problems) {
    JsonNode schema = resolve(schemaOrRef);
    if (value.isNull()) {
      if (!schema.path("nullable").asBoolean(false)) {
        problems.add(where + ": null is not allowed");
      }
      return;
    }
    for (JsonNode part : schema.path("allOf")) {
      validate(part, value, where, problems);
    }
    if (schema.has("enum")) {
      boolean listed = false;
      for (JsonNode option : schema.get("enum")) {
        listed |= option.equals(value);
      }
      if (!listed) {
        problems.add(where + ": " + value + " is not one of " + schema.get("enum"));
      }
    }
    String type = schema.path("type").asText("");
    switch (type) {
      case "object" -> validateObject(schema, value, where, problems);
      case "array" -> {
        if (!value.isArray()) {
          problems.add(where + ": not an array: " + value);
          return;
        }
        if (schema.has("minItems") && value.size() < schema.get("minItems").asInt()) {
          problems.add(where + ": fewer than minItems");
        }
        if (schema.has("maxItems") && value.size() > schema.get("maxItems").asInt()) {
          problems.add(where + ": more than maxItems");
        }
        for (int i = 0; i < value.size(); i++) {
          validate(schema.path("items"), value.get(i), where + "[" + i + "]", problems);
        }
      }
      case "string" -> validateString(schema, value, where, problems);
      case "integer", "number" -> {
        if (type.equals("integer") ? !value.isIntegralNumber() : !value.isNumber()) {
          problems.add(where + ": not an " + type + ": " + value);
          return;
        }
        if (schema.has("minimum") && value.decimalValue().compareTo(
            schema.get("minimum").decimalValue()) < 0) {
          problems.add(where + ": " + value + " is below " + schema.get("minimum"));
        }
        if (schema.has("maximum") && value.decimalValue().compareTo(
            schema.get("maximum").decimalValue()) > 0) {
          problems.add(where + ": " + value + " is above " + schema.get("maximum"));
        }
      }
      case "boolean" -> {
        if (!value.isBoolean()) {
          problems.add(where + ": not a boolean: " + value);
        }
      }
      case "" -> { } // any value
      default -> problems.add(where + ": unknown schema type " + type);
    }
  }

  private void validateObject(JsonNode schema, JsonNode value, String where,
      List<String> problems) {
    if (!value.isObject()) {
      problems.add(where + ": not an object: " + value);
      return;
    }
    for (JsonNode name : schema.path("required")) {
      if (!value.has(name.asText())) {
        problems.add(where + ": lacks the required " + name.asText());
      }
    }
    if (schema.has("minProperties") && value.size() < schema.get("minProperties").asInt()) {
      problems.add(where + ": fewer than minProperties");
    }
    if (schema.has("maxProperties") && value.size() > schema.get("maxProperties").asInt()) {
      problems.add(where + ": more than maxProperties");
    }
    JsonNode additional = schema.path("additionalProperties");
    for (Map.Entry<String, JsonNode> field : value.properties()) {
      String at = where + "." + field.getKey();
      if (schema.path("properties").has(field.getKey())) {
        validate(schema.get("properties").get(field.getKey()), field.getValue(), at, problems);
      } else if (additional.isBoolean() && !additional.asBoolean()) {
        problems.add(at + ": not a documented property");
      } else if (additional.isObject()) {
        validate(additional, field.getValue(), at, problems);
      }
    }
  }

  private static void validateString(JsonNode schema, JsonNode value, String where,
      List<String> problems) {
    if (!value.isTextual()) {
      problems.add(where + ": not a string: " + value);
      return;
    }
    String text = value.asText();
    if (schema.has("minLength") && text.length() < schema.get("minLength").asInt()) {
      problems.add(where + ": shorter than minLength");
    }
    if (schema.has("maxLength") && text.length() > schema.get("maxLength").asInt()) {
      problems.add(where + ": longer than maxLength");
    }
    if (schema.has("pattern") && !Pattern.compile(schema.get("pattern").asText()).matcher(text)
        .find()) {
      problems.add(where + ": '" + text + "' does not match " + schema.get("pattern").asText());
    }
    try {
      switch (schema.path("format").asText("")) {
        case "date-time" -> OffsetDateTime.parse(text);
        case "duration" -> Duration.parse(text);
        default -> { }
      }
    } catch (DateTimeParseException e) {
      problems.add(where + ": '" + text + "' is not a " + schema.get("format").asText());
    }
  }

  // The document

  private List<Operation> operations() {
    List<Operation> operations = new ArrayList<>();
    doc.path("paths").properties().forEach(path -> path.getValue().properties()
        .forEach(entry -> {
          if (OPERATION_KEYS.contains(entry.getKey())) {
            operations.add(new Operation(entry.getKey().toUpperCase(), path.getKey(),
                entry.getValue(), path.getValue()));
          }
        }));
    return operations;
  }

  /** The operation whose path template matches {@code path} (query string ignored). */
  private Operation operationFor(String method, String path) {
    String bare = path.contains("?") ? path.substring(0, path.indexOf('?')) : path;
    for (Operation op : operations()) {
      String regex = TEMPLATE_PARAM.matcher(Pattern.quote(op.path()))
          .replaceAll(Matcher.quoteReplacement("\\E[^/]+\\Q"));
      if (op.method().equals(method) && bare.matches(regex)) {
        return op;
      }
    }
    fail(method + " " + path + " matches no documented operation");
    return null;
  }

  /** Path-level and operation-level parameters, resolved. */
  private List<JsonNode> parameters(Operation op) {
    List<JsonNode> parameters = new ArrayList<>();
    op.pathItem().path("parameters").forEach(p -> parameters.add(resolve(p)));
    op.node().path("parameters").forEach(p -> parameters.add(resolve(p)));
    return parameters;
  }

  private boolean needsKey(Operation op) {
    JsonNode security = op.node().has("security") ? op.node().get("security") : doc.path("security");
    return security.isArray() && security.size() > 0;
  }

  private static String probeValue(String parameter) {
    return switch (parameter) {
      case "id" -> MISSING_TASK;
      case "name" -> PROBE_QUEUE;
      default -> throw new AssertionError("no probe value for the path parameter " + parameter);
    };
  }

  private static String probePath(Operation op) {
    return TEMPLATE_PARAM.matcher(op.path())
        .replaceAll(m -> Matcher.quoteReplacement(probeValue(m.group(1))));
  }

  /** The documented example of the operation's JSON body, or null without a body. */
  private JsonNode exampleJson(Operation op) {
    if (!op.node().has("requestBody")) {
      return null;
    }
    JsonNode media = resolve(op.node().get("requestBody")).path("content").path("application/json");
    JsonNode example = media.has("example") ? media.get("example")
        : resolve(media.path("schema")).path("example");
    assertFalse(example.isMissingNode(), op + ": the request body has no example to send");
    return example;
  }

  private byte[] exampleBody(Operation op) {
    JsonNode example = exampleJson(op);
    return example == null ? null : bytes(example);
  }

  private JsonNode resolve(JsonNode node) {
    JsonNode current = node;
    for (int hops = 0; current.has("$ref"); hops++) {
      assertTrue(hops < 10, "a $ref cycle at " + node);
      String ref = current.get("$ref").asText();
      assertTrue(ref.startsWith("#/"), ref + " points outside the document");
      current = doc.at(ref.substring(1));
      assertFalse(current.isMissingNode(), ref + " does not resolve");
    }
    return current;
  }

  private static void walk(JsonNode node, Consumer<JsonNode> visitor) {
    visitor.accept(node);
    node.elements().forEachRemaining(child -> walk(child, visitor));
  }

  private static byte[] bytes(JsonNode json) {
    try {
      return JsonContract.MAPPER.writeValueAsBytes(json);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /**
   * The server answers an oversized body with 413 and closes the connection, sometimes while the
   * client is still sending it; the client then loses the answer ("header parser received no
   * bytes"). That is the transport, not the status under test, so it is tried again (the status
   * is still asserted on an answer received).
   */
  private Reply sendOversized(String method, String path, String key, byte[] body) {
    for (int attempt = 1; ; attempt++) {
      try {
        return gateway.send(method, path, key, "application/json", body);
      } catch (IllegalStateException lost) {
        if (!(lost.getCause() instanceof java.io.IOException) || attempt == 3) {
          throw lost;
        }
      }
    }
  }
}
