package io.tasker.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class TaskSpecTest {
  private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

  private static TaskSpec spec(Function<Map<String, Object>, Map<String, Object>> change) {
    Map<String, Object> f = new HashMap<>();
    f.put("type", "echo");
    f.put("queue", "default");
    f.put("priority", 0);
    f.put("maxAttempts", 3);
    f.put("timeout", Duration.ofSeconds(5));
    f.put("idempotencyKey", null);
    f.put("metadata", Map.of());
    f = change.apply(f);
    @SuppressWarnings("unchecked")
    Map<String, String> metadata = (Map<String, String>) f.get("metadata");
    return TaskSpec.of((String) f.get("type"), (String) f.get("queue"), null,
        (Integer) f.get("priority"), NOW, (Integer) f.get("maxAttempts"),
        Backoff.fixed(Duration.ofSeconds(1)), (Duration) f.get("timeout"),
        (String) f.get("idempotencyKey"), null, metadata);
  }

  private static String fieldRejected(Function<Map<String, Object>, Map<String, Object>> change) {
    return assertThrows(ValidationException.class, () -> spec(change)).field();
  }

  @Test
  void acceptsAWellFormedSpec() {
    assertEquals("echo", spec(f -> f).type());
  }

  @Test
  void namesTheOffendingField() {
    assertEquals("type", fieldRejected(f -> { f.put("type", "no spaces"); return f; }));
    assertEquals("queue", fieldRejected(f -> { f.put("queue", ""); return f; }));
    assertEquals("priority", fieldRejected(f -> { f.put("priority", 5000); return f; }));
    assertEquals("maxAttempts", fieldRejected(f -> { f.put("maxAttempts", 0); return f; }));
    assertEquals("timeout", fieldRejected(f -> { f.put("timeout", Duration.ZERO); return f; }));
    assertEquals("idempotencyKey",
        fieldRejected(f -> { f.put("idempotencyKey", "k".repeat(300)); return f; }));
    assertEquals("metadata",
        fieldRejected(f -> { f.put("metadata", Map.of("", "empty key")); return f; }));
  }

  @Test
  void runAtAndDelayAreExclusive() {
    EnqueueRequest both = EnqueueRequest.of("echo", null).withRunAt(NOW)
        .withIdempotencyKey("x");
    EnqueueRequest conflicting = new EnqueueRequest("echo", null, null, NOW, Duration.ofSeconds(1),
        null, null, null, null, null, null, null);
    assertEquals(NOW, both.resolveRunAt(NOW.plusSeconds(9)));
    assertEquals("delay",
        assertThrows(ValidationException.class, () -> conflicting.resolveRunAt(NOW)).field());
    assertEquals(NOW.plusSeconds(5),
        EnqueueRequest.of("echo", null).withDelay(Duration.ofSeconds(5)).resolveRunAt(NOW));
  }

  @Test
  void idempotencyKeyGivesTheSameIdPerTypeAndQueue() {
    assertEquals(TaskId.forIdempotencyKey("mail", "q", "order-1"),
        TaskId.forIdempotencyKey("mail", "q", "order-1"));
    assertNotEquals(TaskId.forIdempotencyKey("mail", "q", "order-1"),
        TaskId.forIdempotencyKey("mail", "r", "order-1"));
    assertNotEquals(TaskId.forIdempotencyKey("mail", "q", "order-1"),
        TaskId.forIdempotencyKey("sms", "q", "order-1"));
    assertThrows(ValidationException.class, () -> TaskId.of("../etc/passwd"));
  }

  @Test
  void idsNameTheirType() {
    assertEquals("email.send", TaskId.random("email.send").type());
    assertEquals("email.send", TaskId.forIdempotencyKey("email.send", "q", "k").type());
    assertEquals("email.send", TaskId.of(TaskId.random("email.send").value()).type());
    assertNull(TaskId.of("0f8c2a9e-0000-4000-8000-000000000000").type());
  }

  @Test
  void idsAreOneToOneHundredTwentyEightSafeCharacters() {
    assertEquals("a", TaskId.of("a").value());
    assertEquals("A-b_c.d:9", TaskId.of("A-b_c.d:9").value());
    assertEquals(128, TaskId.of("x".repeat(128)).value().length());
    for (String bad : new String[] {"", "x".repeat(129), "-a", ":a", "_a", "a b", "a/b", "é",
        "a\n"}) {
      assertThrows(ValidationException.class, () -> TaskId.of(bad), bad);
    }
    assertThrows(ValidationException.class, () -> TaskId.of(null));
  }

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private static TaskSpec spec(JsonNode payload, String concurrencyKey, Map<String, String> meta) {
    return TaskSpec.of("echo", "default", payload, 0, NOW, 3,
        Backoff.fixed(Duration.ofSeconds(1)), Duration.ofSeconds(5), null, concurrencyKey, meta);
  }

  private static String payloadRejected(JsonNode payload) {
    return assertThrows(ValidationException.class, () -> spec(payload, null, Map.of())).field();
  }

  @Test
  void refusesNulAndLoneSurrogatesInStoredStrings() {
    assertEquals("concurrencyKey", assertThrows(ValidationException.class,
        () -> spec(null, "tenant\u0000", Map.of())).field());
    assertEquals("concurrencyKey", assertThrows(ValidationException.class,
        () -> spec(null, "tenant-\ud800", Map.of())).field());
    assertEquals("idempotencyKey", fieldRejected(f -> { f.put("idempotencyKey", "k\u0000");
      return f; }));
    assertEquals("idempotencyKey", fieldRejected(f -> { f.put("idempotencyKey", "\udc00k");
      return f; }));
    assertEquals("metadata.k", fieldRejected(f -> { f.put("metadata", Map.of("k", "v\u0000"));
      return f; }));
    assertEquals("metadata.k", fieldRejected(f -> { f.put("metadata", Map.of("k", "v\ud83d"));
      return f; }));
    // a bad key is named by "metadata": the error must stay writable as UTF-8
    assertEquals("metadata", fieldRejected(f -> { f.put("metadata", Map.of("k\ud800", "v"));
      return f; }));
    assertEquals("metadata", fieldRejected(f -> { f.put("metadata", Map.of("\u0000", "v"));
      return f; }));
    assertTrue(assertThrows(ValidationException.class, () -> spec(null, "a\u0000", Map.of()))
        .reason().contains("NUL"));
    // a surrogate pair is ordinary Unicode
    assertEquals("tenant-\ud83d\ude00", spec(null, "tenant-\ud83d\ude00",
        Map.of("k", "\ud83d\ude00")).concurrencyKey());
  }

  @Test
  void payloadStringsMayHoldNulButNoLoneSurrogateNamingTheValue() {
    ObjectNode nul = NODES.objectNode().put("a\u0000", "x\u0000y");
    assertEquals(nul, spec(nul, null, Map.of()).payload());
    assertEquals("payload.a", payloadRejected(NODES.objectNode().put("a", "\ud800")));
    assertEquals("payload", payloadRejected(NODES.textNode("ok\udfff")));
    ObjectNode nested = NODES.objectNode();
    nested.putArray("items").add(NODES.objectNode().put("ok", "\ud83d\ude00"))
        .add(NODES.objectNode().put("name", "\ude00\ud83d"));
    assertEquals("payload.items[1].name", payloadRejected(nested));
    ObjectNode badName = NODES.objectNode();
    badName.putObject("a").put("\ud800", 1);
    assertEquals("payload.a", payloadRejected(badName));
  }

  @Test
  void payloadNumbersMustBeFinite() {
    assertEquals("payload", payloadRejected(NODES.numberNode(Double.NaN)));
    assertEquals("payload.n",
        payloadRejected(NODES.objectNode().put("n", Double.POSITIVE_INFINITY)));
    assertEquals("payload[0]", payloadRejected(NODES.arrayNode().add(Float.NEGATIVE_INFINITY)));
    JsonNode finite = NODES.arrayNode().add(Double.MAX_VALUE).add(-0.0).add(1e-300);
    assertEquals(finite, spec(finite, null, Map.of()).payload());
  }

  @Test
  void anyDepthOfPayloadIsCheckedWithoutOverflowingTheStack() {
    ArrayNode root = NODES.arrayNode();
    ArrayNode leaf = root;
    for (int i = 0; i < 100_000; i++) {
      leaf = leaf.addArray();
    }
    assertEquals(root, spec(root, null, Map.of()).payload());
    leaf.add(Double.NaN);
    String field = payloadRejected(root);
    assertEquals("payload" + "[0]".repeat(100_001), field);
  }

  @Test
  void runAtLiesBetweenTheEpochAndTheLongestDelayFromNow() {
    Instant latest = NOW.plus(Validation.MAX_DELAY);
    assertEquals(latest, EnqueueRequest.of("echo", null).withRunAt(latest).resolveRunAt(NOW));
    assertEquals(Instant.EPOCH,
        EnqueueRequest.of("echo", null).withRunAt(Instant.EPOCH).resolveRunAt(NOW));
    for (Instant outside : new Instant[] {latest.plusMillis(1), Instant.EPOCH.minusNanos(1),
        Instant.parse("0000-01-01T00:00:00Z"), Instant.MIN, Instant.MAX}) {
      ValidationException invalid = assertThrows(ValidationException.class,
          () -> EnqueueRequest.of("echo", null).withRunAt(outside).resolveRunAt(NOW), "" + outside);
      assertEquals("runAt", invalid.field());
      assertTrue(invalid.reason().contains("between 1970-01-01T00:00:00Z and 3650 days from now"),
          invalid.reason());
    }
    assertEquals("startAt", assertThrows(ValidationException.class,
        () -> Validation.time(NOW, Instant.MAX, "startAt")).field());
  }

  @Test
  void reservedTraceKeysDoNotCountAgainstTheMetadataLimit() {
    Map<String, String> full = new HashMap<>();
    for (int i = 0; i < Validation.MAX_METADATA_ENTRIES; i++) {
      full.put("k" + i, "v");
    }
    TaskSpec atLimit = spec(f -> { f.put("metadata", full); return f; });
    TaskSpec traced = atLimit.withMetadata("tasker.traceparent",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
        .withMetadata("tasker.tracestate", "vendor=x");
    assertEquals(Validation.MAX_METADATA_ENTRIES + 2, traced.metadata().size());
    assertEquals("metadata", assertThrows(ValidationException.class,
        () -> atLimit.withMetadata("one", "more")).field());
  }
}
