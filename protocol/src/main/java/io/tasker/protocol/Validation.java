package io.tasker.protocol;

import java.time.Duration;
import java.util.Map;
import java.util.regex.Pattern;

/** The limits every request is checked against, in one place for the Java API and HTTP. */
public final class Validation {
  /** Queue names and task types: a letter or digit, then letters, digits or {@code _.-}. */
  public static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

  public static final int MIN_PRIORITY = -1000;
  public static final int MAX_PRIORITY = 1000;
  public static final int MAX_ATTEMPTS = 1000;
  public static final Duration MAX_TIMEOUT = Duration.ofHours(24);
  public static final int MAX_KEY_LENGTH = 256;
  public static final int MAX_METADATA_ENTRIES = 32;
  public static final int MAX_METADATA_KEY_LENGTH = 64;
  public static final int MAX_METADATA_VALUE_LENGTH = 1024;

  private Validation() {}

  /** The furthest ahead a task may be scheduled. */
  public static final Duration MAX_DELAY = Duration.ofDays(3650);

  /**
   * @return {@code now + delay}
   * @throws ValidationException naming {@code field} if the delay is negative or beyond {@link
   *     #MAX_DELAY}
   */
  public static java.time.Instant afterDelay(java.time.Instant now, Duration delay, String field) {
    if (delay.isNegative()) {
      throw new ValidationException(field, "must not be negative");
    }
    if (delay.compareTo(MAX_DELAY) > 0) {
      throw new ValidationException(field, "must be at most " + MAX_DELAY.toDays() + " days");
    }
    return now.plus(delay);
  }

  static String name(String field, String value) {
    if (value == null || !NAME.matcher(value).matches()) {
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
    return value;
  }

  static Map<String, String> metadata(Map<String, String> metadata) {
    if (metadata == null) {
      return Map.of();
    }
    if (metadata.size() > MAX_METADATA_ENTRIES) {
      throw new ValidationException(
          "metadata", "at most " + MAX_METADATA_ENTRIES + " entries are allowed");
    }
    metadata.forEach(
        (k, v) -> {
          if (k == null || k.isEmpty() || k.length() > MAX_METADATA_KEY_LENGTH) {
            throw new ValidationException(
                "metadata", "keys must be 1-" + MAX_METADATA_KEY_LENGTH + " characters");
          }
          if (v == null || v.length() > MAX_METADATA_VALUE_LENGTH) {
            throw new ValidationException(
                "metadata." + k, "must be a string of at most " + MAX_METADATA_VALUE_LENGTH);
          }
        });
    return Map.copyOf(metadata);
  }
}
