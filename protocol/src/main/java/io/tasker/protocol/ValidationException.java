package io.tasker.protocol;

/** A request field is missing, malformed or out of range. Nothing was stored. */
public final class ValidationException extends TaskerException {
  private final String field;
  private final String reason;

  /**
   * @param field the offending field, as a dotted path (e.g. {@code backoff.factor})
   * @param message what is wrong with it, in words a caller can act on
   */
  public ValidationException(String field, String message) {
    super(ErrorCode.VALIDATION_FAILED, field + ": " + message);
    this.field = field;
    this.reason = message;
  }

  /** @return the offending field */
  public String field() {
    return field;
  }

  /** @return what is wrong with the field, without the field's name */
  public String reason() {
    return reason;
  }
}
