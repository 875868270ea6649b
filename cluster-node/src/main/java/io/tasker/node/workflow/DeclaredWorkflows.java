package io.tasker.node.workflow;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigRenderOptions;
import io.tasker.node.WorkflowDefinition;
import io.tasker.node.WorkflowDefinitionException;
import io.tasker.protocol.Backoff;
import io.tasker.protocol.ValidationException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Workflows declared in the configuration (HOCON or YAML) under {@code tasker.workflows}, defined
 * at every start. Keys may be written {@code depends_on} or {@code depends-on}:
 *
 * <pre>
 * tasker.workflows.order-processing {
 *   version = 1, timeout = 30m
 *   tasks = [
 *     { name = validate-order, input { order_id = "{{input.order_id}}" },
 *       retry { max_attempts = 3, backoff { type = linear, initial = 1s, step = 1s } } }
 *     { name = process-payment, type = charge-card, depends_on = [validate-order],
 *       error_handling { retry_on = [TransientError], max_attempts = 3 } }
 *   ]
 *   error_handling { type = compensating_actions, actions = [
 *     { task = process-payment, type = refund-payment, input { order_id = "{{input.order_id}}" } }
 *   ] }
 * }
 * </pre>
 */
public final class DeclaredWorkflows {
  private static final ObjectMapper JSON = new ObjectMapper();

  private DeclaredWorkflows() {}

  /**
   * @param section the {@code tasker.workflows} section
   * @return the declared definitions, not yet checked against the task types
   * @throws IllegalArgumentException naming the setting at fault
   */
  public static List<WorkflowDefinition> read(Config section) {
    List<WorkflowDefinition> declared = new ArrayList<>();
    for (String name : new java.util.TreeSet<>(section.root().keySet())) {
      String path = "tasker.workflows." + name;
      try {
        declared.add(definition(name, section.getConfig("\"" + name + "\"")));
      } catch (ConfigException | java.io.IOException | ValidationException e) {
        throw new IllegalArgumentException(path + ": " + e.getMessage(), e);
      } catch (WorkflowDefinitionException invalid) {
        throw new IllegalArgumentException(path + "." + invalid.field() + ": "
            + invalid.reason(), invalid);
      }
    }
    return declared;
  }

  /**
   * Reads one definition written in the declared format as JSON (what {@link WorkflowJson}
   * writes).
   *
   * @throws WorkflowDefinitionException naming the field at fault
   */
  public static WorkflowDefinition fromJson(String name, JsonNode json) {
    if (json == null || !json.isObject()) {
      throw new WorkflowDefinitionException(null, "definition", "must be a JSON object");
    }
    try {
      return definition(name,
          com.typesafe.config.ConfigFactory.parseString(JSON.writeValueAsString(json)));
    } catch (ConfigException e) {
      throw new WorkflowDefinitionException(null, "definition", e.getMessage()
          .replaceFirst("^String: \\d+: ", ""));
    } catch (java.io.IOException | ValidationException e) {
      throw new WorkflowDefinitionException(null, e instanceof ValidationException invalid
          ? invalid.field() : "definition", e.getMessage());
    }
  }

  private static WorkflowDefinition definition(String name, Config c)
      throws java.io.IOException {
    Map<String, WorkflowDefinition.Compensation> compensations = new HashMap<>();
    Config handling = config(c, "error_handling");
    if (handling != null && has(handling, "actions")) {
      for (Config action : handling.getConfigList("actions")) {
        compensations.put(action.getString("task"), new WorkflowDefinition.Compensation(
            action.getString("type"), json(action, "input"), intOr(action, "max_attempts", null),
            has(action, "backoff") ? backoff(config(action, "backoff")) : null));
      }
    }
    List<WorkflowDefinition.Step> steps = new ArrayList<>();
    String stepsKey = has(c, "tasks") ? "tasks" : "steps";
    for (Config s : has(c, stepsKey) ? c.getConfigList(stepsKey) : List.<Config>of()) {
      String step = s.getString("name");
      Config retry = config(s, "retry");
      Config errors = config(s, "error_handling");
      Integer attempts = errors != null && has(errors, "max_attempts")
          ? intOr(errors, "max_attempts", null)
          : retry != null ? intOr(retry, "max_attempts", null) : null;
      Backoff backoff = retry != null && has(retry, "backoff")
          ? backoff(config(retry, "backoff")) : null;
      steps.add(new WorkflowDefinition.Step(step, has(s, "type") ? s.getString("type") : step,
          json(s, "input"), has(s, "depends_on") ? list(s, "depends_on") : List.of(),
          attempts, backoff, has(s, "timeout") ? duration(s, "timeout") : null,
          errors != null && has(errors, "retry_on") ? list(errors, "retry_on") : List.of(),
          has(s, "optional") && s.getBoolean(key(s, "optional")),
          has(s, "for_each") ? s.getString(key(s, "for_each")) : null,
          intOr(s, "parallelism", 1), compensations.remove(step)));
    }
    if (!compensations.isEmpty()) {
      String unknown = compensations.keySet().iterator().next();
      throw new WorkflowDefinitionException(unknown, "compensation",
          "error_handling.actions names task '" + unknown + "', which is not a step");
    }
    return new WorkflowDefinition(name, intOr(c, "version", 1),
        has(c, "timeout") ? duration(c, "timeout") : null, steps);
  }

  private static Backoff backoff(Config b) {
    String type = has(b, "type") ? b.getString("type").toUpperCase(Locale.ROOT) : "FIXED";
    Duration initial = has(b, "initial") ? duration(b, "initial") : Duration.ofSeconds(1);
    Duration max = has(b, "max") ? duration(b, "max")
        : initial.compareTo(Duration.ofHours(1)) > 0 ? initial : Duration.ofHours(1);
    return switch (type) {
      case "FIXED" -> Backoff.fixed(initial);
      // initial + step × (retry − 1) is initial × (1 + step/initial × (retry − 1))
      case "LINEAR" -> new Backoff(Backoff.Kind.LINEAR, initial,
          has(b, "step") && !initial.isZero()
              ? (double) duration(b, "step").toMillis() / initial.toMillis() : 1.0,
          max, Backoff.DEFAULT_JITTER);
      case "EXPONENTIAL" -> Backoff.exponential(initial,
          has(b, "factor") ? b.getDouble("factor") : 2.0, max);
      default -> throw new ValidationException("backoff.type",
          "'" + type.toLowerCase(Locale.ROOT) + "' is not one of fixed, linear, exponential");
    };
  }

  /** @return the key as written: snake_case or kebab-case */
  private static String key(Config c, String snake) {
    return c.hasPath(snake) ? snake : snake.replace('_', '-');
  }

  private static boolean has(Config c, String snake) {
    return c.hasPath(snake) || c.hasPath(snake.replace('_', '-'));
  }

  private static Config config(Config c, String snake) {
    return has(c, snake) ? c.getConfig(key(c, snake)) : null;
  }

  private static Integer intOr(Config c, String snake, Integer otherwise) {
    return has(c, snake) ? Integer.valueOf(c.getInt(key(c, snake))) : otherwise;
  }

  private static Duration duration(Config c, String snake) {
    return c.getDuration(key(c, snake));
  }

  private static List<String> list(Config c, String snake) {
    return c.getStringList(key(c, snake));
  }

  private static JsonNode json(Config c, String snake) throws java.io.IOException {
    return has(c, snake)
        ? JSON.readTree(c.getValue(key(c, snake)).render(ConfigRenderOptions.concise()))
        : null;
  }
}
