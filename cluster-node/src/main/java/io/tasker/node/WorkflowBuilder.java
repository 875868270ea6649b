package io.tasker.node;

import com.fasterxml.jackson.databind.JsonNode;
import io.tasker.protocol.Backoff;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Builds a {@link WorkflowDefinition}:
 *
 * <pre>{@code
 * WorkflowDefinition orders = WorkflowDefinition.define("order-processing").version(1)
 *     .timeout(Duration.ofMinutes(30))
 *     .step("validate-order", s -> s.type("validate-order")
 *         .input(Map.of("orderId", "{{input.orderId}}")))
 *     .step("charge", s -> s.type("charge-card").dependsOn("validate-order")
 *         .input(Map.of("amount", "{{tasks.validate-order.output.amount}}"))
 *         .retry(3, Backoff.fixed(Duration.ofSeconds(1))).retryOn("TransientError")
 *         .compensate("refund-payment", Map.of("orderId", "{{input.orderId}}")))
 *     .build();
 * }</pre>
 */
public final class WorkflowBuilder {
  private final String name;
  private int version = 1;
  private Duration timeout;
  private final List<WorkflowDefinition.Step> steps = new ArrayList<>();

  WorkflowBuilder(String name) {
    this.name = name;
  }

  /** @param value the definition's version, at least 1 (default 1) */
  public WorkflowBuilder version(int value) {
    this.version = value;
    return this;
  }

  /** @param value the longest an execution may run; then it is compensated as TIMED_OUT */
  public WorkflowBuilder timeout(Duration value) {
    this.timeout = value;
    return this;
  }

  /**
   * Adds a step.
   *
   * @param name the step's name, unique in the workflow (letters, digits, {@code _-})
   * @param step describes the step; its type defaults to its name
   */
  public WorkflowBuilder step(String name, Consumer<StepBuilder> step) {
    StepBuilder builder = new StepBuilder(name);
    step.accept(builder);
    steps.add(builder.build());
    return this;
  }

  /** @return the definition, not yet checked: {@link Tasker#defineWorkflow} checks it */
  public WorkflowDefinition build() {
    return new WorkflowDefinition(name, version, timeout, steps);
  }

  /** Describes one step. */
  public static final class StepBuilder {
    private final String name;
    private String type;
    private JsonNode input;
    private final List<String> dependsOn = new ArrayList<>();
    private Integer maxAttempts;
    private Backoff backoff;
    private Duration timeout;
    private final List<String> retryOn = new ArrayList<>();
    private boolean optional;
    private String forEach;
    private int parallelism = 1;
    private WorkflowDefinition.Compensation compensation;

    private StepBuilder(String name) {
      this.name = name;
      this.type = name;
    }

    /** @param value the task type run for this step */
    public StepBuilder type(String value) {
      this.type = value;
      return this;
    }

    /** @param value the task type run for this step */
    public StepBuilder type(TaskType<?> value) {
      return type(value.name());
    }

    /**
     * @param template the task's payload: a value Jackson turns into JSON (a map, a record, a
     *     JsonNode) whose strings may hold {@code {{...}}} expressions
     */
    public StepBuilder input(Object template) {
      this.input = Json.MAPPER.valueToTree(template);
      return this;
    }

    /** @param steps steps that must succeed before this one starts */
    public StepBuilder dependsOn(String... steps) {
      dependsOn.addAll(List.of(steps));
      return this;
    }

    /**
     * @param attempts attempts of the step's task, at least 1 (default: the task type's)
     * @param delays the delay between them, or {@code null} for the type's default
     */
    public StepBuilder retry(int attempts, Backoff delays) {
      this.maxAttempts = attempts;
      this.backoff = delays;
      return this;
    }

    /**
     * Retries only errors of these types; any other error fails the step at once.
     *
     * @param errorTypes exception class names, simple ({@code TransientError}) or qualified
     */
    public StepBuilder retryOn(String... errorTypes) {
      retryOn.addAll(List.of(errorTypes));
      return this;
    }

    /** Retries only errors of these exception classes. */
    @SafeVarargs
    public final StepBuilder retryOn(Class<? extends Throwable>... errorTypes) {
      for (Class<? extends Throwable> type : errorTypes) {
        retryOn.add(type.getName());
      }
      return this;
    }

    /** @param value each attempt's timeout */
    public StepBuilder timeout(Duration value) {
      this.timeout = value;
      return this;
    }

    /** Makes a failure of this step not fail the workflow (its output is then null). */
    public StepBuilder optional() {
      this.optional = true;
      return this;
    }

    /**
     * Runs one task per element of a list; the step's output is the list of their outputs.
     *
     * @param listTemplate an expression giving a JSON array, e.g. {@code {{input.items}}}
     * @param maxParallel how many elements run at once, at least 1
     */
    public StepBuilder forEach(String listTemplate, int maxParallel) {
      this.forEach = listTemplate;
      this.parallelism = maxParallel;
      return this;
    }

    /** Compensates this step with a task of {@code type}, with the type's default attempts. */
    public StepBuilder compensate(String type, Object inputTemplate) {
      this.compensation = new WorkflowDefinition.Compensation(
          type, Json.MAPPER.valueToTree(inputTemplate), null, null);
      return this;
    }

    /**
     * Compensates this step with a task of {@code type}.
     *
     * @param inputTemplate its payload template; it may read this step's output
     * @param attempts its attempts, at least 1
     * @param delays the delay between them, or {@code null} for the type's default
     */
    public StepBuilder compensate(
        String type, Object inputTemplate, int attempts, Backoff delays) {
      this.compensation = new WorkflowDefinition.Compensation(
          type, Json.MAPPER.valueToTree(inputTemplate), attempts, delays);
      return this;
    }

    private WorkflowDefinition.Step build() {
      return new WorkflowDefinition.Step(name, type, input, dependsOn, maxAttempts, backoff,
          timeout, retryOn, optional, forEach, parallelism, compensation);
    }
  }
}
