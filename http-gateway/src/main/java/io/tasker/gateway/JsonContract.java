package io.tasker.gateway;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tasker.node.ScheduleSpec;
import io.tasker.protocol.Backoff;
import io.tasker.protocol.EnqueueRequest;
import io.tasker.protocol.QueueUpdate;
import io.tasker.protocol.TaskQuery;
import io.tasker.protocol.TaskStatus;
import io.tasker.protocol.Validation;
import io.tasker.protocol.ValidationException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The JSON contract of the HTTP API, the requests' side: they are read field by field so that
 * every error names its field (the answers are {@link JsonViews}). Times are ISO-8601 instants;
 * durations ISO-8601 durations ({@code PT30S}).
 */
final class JsonContract {
  static final ObjectMapper MAPPER =
      JsonMapper.builder()
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .build();

  static {
    MAPPER.getFactory().setStreamReadConstraints(
        StreamReadConstraints.builder().maxNestingDepth(64).maxNumberLength(100).build());
  }

  private static final Set<String> ENQUEUE_FIELDS = Set.of("type", "payload", "queue", "runAt",
      "delay", "priority", "maxAttempts", "backoff", "timeout", "idempotencyKey", "concurrencyKey",
      "metadata");
  private static final Set<String> BACKOFF_FIELDS =
      Set.of("kind", "initialDelay", "factor", "maxDelay", "jitter");

  private JsonContract() {}

  static JsonNode parse(byte[] body) {
    if (body.length == 0) {
      throw HttpProblem.malformed("the request body is empty; send a JSON object");
    }
    try {
      java.nio.charset.StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
          .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
          .decode(java.nio.ByteBuffer.wrap(body));
    } catch (java.nio.charset.CharacterCodingException e) {
      throw HttpProblem.malformed("the request body is not valid UTF-8");
    }
    try {
      return MAPPER.readTree(body);
    } catch (JsonProcessingException e) {
      throw HttpProblem.malformed("malformed JSON: " + e.getOriginalMessage());
    } catch (java.io.IOException e) {
      throw HttpProblem.malformed("unreadable body: " + e.getMessage());
    }
  }

  // Requests

  static EnqueueRequest enqueueRequest(JsonNode body, String prefix) {
    ObjectNode object = object(body, prefix.isEmpty() ? "body" : prefix.substring(0, prefix.length() - 1));
    onlyKnownFields(object, ENQUEUE_FIELDS, prefix);
    Map<String, String> metadata = new HashMap<>();
    JsonNode meta = object.get("metadata");
    if (meta != null && !meta.isNull()) {
      ObjectNode metaObject = object(meta, prefix + "metadata");
      metaObject.fields().forEachRemaining(e -> {
        if (!e.getValue().isTextual()) {
          throw new ValidationException(prefix + "metadata." + e.getKey(), "must be a string");
        }
        metadata.put(e.getKey(), e.getValue().asText());
      });
    }
    String type = text(object, "type", prefix);
    if (type == null) {
      throw new ValidationException(prefix + "type", "is required");
    }
    return new EnqueueRequest(
        type,
        object.get("payload"),
        text(object, "queue", prefix),
        instant(object, "runAt", prefix),
        duration(object, "delay", prefix),
        integer(object, "priority", prefix),
        integer(object, "maxAttempts", prefix),
        backoff(object.get("backoff"), prefix + "backoff"),
        duration(object, "timeout", prefix),
        text(object, "idempotencyKey", prefix),
        text(object, "concurrencyKey", prefix),
        metadata);
  }

