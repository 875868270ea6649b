package io.tasker.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
    return new TaskSpec((String) f.get("type"), (String) f.get("queue"), null,
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
}
