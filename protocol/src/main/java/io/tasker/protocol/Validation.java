package io.tasker.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.regex.Pattern;

/** The limits every request is checked against, in one place for the Java API and HTTP. */
public final class Validation {
  /** Queue names and task types: a letter or digit, then letters, digits or {@code _.-}. */
  public static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

  private static final int MAX_NAME_LENGTH = 64;

  public static final int MIN_PRIORITY = -1000;
  public static final int MAX_PRIORITY = 1000;
  public static final int MAX_ATTEMPTS = 1000;
  public static final Duration MAX_TIMEOUT = Duration.ofHours(24);
  public static final int MAX_KEY_LENGTH = 256;
  public static final int MAX_METADATA_ENTRIES = 32;
  public static final int MAX_METADATA_KEY_LENGTH = 64;
  public static final int MAX_METADATA_VALUE_LENGTH = 1024;
  /**
   * Metadata keys Tasker itself adds to a task (its enqueuer's trace context): not counted
   * against {@link #MAX_METADATA_ENTRIES}, so a user's metadata at the limit stays valid.
   */
  public static final java.util.Set<String> RESERVED_METADATA_KEYS =
      java.util.Set.of("tasker.traceparent", "tasker.tracestate");

  private Validation() {}

  /** The furthest ahead a task may be scheduled, as a delay or as a time. */
  public static final Duration MAX_DELAY = Duration.ofDays(3650);

  /**
   * The earliest time a caller may give (a run time, a schedule's start or end). A time in the
   * past means "now"; one before 1970 is a mistake, and times far from now overflow the
   * millisecond arithmetic of timers and the timestamp columns of the database.
   */
  public static final Instant EARLIEST_TIME = Instant.EPOCH;

  /**
   * @return {@code now + delay}
   * @throws ValidationException naming {@code field} if the delay is negative or beyond {@link
   *     #MAX_DELAY}
   */
  public static Instant afterDelay(Instant now, Duration delay, String field) {
    if (delay.isNegative()) {
      throw new ValidationException(field, "must not be negative");
    }
    if (delay.compareTo(MAX_DELAY) > 0) {
      throw new ValidationException(field, "must be at most " + MAX_DELAY.toDays() + " days");
    }
    return now.plus(delay);
  }

  /**
   * The one range of every time a caller gives: from {@link #EARLIEST_TIME} to {@link #MAX_DELAY}
   * after now, the latest a {@code delay} reaches.
   *
   * @param now the current time
   * @param time the time given, or {@code null}
   * @param field the field it came in
   * @return {@code time}
   * @throws ValidationException naming {@code field} if the time is outside that range
   */
  public static Instant time(Instant now, Instant time, String field) {
    if (time != null && (time.isBefore(EARLIEST_TIME) || time.isAfter(now.plus(MAX_DELAY)))) {
      throw new ValidationException(field, "must be between " + EARLIEST_TIME + " and "
          + MAX_DELAY.toDays() + " days from now (" + now.plus(MAX_DELAY) + ")");
    }
    return time;
  }

  /**
   * @return whether {@code value} is a {@link #NAME}; checked by hand, as every enqueue checks
   *     its type and queue, and a regular expression's matcher costs more than the check
   */
  public static boolean isName(String value) {
    if (value == null || value.isEmpty() || value.length() > MAX_NAME_LENGTH
        || !isLetterOrDigit(value.charAt(0))) {
      return false;
    }
    for (int i = 1; i < value.length(); i++) {
      char c = value.charAt(i);
      if (!isLetterOrDigit(c) && c != '_' && c != '.' && c != '-') {
        return false;
      }
    }
    return true;
  }

  private static boolean isLetterOrDigit(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  }

  static String name(String field, String value) {
    if (!isName(value)) {
      throw new ValidationException(
          field, "must be 1-64 letters, digits or '_.-', starting with a letter or digit");
    }
    return value;
  }

  static int range(String field, int value, int min, int max) {
    if (value < min || value > max) {
      throw new ValidationException(field, "must be between " + min + " and " + max);
    }
    return value;
  }

  static Duration positive(String field, Duration value, Duration max) {
    if (value == null || value.isNegative() || value.isZero() || value.compareTo(max) > 0) {
      throw new ValidationException(field, "must be positive and at most " + max);
    }
    return value;
  }

  static String key(String field, String value) {
    if (value != null && (value.isEmpty() || value.length() > MAX_KEY_LENGTH)) {
      throw new ValidationException(field, "must be 1-" + MAX_KEY_LENGTH + " characters");
    }
    return text(field, value);
  }