  private static Backoff backoff(JsonNode node, String field) {
    if (node == null || node.isNull()) {
      return null;
    }
    ObjectNode object = object(node, field);
    onlyKnownFields(object, BACKOFF_FIELDS, field + ".");
    String kindText = text(object, "kind", field + ".");
    if (kindText == null) {
      throw new ValidationException(field + ".kind", "is required: fixed, linear or exponential");
    }
    Backoff.Kind kind;
    try {
      kind = Backoff.Kind.valueOf(kindText.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new ValidationException(field + ".kind", "must be fixed, linear or exponential");
    }
    Duration initial = orDefault(duration(object, "initialDelay", field + "."), Duration.ofSeconds(1));
    Double factor = number(object, "factor", field + ".");
    Duration max = duration(object, "maxDelay", field + ".");
    Double jitter = number(object, "jitter", field + ".");
    try {
      return new Backoff(kind, initial,
          factor != null ? factor : (kind == Backoff.Kind.EXPONENTIAL ? 2.0 : 1.0),
          max != null ? max : (initial.compareTo(Duration.ofMinutes(10)) > 0 ? initial : Duration.ofMinutes(10)),
          jitter != null ? jitter : Backoff.DEFAULT_JITTER);
    } catch (ValidationException invalid) {
      // Backoff names its fields "backoff.x"; place them where this backoff stands
      throw new ValidationException(
          field + invalid.field().substring("backoff".length()), invalid.reason());
    }
  }

  static QueueUpdate queueUpdate(JsonNode body) {
    ObjectNode object = object(body, "body");
    onlyKnownFields(object,
        Set.of("maxConcurrency", "maxConcurrencyPerKey", "rate", "burst", "paused"), "");
    Integer max = integer(object, "maxConcurrency", "");
    Integer perKey = integer(object, "maxConcurrencyPerKey", "");
    Double rate = number(object, "rate", "");
    Integer burst = integer(object, "burst", "");
    JsonNode paused = object.get("paused");
    if (paused != null && !paused.isBoolean()) {
      throw new ValidationException("paused", "must be true or false");
    }
    return new QueueUpdate(max, perKey, rate, burst, paused != null ? paused.asBoolean() : null);
  }

  /** A reschedule: a new run time (runAt or delay from now) and/or priority. */
  record Reschedule(Instant runAt, Integer priority) {}

  static Reschedule reschedule(JsonNode body, Instant now) {
    ObjectNode object = object(body, "body");
    onlyKnownFields(object, Set.of("runAt", "delay", "priority"), "");
    Instant runAt = instant(object, "runAt", "");
    Duration delay = duration(object, "delay", "");
    if (runAt != null && delay != null) {
      throw new ValidationException("delay", "give either runAt or delay, not both");
    }
    Integer priority = integer(object, "priority", "");
    if (runAt == null && delay == null && priority == null) {
      throw new ValidationException("runAt", "give runAt, delay or priority");
    }
    return new Reschedule(
        delay != null ? Validation.afterDelay(now, delay, "delay") : runAt, priority);
  }

  private static final Set<String> SCHEDULE_FIELDS = Set.of("id", "task", "cron", "interval",
      "zone", "jitter", "startAt", "endAt", "paused", "overlap", "misfire");

  /**
   * Reads the body of {@code PUT /v1/schedules/{id}}: the trigger ({@code cron} + {@code zone},
   * or {@code interval}), its options and the {@code task} template.
   */
  static ScheduleSpec scheduleSpec(JsonNode body, String id) {
    ObjectNode object = object(body, "body");
    onlyKnownFields(object, SCHEDULE_FIELDS, "");
    String bodyId = text(object, "id", "");
    if (bodyId != null && !bodyId.equals(id)) {
      throw new ValidationException("id", "differs from the id in the path");
    }
    JsonNode task = object.get("task");
    if (task == null || task.isNull()) {
      throw new ValidationException("task", "is required");
    }
    JsonNode paused = object.get("paused");
    if (paused != null && !paused.isNull() && !paused.isBoolean()) {
      throw new ValidationException("paused", "must be true or false");
    }
    return new ScheduleSpec(
        id,
        enqueueRequest(task, "task."),
        text(object, "cron", ""),
        duration(object, "interval", ""),
        text(object, "zone", ""),
        duration(object, "jitter", ""),
        instant(object, "startAt", ""),
        instant(object, "endAt", ""),
        paused != null && paused.asBoolean(),
        scheduleEnum(ScheduleSpec.Overlap.class, text(object, "overlap", ""), "overlap"),
        scheduleEnum(ScheduleSpec.Misfire.class, text(object, "misfire", ""), "misfire"));
  }

  /** {@code run-once} names {@code RUN_ONCE}. */
  private static <E extends Enum<E>> E scheduleEnum(Class<E> type, String value, String field) {
    if (value == null) {
      return null;
    }
    for (E constant : type.getEnumConstants()) {
      if (enumName(constant).equals(value)) {
        return constant;
      }
    }
    throw new ValidationException(field, "must be one of " + java.util.Arrays
        .stream(type.getEnumConstants()).map(JsonContract::enumName).toList());
  }

  static String enumName(Enum<?> constant) {
    return constant.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  private static ObjectNode object(JsonNode node, String field) {
    if (!(node instanceof ObjectNode object)) {
      throw new ValidationException(field, "must be a JSON object");
    }
    return object;
  }

  /** A bulk action's body: which tasks, and whether only to count them. */
  record BulkFilter(TaskQuery query, boolean dryRun) {}

  private static final Set<String> BULK_FIELDS =
      Set.of("queue", "type", "status", "createdFrom", "createdBefore", "dryRun");

  static BulkFilter bulkFilter(JsonNode body) {
    ObjectNode object = object(body, "body");
    onlyKnownFields(object, BULK_FIELDS, "");
    String status = text(object, "status", "");
    TaskStatus parsed = null;
    if (status != null) {
      try {
        parsed = TaskStatus.valueOf(status.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new ValidationException("status", "must be one of "
            + java.util.Arrays.toString(TaskStatus.values()).toLowerCase(Locale.ROOT));
      }
    }
    if (object.size() - (object.has("dryRun") ? 1 : 0) == 0) {
      throw new ValidationException("body",
          "name at least one of queue, type, status, createdFrom, createdBefore");
    }
    JsonNode dryRun = object.get("dryRun");
    if (dryRun != null && !dryRun.isBoolean() && !dryRun.isNull()) {
      throw new ValidationException("dryRun", "must be true or false");
    }
    TaskQuery query = new TaskQuery(text(object, "queue", ""), parsed, text(object, "type", ""),
        instant(object, "createdFrom", ""), instant(object, "createdBefore", ""),
        TaskQuery.Order.NEWEST, TaskQuery.MAX_LIMIT, null);
    return new BulkFilter(query, dryRun != null && dryRun.asBoolean());
  }

  private static void onlyKnownFields(ObjectNode object, Set<String> known, String prefix) {
    for (Iterator<String> names = object.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!known.contains(name)) {
        throw new ValidationException(prefix + name, "is not a known field");
      }
    }
  }

  private static String text(ObjectNode object, String name, String prefix) {
    JsonNode node = object.get(name);
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isTextual()) {
      throw new ValidationException(prefix + name, "must be a string");
    }
    return node.asText();
  }

  private static Integer integer(ObjectNode object, String name, String prefix) {
    JsonNode node = object.get(name);
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isNumber() || node.canConvertToInt() && !node.isIntegralNumber()) {
      throw new ValidationException(prefix + name, "must be a whole number");
    }
    return node.canConvertToInt() ? node.intValue() : beyond(node.doubleValue() < 0,
        Integer.MIN_VALUE, Integer.MAX_VALUE);
  }

