package io.tasker.node;

/**
 * Thrown by a handler to fail its task without further attempts: the task goes straight to
 * {@code DEAD}. Use it for errors no retry can mend, such as invalid input.
 */
public class NonRetryableException extends RuntimeException {

  /** @param message why the task cannot succeed */
  public NonRetryableException(String message) {
    super(message);
  }

  /**
   * @param message why the task cannot succeed
   * @param cause the underlying error
   */
  public NonRetryableException(String message, Throwable cause) {
    super(message, cause);
  }
}
