package io.tasker.node;

import io.tasker.protocol.ValidationException;
import java.util.Objects;

/**
 * A typed descriptor of one kind of task: its name and payload class. Declare it once as a
 * constant and use it to register the handler and to enqueue:
 *
 * <pre>{@code
 * static final TaskType<Email> SEND_EMAIL = TaskType.of("send-email", Email.class);
 * tasker.enqueue(SEND_EMAIL.with(new Email("a@b.c", "hi")).delay(Duration.ofMinutes(5)));
 * }</pre>
 *
 * @param <P> the payload type
 */
public final class TaskType<P> {
  private final String name;
  private final Class<P> payloadClass;

  private TaskType(String name, Class<P> payloadClass) {
    this.name = name;
    this.payloadClass = Objects.requireNonNull(payloadClass, "payloadClass");
  }

  /**
   * @param name the type's name (letters, digits, {@code _.-}, up to 64)
   * @param payloadClass the class the JSON payload decodes into
   * @return the descriptor
   * @throws ValidationException if the name is malformed
   */
  public static <P> TaskType<P> of(String name, Class<P> payloadClass) {
    if (!io.tasker.protocol.Validation.isName(name)) {
      throw new ValidationException("type", "must be 1-64 letters, digits or '_.-'");
    }
    return new TaskType<>(name, payloadClass);
  }

  /** @return the type's name */
  public String name() {
    return name;
  }

  /** @return the payload class */
  public Class<P> payloadClass() {
    return payloadClass;
  }

  /**
   * @param payload the task's input
   * @return a request to enqueue a task of this type, to refine with runAt, priority and so on
   */
  public TaskRequest<P> with(P payload) {
    return new TaskRequest<>(this, payload, null);
  }

  @Override
  public String toString() {
    return name;
  }
}