  /**
   * Every string stored beside the payload (keys, metadata) must be well-formed Unicode, which
   * the journal's serializer can write, and free of NUL, which PostgreSQL text cannot hold.
   *
   * @param field the field the string came in
   * @param value the string, or {@code null}
   * @return {@code value}
   * @throws ValidationException naming {@code field} otherwise
   */
  public static String text(String field, String value) {
    if (value != null && !wellFormed(value)) {
      throw new ValidationException(field, "must not contain " + LONE_SURROGATE);
    }
    if (value != null && value.indexOf('\0') >= 0) {
      throw new ValidationException(field, "must not contain the NUL character (\\u0000)");
    }
    return value;
  }

  private static final String LONE_SURROGATE =
      "a lone UTF-16 surrogate (\\ud800-\\udfff without its pair)";

  /** @return whether every surrogate in {@code value} is half of a pair */
  private static boolean wellFormed(String value) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (Character.isHighSurrogate(c)
          && i + 1 < value.length()
          && Character.isLowSurrogate(value.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return false;
      }
    }
    return true;
  }

  /**
   * A payload is kept as JSON in the journal's binary form, so its strings may hold any Unicode,
   * NUL included; but a lone surrogate cannot be written, and a number that is not finite (JSON
   * {@code 1e400} reads as infinity) would come back as the string {@code "Infinity"}. The tree is
   * walked without recursion and a path is only spelled out for an error, so no depth of nesting
   * overflows the stack or costs more than one visit per value.
   *
   * @param payload the payload, or {@code null}
   * @throws ValidationException naming the offending value, e.g. {@code payload.items[2].name}
   */
  public static void payload(JsonNode payload) {
    Deque<PayloadValue> pending = new ArrayDeque<>();
    if (payload != null) {
      pending.push(new PayloadValue(null, "payload", -1, payload));
    }
    while (!pending.isEmpty()) {
      PayloadValue value = pending.pop();
      JsonNode node = value.node();
      if (node.isTextual() && !wellFormed(node.textValue())) {
        throw new ValidationException(value.path(), "must not contain " + LONE_SURROGATE);
      } else if (node.isFloatingPointNumber() && !Double.isFinite(node.doubleValue())) {
        throw new ValidationException(value.path(), "must be a finite number");
      } else if (node.isArray()) {
        for (int i = 0; i < node.size(); i++) {
          pending.push(new PayloadValue(value, null, i, node.get(i)));
        }
      } else if (node.isObject()) {
        for (Map.Entry<String, JsonNode> field : node.properties()) {
          if (!wellFormed(field.getKey())) {
            // named by its object: an error naming the bad name could not be written as UTF-8
            throw new ValidationException(
                value.path(), "has a field name with " + LONE_SURROGATE);
          }
          pending.push(new PayloadValue(value, field.getKey(), -1, field.getValue()));
        }
      }
    }
  }

  /**
   * A value met in a payload, with the way to it from the payload's root: the field {@code
   * name} of its parent, or else element {@code index} (the root: its name and no parent).
   */
  private record PayloadValue(PayloadValue parent, String name, int index, JsonNode node) {
    String path() {
      Deque<String> steps = new ArrayDeque<>();
      for (PayloadValue at = this; at != null; at = at.parent) {
        steps.push(at.parent == null ? at.name
            : at.name != null ? "." + at.name : "[" + at.index + "]");
      }
      return String.join("", steps);
    }
  }

  static Map<String, String> metadata(Map<String, String> metadata) {
    if (metadata == null || metadata.isEmpty()) {
      return Map.of();
    }
    long reserved = RESERVED_METADATA_KEYS.stream().filter(metadata::containsKey).count();
    if (metadata.size() - reserved > MAX_METADATA_ENTRIES) {
      throw new ValidationException(
          "metadata", "at most " + MAX_METADATA_ENTRIES + " entries are allowed");
    }
    metadata.forEach(
        (k, v) -> {
          if (k == null || k.isEmpty() || k.length() > MAX_METADATA_KEY_LENGTH) {
            throw new ValidationException(
                "metadata", "keys must be 1-" + MAX_METADATA_KEY_LENGTH + " characters");
          }
          // a bad key is reported on "metadata": the field named must stay writable
          text("metadata", k);
          if (v == null || v.length() > MAX_METADATA_VALUE_LENGTH) {
            throw new ValidationException(
                "metadata." + k, "must be a string of at most " + MAX_METADATA_VALUE_LENGTH);
          }
          text("metadata." + k, v);
        });
    return Map.copyOf(metadata);
  }
}
