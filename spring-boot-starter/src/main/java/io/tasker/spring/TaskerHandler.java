package io.tasker.spring;

import io.tasker.node.HandlerOptions;
import io.tasker.node.TaskHandler;
import io.tasker.node.TaskType;

/**
 * A Spring bean that handles one task type. Every bean implementing it is registered with the
 * node before it starts:
 *
 * <pre>{@code
 * @Component
 * class SendEmail implements TaskerHandler<Email> {
 *   static final TaskType<Email> TYPE = TaskType.of("send-email", Email.class);
 *
 *   public TaskType<Email> type() { return TYPE; }
 *
 *   public Object handle(Email email, TaskContext context) { ...; return null; }
 * }
 * }</pre>
 *
 * A handler that enqueues further tasks takes the node as {@code @Lazy Tasker}: the node is
 * built from the handlers, so it cannot be injected into one eagerly.
 *
 * @param <P> the payload type
 */
public interface TaskerHandler<P> extends TaskHandler<P> {

  /** @return the task type this bean handles */
  TaskType<P> type();

  /**
   * Sets this handler's defaults ({@code options.maxAttempts(5).queue("emails")}); by default
   * those of {@code tasker.defaults}.
   *
   * @param options the options to change
   */
  default void options(HandlerOptions options) {}
}
