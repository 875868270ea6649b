package io.tasker.protocol;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The identity of a task: its type and a UUID, {@code <type>:<uuid>}. The UUID is time-ordered
 * for ordinary tasks (see {@link #random}) and derived from the queue and idempotency key
 * otherwise, so a repeated enqueue reaches the same task. The type lets the cluster place a task
 * on a node that has its handler from the id alone.
 *
 * @param value the canonical string form
 */
public record TaskId(@JsonValue String value) implements TaskerSerializable {
  private static final char TYPE_SEPARATOR = ':';
  private static final int MAX_LENGTH = 128;

  /** @throws ValidationException if {@code value} is not a well-formed id */
  public TaskId {
    if (!wellFormed(value)) {
      throw new ValidationException("id", "must be 1-128 letters, digits or '_.:-'");
    }
  }

  // [A-Za-z0-9][A-Za-z0-9_.:-]{0,127}, by hand: every message and index row passes through here
  private static boolean wellFormed(String value) {
    if (value == null || value.isEmpty() || value.length() > MAX_LENGTH) {
      return false;
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      boolean alphanumeric =
          (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
      if (!alphanumeric && (i == 0 || (c != '_' && c != '.' && c != ':' && c != '-'))) {
        return false;
      }
    }
    return true;
  }

  /**
   * @param value the id's string form
   * @return the id
   * @throws ValidationException if {@code value} is not a well-formed id
   */
  @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
  public static TaskId of(String value) {
    return new TaskId(value);
  }

  /**
   * A new id whose UUID is time-ordered (version 7 of RFC 9562): the milliseconds since the
   * epoch, then 74 random bits. Ids made in later milliseconds sort after earlier ones, as
   * strings too, so the journal's and the index's B-trees take new tasks near their ends. The
   * random bits are not for secrets: unique, not unguessable.
   *
   * @param type the task's type
   * @return a new id
   */
  public static TaskId random(String type) {
    return new TaskId(type + TYPE_SEPARATOR + timeOrderedUuid(System.currentTimeMillis()));
  }

  // UUID.randomUUID() draws from one synchronized SecureRandom: the enqueue's hot spot
  static UUID timeOrderedUuid(long epochMillis) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    long high = (epochMillis << 16) | 0x7000L | (random.nextInt() & 0xfffL);
    long low = (random.nextLong() & 0x3fffffffffffffffL) | 0x8000000000000000L;
    return new UUID(high, low);
  }

  /**
   * @param type the task's type
   * @param queue the task's queue
   * @param idempotencyKey the caller's idempotency key
   * @return the same id for the same type, queue and key, every time and on every node
   */
  public static TaskId forIdempotencyKey(String type, String queue, String idempotencyKey) {
    byte[] name = (queue + '\u0000' + idempotencyKey).getBytes(StandardCharsets.UTF_8);
    return new TaskId(type + TYPE_SEPARATOR + UUID.nameUUIDFromBytes(name));
  }

  /** @return the task type this id names, or {@code null} for an id without one */
  public String type() {
    return typeOf(value);
  }

  /**
   * The type named by an id's string form, without validating it (for routing, where the id
   * was validated when it was made).
   *
   * @return the type, or {@code null} for an id without one
   */
  public static String typeOf(String value) {
    int separator = value.indexOf(TYPE_SEPARATOR);
    return separator > 0 ? value.substring(0, separator) : null;
  }

  @Override
  public String toString() {
    return value;
  }
}
