package io.tasker.node.workflow;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tasker.node.WorkflowDefinition;
import io.tasker.protocol.Backoff;
import java.time.Duration;
import java.util.Locale;

/**
 * A definition in the declared format of {@link DeclaredWorkflows} as JSON: what {@link
 * DeclaredWorkflows#fromJson} reads back into an equal definition.
 */
public final class WorkflowJson {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private WorkflowJson() {}

  /** @return {@code {version, timeout?, tasks: [...], error_handling?}} */
  public static ObjectNode write(WorkflowDefinition definition) {
    ObjectNode json = NODES.objectNode();
    json.put("version", definition.version());
    if (definition.timeout() != null) {
      json.put("timeout", duration(definition.timeout()));
    }
    ArrayNode tasks = json.putArray("tasks");
    ArrayNode actions = NODES.arrayNode();
    for (WorkflowDefinition.Step step : definition.steps()) {
      ObjectNode task = tasks.addObject();
      task.put("name", step.name());
      task.put("type", step.type());
      if (step.input() != null) {
        task.set("input", step.input());
      }
      if (!step.dependsOn().isEmpty()) {
        step.dependsOn().forEach(task.putArray("depends_on")::add);
      }
      if (step.maxAttempts() != null || step.backoff() != null) {
        ObjectNode retry = task.putObject("retry");
        if (step.maxAttempts() != null) {
          retry.put("max_attempts", step.maxAttempts());
        }
        if (step.backoff() != null) {
          retry.set("backoff", backoff(step.backoff()));
        }
      }
      if (step.timeout() != null) {
        task.put("timeout", duration(step.timeout()));
      }
      if (!step.retryOn().isEmpty()) {
        step.retryOn().forEach(task.putObject("error_handling").putArray("retry_on")::add);
      }
      if (step.optional()) {
        task.put("optional", true);
      }
      if (step.forEach() != null) {
        task.put("for_each", step.forEach());
      }
      if (step.parallelism() != 1) {
        task.put("parallelism", step.parallelism());
      }
      WorkflowDefinition.Compensation undo = step.compensation();
      if (undo != null) {
        ObjectNode action = actions.addObject();
        action.put("task", step.name());
        action.put("type", undo.type());
        if (undo.input() != null) {
          action.set("input", undo.input());
        }
        if (undo.maxAttempts() != null) {
          action.put("max_attempts", undo.maxAttempts());
        }
        if (undo.backoff() != null) {
          action.set("backoff", backoff(undo.backoff()));
        }
      }
    }
    if (!actions.isEmpty()) {
      ObjectNode handling = json.putObject("error_handling");
      handling.put("type", "compensating_actions");
      handling.set("actions", actions);
    }
    return json;
  }

  private static ObjectNode backoff(Backoff backoff) {
    ObjectNode json = NODES.objectNode();
    json.put("type", backoff.kind().name().toLowerCase(Locale.ROOT));
    json.put("initial", duration(backoff.initialDelay()));
    switch (backoff.kind()) {
      case LINEAR -> json.put("step", duration(Duration.ofMillis(
          Math.round(backoff.initialDelay().toMillis() * backoff.factor()))));
      case EXPONENTIAL -> json.put("factor", backoff.factor());
      default -> { }
    }
    if (backoff.kind() != Backoff.Kind.FIXED && backoff.maxDelay() != null) {
      json.put("max", duration(backoff.maxDelay()));
    }
    return json;
  }

  /** @return a HOCON duration: the largest whole unit of h, m, s, ms */
  static String duration(Duration d) {
    long ms = d.toMillis();
    if (ms != 0 && ms % 3_600_000 == 0) {
      return ms / 3_600_000 + "h";
    }
    if (ms != 0 && ms % 60_000 == 0) {
      return ms / 60_000 + "m";
    }
    if (ms % 1000 == 0) {
      return ms / 1000 + "s";
    }
    return ms + "ms";
  }
}
