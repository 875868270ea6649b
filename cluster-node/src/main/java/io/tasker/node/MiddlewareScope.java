package io.tasker.node;

import io.tasker.protocol.TaskSpec;
import java.util.Set;

/**
 * Which tasks a {@link TaskMiddleware} applies to: all, or those of some queues, some task
 * types, or both (a task must then match both).
 *
 * @param queues the queues, or empty for any
 * @param types the task types, or empty for any
 */
public record MiddlewareScope(Set<String> queues, Set<String> types) {
  public MiddlewareScope {
    queues = Set.copyOf(queues);
    types = Set.copyOf(types);
  }

  /** @return the scope of every task */
  public static MiddlewareScope all() {
    return new MiddlewareScope(Set.of(), Set.of());
  }

  /** @return the scope of the tasks in these queues */
  public static MiddlewareScope queues(String... queues) {
    return new MiddlewareScope(Set.of(queues), Set.of());
  }

  /** @return the scope of the tasks of these types */
  public static MiddlewareScope types(String... types) {
    return new MiddlewareScope(Set.of(), Set.of(types));
  }

  /** @return this scope, narrowed to the tasks of these types */
  public MiddlewareScope andTypes(String... types) {
    return new MiddlewareScope(queues, Set.of(types));
  }

  /** @return whether {@code task} is in this scope */
  public boolean covers(TaskSpec task) {
    return (queues.isEmpty() || queues.contains(task.queue()))
        && (types.isEmpty() || types.contains(task.type()));
  }
}
