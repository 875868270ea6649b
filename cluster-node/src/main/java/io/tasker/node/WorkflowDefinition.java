package io.tasker.node;

import com.fasterxml.jackson.databind.JsonNode;
import io.tasker.node.workflow.Templates;
import io.tasker.protocol.Backoff;
import io.tasker.protocol.TaskerSerializable;
import io.tasker.protocol.Validation;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A workflow: a named, versioned DAG of steps, each run as a Tasker task. Made by {@link
 * #define(String)}; checked by {@link Tasker#defineWorkflow(WorkflowDefinition)} against the
 * node's task types. An execution keeps the definition it started with, whatever is defined
 * later.
 *
 * @param timeout the longest an execution may run before it is stopped and compensated, or
 *     {@code null} for no limit
 * @param steps in the order written; the order of execution follows {@code dependsOn} only
 */
public record WorkflowDefinition(String name, int version, Duration timeout, List<Step> steps)
    implements TaskerSerializable {

  /** The attempts of a step with {@code retryOn} and no {@code maxAttempts}. */
  public static final int DEFAULT_ATTEMPTS = 3;

  public WorkflowDefinition {
    steps = steps == null ? List.of() : List.copyOf(steps);
  }

  /**
   * @param name the workflow's name (1-64 letters, digits or {@code _.-})
   * @return a builder of its definition
   */
  public static WorkflowBuilder define(String name) {
    return new WorkflowBuilder(name);
  }

  /**
   * One step.
   *
   * @param type the task type run for it
   * @param input the task's payload: a JSON template (see the README's Workflows section)
   * @param maxAttempts attempts of its task (of each element's task), at least 1; {@code null}
   *     for the task type's default ({@code tasker.handlers.defaults.max-attempts}, or {@value
   *     #DEFAULT_ATTEMPTS} with {@code retryOn})
   * @param backoff the delay between attempts, or {@code null} for the type's default
   * @param timeout each attempt's timeout, or {@code null} for the type's default
   * @param retryOn when not empty, only errors of these types are retried (exception class
   *     names, simple or qualified); any other error fails the step at once
   * @param optional a failure of this step does not fail the workflow: its output is then
   *     {@code null} and its dependents run
   * @param forEach when set, a template giving a JSON array: one task runs per element (the
   *     element is {@code {{item}}} in {@code input}) and the step's output is the array of
   *     their outputs, in the elements' order
   * @param parallelism how many elements' tasks run at once, at least 1
   * @param compensation run, in reverse order of completion, when the workflow fails after this
   *     step succeeded; or {@code null}
   */
  public record Step(
      String name,
      String type,
      JsonNode input,
      List<String> dependsOn,
      Integer maxAttempts,
      Backoff backoff,
      Duration timeout,
      List<String> retryOn,
      boolean optional,
      String forEach,
      int parallelism,
      Compensation compensation)
      implements TaskerSerializable {

    public Step {
      dependsOn = dependsOn == null ? List.of() : List.copyOf(dependsOn);
      retryOn = retryOn == null ? List.of() : List.copyOf(retryOn);
    }

    /** @return the attempts the workflow gives the step when it retries (with retryOn) */
    public int attemptsWithRetryOn() {
      return maxAttempts == null ? DEFAULT_ATTEMPTS : maxAttempts;
    }

    /** @return whether an error of class {@code errorType} (a class name) may be retried */
    public boolean retries(String errorType) {
      if (retryOn.isEmpty()) {
        return true;
      }
      String simple = errorType == null ? "" : errorType.substring(
          Math.max(errorType.lastIndexOf('.'), errorType.lastIndexOf('$')) + 1);
      return retryOn.contains(errorType) || retryOn.contains(simple);
    }
  }

  /**
   * The undo of a step: a task run when the workflow fails (or times out, or is cancelled) after
   * the step succeeded.
   *
   * @param input a template; it may read the step's own output ({@code
   *     {{tasks.<step>.output}}})
   * @param maxAttempts its attempts, or {@code null} for the task type's default
   */
  public record Compensation(String type, JsonNode input, Integer maxAttempts, Backoff backoff)
      implements TaskerSerializable {}

  /** @return the step named {@code name}, or {@code null} */
  public Step step(String name) {
    return steps.stream().filter(s -> s.name().equals(name)).findFirst().orElse(null);
  }

  /**
   * Checks the definition: names, dependencies, cycles, task types and templates.
   *
   * @param taskTypes the task types this node has handlers for
   * @return this definition
   * @throws WorkflowDefinitionException naming the first step at fault
   */
  public WorkflowDefinition validate(Set<String> taskTypes) {
    if (!Validation.isName(name)) {
      throw new WorkflowDefinitionException(null, "name",
          "must be 1-64 letters, digits or '_.-'");
    }
    if (version < 1) {
      throw new WorkflowDefinitionException(null, "version", "must be at least 1");
    }
    if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
      throw new WorkflowDefinitionException(null, "timeout", "must be positive");
    }
    if (steps.isEmpty()) {
      throw new WorkflowDefinitionException(null, "steps", "must have at least one step");
    }
    Map<String, Step> byName = new HashMap<>();
    for (Step step : steps) {
      if (step.name() == null || !step.name().matches("[A-Za-z0-9_-]{1,64}")) {
        throw new WorkflowDefinitionException(step.name(), "name",
            "must be 1-64 letters, digits, '_' or '-'");
      }
      if (byName.put(step.name(), step) != null) {
        throw new WorkflowDefinitionException(step.name(), "name", "is used by two steps");
      }
    }
    for (Step step : steps) {
      checkStep(step, byName, taskTypes);
    }
    checkCycles(byName);
    for (Step step : steps) {
      Set<String> upstream = upstreamOf(step.name(), byName);
      checkTemplate(step, "input", step.input(), upstream, step.forEach() != null);
      if (step.forEach() != null) {
        checkTemplate(step, "forEach", com.fasterxml.jackson.databind.node.TextNode.valueOf(
            step.forEach()), upstream, false);
      }
      if (step.compensation() != null) {
        Set<String> readable = new HashSet<>(upstream);
        readable.add(step.name());
        checkTemplate(step, "compensation.input", step.compensation().input(), readable, false);
      }
    }
    return this;
  }

  private static void checkStep(Step step, Map<String, Step> byName, Set<String> taskTypes) {
    String at = step.name();
    if (step.type() == null || !taskTypes.contains(step.type())) {
      throw new WorkflowDefinitionException(at, "type",
          "no handler for task type '" + step.type() + "' on this node");
    }
    for (String dependency : step.dependsOn()) {
      if (!byName.containsKey(dependency)) {
        throw new WorkflowDefinitionException(at, "dependsOn",
            "unknown step '" + dependency + "'");
      }
    }
    if (step.maxAttempts() != null && step.maxAttempts() < 1) {
      throw new WorkflowDefinitionException(at, "maxAttempts", "must be at least 1");
    }
    if (step.parallelism() < 1) {
      throw new WorkflowDefinitionException(at, "parallelism", "must be at least 1");
    }
    if (step.timeout() != null && (step.timeout().isNegative() || step.timeout().isZero())) {
      throw new WorkflowDefinitionException(at, "timeout", "must be positive");
    }
    Compensation compensation = step.compensation();
    if (compensation != null) {
      if (compensation.type() == null || !taskTypes.contains(compensation.type())) {
        throw new WorkflowDefinitionException(at, "compensation.type",
            "no handler for task type '" + compensation.type() + "' on this node");
      }
      if (compensation.maxAttempts() != null && compensation.maxAttempts() < 1) {
        throw new WorkflowDefinitionException(at, "compensation.maxAttempts",
            "must be at least 1");
      }
    }
  }

  private void checkCycles(Map<String, Step> byName) {
    Map<String, Integer> marks = new HashMap<>(); // 1 = on the path, 2 = done
    for (Step step : steps) {
      visit(step.name(), byName, marks, new java.util.ArrayList<>());
    }
  }

  private static void visit(
      String name, Map<String, Step> byName, Map<String, Integer> marks, List<String> path) {
    Integer mark = marks.get(name);
    if (mark != null && mark == 2) {
      return;
    }
    if (mark != null) {
      List<String> cycle = new java.util.ArrayList<>(path.subList(path.indexOf(name),
          path.size()));
      cycle.add(name);
      throw new WorkflowDefinitionException(name, "dependsOn",
          "a cycle: " + String.join(" -> ", cycle));
    }
    marks.put(name, 1);
    path.add(name);
    for (String dependency : byName.get(name).dependsOn()) {
      visit(dependency, byName, marks, path);
    }
    path.remove(path.size() - 1);
    marks.put(name, 2);
  }

  /** @return the steps {@code name} depends on, directly or not */
  private static Set<String> upstreamOf(String name, Map<String, Step> byName) {
    Set<String> seen = new HashSet<>();
    List<String> todo = new java.util.ArrayList<>(byName.get(name).dependsOn());
    while (!todo.isEmpty()) {
      String next = todo.remove(todo.size() - 1);
      if (seen.add(next)) {
        todo.addAll(byName.get(next).dependsOn());
      }
    }
    return seen;
  }

  private static void checkTemplate(
      Step step, String field, JsonNode template, Set<String> upstream, boolean itemAllowed) {
    List<Templates.Reference> references;
    try {
      references = Templates.references(template);
    } catch (Templates.TemplateException bad) {
      throw new WorkflowDefinitionException(step.name(), field, bad.getMessage());
    }
    for (Templates.Reference reference : references) {
      if (reference.step() != null && !upstream.contains(reference.step())) {
        throw new WorkflowDefinitionException(step.name(), field, "'{{" + reference.text()
            + "}}' reads step '" + reference.step() + "', which is not upstream of this step"
            + " (add it to dependsOn)");
      }
      if ("item".equals(reference.root()) && !itemAllowed) {
        throw new WorkflowDefinitionException(step.name(), field, "'{{" + reference.text()
            + "}}': item is only defined in the input of a step with forEach");
      }
    }
  }
}
