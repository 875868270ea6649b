package io.tasker.node;

/**
 * Handlers packaged for the Tasker server: a jar dropped into the server's plugin directory
 * ({@code tasker.plugins.dir}, {@code TASKER_PLUGINS_DIR}, default {@code ./plugins}) is loaded
 * at start and its plugins register their handlers and queues on the server's builder.
 *
 * <p>The contract is {@link java.util.ServiceLoader}'s: a public class with a public no-argument
 * constructor, named in the jar's {@code META-INF/services/io.tasker.node.TaskerPlugin} (one
 * class name a line). Compile against {@code tasker-cluster-node} with scope {@code provided}:
 * the server brings Tasker, Pekko and Jackson; the jar holds only the plugin's own classes (and
 * its own libraries, as further jars in the same directory).
 *
 * <pre>{@code
 * public final class GreetingPlugin implements TaskerPlugin {
 *   public static final TaskType<Greeting> GREET = TaskType.of("greet", Greeting.class);
 *
 *   public void register(TaskerBuilder builder) {
 *     builder.handler(GREET, (greeting, ctx) -> "Hello, " + greeting.name());
 *   }
 * }
 * }</pre>
 */
public interface TaskerPlugin {

  /**
   * Registers this plugin's handlers (and queue limits) on {@code builder}.
   *
   * @param builder the server's builder, before the node starts
   * @throws IllegalArgumentException when a task type is registered already (by another plugin)
   */
  void register(TaskerBuilder builder);
}