  /**
   * A value too large for its Java type stands in as the type's extreme of its sign: the field's
   * own range check then refuses it and states the range, the one place that knows it.
   */
  private static <T> T beyond(boolean negative, T min, T max) {
    return negative ? min : max;
  }

  private static Double number(ObjectNode object, String name, String prefix) {
    JsonNode node = object.get(name);
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isNumber()) {
      throw new ValidationException(prefix + name, "must be a number");
    }
    double value = node.doubleValue(); // 1e400 reads as infinity
    return Double.isFinite(value) ? value : beyond(value < 0, -Double.MAX_VALUE, Double.MAX_VALUE);
  }

  private static Instant instant(ObjectNode object, String name, String prefix) {
    return instant(text(object, name, prefix), prefix + name);
  }

  /** @return the ISO-8601 date-time with offset {@code text} names, or null for null */
  static Instant instant(String text, String field) {
    if (text == null) {
      return null;
    }
    try {
      return OffsetDateTime.parse(text).toInstant();
    } catch (DateTimeParseException e) {
      throw new ValidationException(field,
          "must be an ISO-8601 date-time with offset, e.g. 2026-12-01T09:00:00+01:00");
    }
  }

  private static Duration duration(ObjectNode object, String name, String prefix) {
    String text = text(object, name, prefix);
    if (text == null) {
      return null;
    }
    try {
      return Duration.parse(text);
    } catch (DateTimeParseException e) {
      if (e.getCause() instanceof ArithmeticException
          || e.getCause() instanceof NumberFormatException) {
        // well-formed but beyond a Duration; an odd count of '-' makes it negative
        return beyond(text.chars().filter(c -> c == '-').count() % 2 == 1,
            Duration.ofSeconds(Long.MIN_VALUE), Duration.ofSeconds(Long.MAX_VALUE, 999_999_999));
      }
      throw new ValidationException(prefix + name, "must be an ISO-8601 duration, e.g. PT30S");
    }
  }

  private static <T> T orDefault(T value, T fallback) {
    return value != null ? value : fallback;
  }
}
