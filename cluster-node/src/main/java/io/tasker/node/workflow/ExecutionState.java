package io.tasker.node.workflow;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.tasker.node.WorkflowDefinition;
import io.tasker.node.WorkflowExecution;
import io.tasker.node.WorkflowExecution.StepStatus;
import io.tasker.node.WorkflowStatus;
import io.tasker.node.workflow.WorkflowExecutionEntity.Ended;
import io.tasker.node.workflow.WorkflowExecutionEntity.Event;
import io.tasker.node.workflow.WorkflowExecutionEntity.JobCreated;
import io.tasker.node.workflow.WorkflowExecutionEntity.JobEnded;
import io.tasker.node.workflow.WorkflowExecutionEntity.JobScheduled;
import io.tasker.node.workflow.WorkflowExecutionEntity.Retried;
import io.tasker.node.workflow.WorkflowExecutionEntity.Started;
import io.tasker.node.workflow.WorkflowExecutionEntity.StepFailed;
import io.tasker.node.workflow.WorkflowExecutionEntity.StepStarted;
import io.tasker.node.workflow.WorkflowExecutionEntity.StepSucceeded;
import io.tasker.node.workflow.WorkflowExecutionEntity.Stopping;
import io.tasker.protocol.TaskId;
import io.tasker.protocol.TaskerSerializable;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The state of a {@link WorkflowExecutionEntity}, a pure value: the definition it started with,
 * each step, each task run for it ({@link Job}), and the decisions ({@link #next}, {@link
 * #onJobEnded}) as events. Steps and jobs are kept in maps in insertion order.
 *
 * @param cause while COMPENSATING: why it stops (FAILED, TIMED_OUT or CANCELLED)
 * @param round how many times it was retried; part of every job's key
 * @param completions how many steps have succeeded, to order compensations
 */
public record ExecutionState(
    String id,
    WorkflowDefinition definition,
    JsonNode input,
    WorkflowStatus status,
    WorkflowStatus cause,
    String error,
    Instant startedAt,
    Instant endedAt,
    Instant deadline,
    int round,
    Map<String, StepState> steps,
    Map<String, Job> jobs,
    int completions)
    implements TaskerSerializable {

  /** @param completedAs the order in which it succeeded (1 first), 0 if it has not */
  public record StepState(String name, StepStatus status, JsonNode input, int elements,
      JsonNode output, String error, Instant startedAt, Instant endedAt, int completedAs)
      implements TaskerSerializable {
    StepState pending() {
      return new StepState(name, StepStatus.PENDING, null, -1, null, null, null, null, 0);
    }
  }

  /** One task of a step (an element's attempt) or of a compensation ({@code element < 0}). */
  public record Job(String key, String step, int element, int attempt, int round, JsonNode input,
      Instant runAt, TaskId task, StepStatus status, JsonNode output, String errorType,
      String error, int taskAttempts, Instant startedAt, Instant endedAt)
      implements TaskerSerializable {}

  public static ExecutionState empty(String id) {
    return new ExecutionState(id, null, null, WorkflowStatus.RUNNING, null, null, null, null,
        null, 0, Map.of(), Map.of(), 0);
  }

  public boolean started() {
    return definition != null;
  }

  /** @return whether a compensation ran in the current round */
  public boolean compensated() {
    return jobs.values().stream().anyMatch(j -> j.element() < 0 && j.round() == round);
  }

  // Decisions

  /** @return what happens now: steps to start, tasks to schedule, the end; none to wait */
  public List<Event> next(Instant now) {
    Decision d = new Decision(this);
    if (status == WorkflowStatus.RUNNING) {
      d.state.run(now, d);
    } else if (status == WorkflowStatus.COMPENSATING) {
      d.state.compensate(now, d);
    }
    return d.events;
  }

  /** The events of a task's end: the job's, then its step's (retry, success or failure). */
  public List<Event> onJobEnded(JobEnded ended) {
    Decision d = new Decision(this);
    d.add(ended);
    Job job = d.state.jobs.get(ended.key());
    if (job.element() < 0) {
      return d.events;
    }
    WorkflowDefinition.Step step = definition.step(job.step());
    StepState stepState = d.state.steps.get(job.step());
    if (stepState.status() != StepStatus.RUNNING || job.round() != round) {
      return d.events;
    }
    if (!ended.succeeded()) {
      if (status != WorkflowStatus.RUNNING && "cancelled".equals(ended.errorType())) {
        return d.events; // stopped by the execution itself: the step ends CANCELLED
      }
      if (status == WorkflowStatus.RUNNING && !step.retryOn().isEmpty()
          && !"cancelled".equals(ended.errorType()) && step.retries(ended.errorType())
          && job.attempt() < step.attemptsWithRetryOn()) {
        Instant runAt = step.backoff() == null ? null
            : ended.at().plus(step.backoff().withoutJitter().delayBefore(job.attempt(), () -> 0));
        d.add(new JobScheduled(key(step.name(), job.element(), job.attempt() + 1), step.name(),
            job.element(), job.attempt() + 1, round, job.input(), runAt, ended.at()));
      } else {
        d.add(new StepFailed(step.name(), (job.element() > 0 || stepState.elements() >= 0
            ? "element " + job.element() + ": " : "") + ended.errorType() + ": "
            + ended.error(), ended.at()));
      }
      return d.events;
    }
    List<Job> done = d.state.jobsOf(step.name()).stream()
        .filter(j -> j.status() == StepStatus.SUCCEEDED).toList();
    int needed = Math.max(1, stepState.elements());
    if (stepState.elements() == 0 || done.size() < needed) {
      return d.events;
    }
    JsonNode output;
    if (stepState.elements() < 0) {
      output = ended.output();
    } else {
      ArrayNode outputs = JsonNodeFactory.instance.arrayNode();
      done.stream().sorted(Comparator.comparingInt(Job::element))
          .forEach(j -> outputs.add(j.output() == null ? JsonNodeFactory.instance.nullNode()
              : j.output()));
      output = outputs;
    }
    d.add(new StepSucceeded(step.name(), output, ended.at()));
    return d.events;
  }

  private void run(Instant now, Decision d) {
    if (deadline != null && !now.isBefore(deadline)) {
      d.add(new Stopping(WorkflowStatus.TIMED_OUT,
          "timed out after " + definition.timeout(), now));
      return;
    }
    for (StepState step : steps.values()) {
      if (step.status() == StepStatus.FAILED) {
        d.add(new Stopping(WorkflowStatus.FAILED,
            "step '" + step.name() + "' failed: " + step.error(), now));
        return;
      }
    }
    if (steps.values().stream().allMatch(s -> s.status() == StepStatus.SUCCEEDED
        || s.status() == StepStatus.SKIPPED)) {
      d.add(new Ended(WorkflowStatus.SUCCEEDED, null, now));
      return;
    }
    for (WorkflowDefinition.Step step : definition.steps()) {
      StepState state = d.state.steps.get(step.name());
      if (state.status() == StepStatus.PENDING && step.dependsOn().stream().allMatch(dep ->
          d.state.steps.get(dep).status() == StepStatus.SUCCEEDED
              || d.state.steps.get(dep).status() == StepStatus.SKIPPED)) {
        start(step, now, d);
      }
      if (d.state.steps.get(step.name()).status() == StepStatus.RUNNING) {
        d.state.scheduleElements(step, now, d);
      }
    }
  }

  private void start(WorkflowDefinition.Step step, Instant now, Decision d) {
    Templates.Scope scope = scope(null);
    try {
      if (step.forEach() == null) {
        d.add(new StepStarted(step.name(), Templates.render(step.input(), scope), -1, now));
        return;
      }
      JsonNode list = Templates.render(com.fasterxml.jackson.databind.node.TextNode.valueOf(
          step.forEach()), scope);
      if (!list.isArray()) {
        d.add(new StepFailed(step.name(), "forEach: '" + step.forEach()
            + "' is not a list but " + list.getNodeType(), now));
        return;
      }
      ArrayNode inputs = JsonNodeFactory.instance.arrayNode();
      for (JsonNode item : list) {
        inputs.add(Templates.render(step.input(), scope(item)));
      }
      d.add(new StepStarted(step.name(), inputs, inputs.size(), now));
      if (inputs.isEmpty()) {
        d.add(new StepSucceeded(step.name(), JsonNodeFactory.instance.arrayNode(), now));
      }
    } catch (Templates.TemplateException missing) {
      d.add(new StepFailed(step.name(), "input: " + missing.getMessage(), now));
    }
  }

  /** Schedules the step's next elements (its only task for a plain step) up to parallelism. */
  private void scheduleElements(WorkflowDefinition.Step step, Instant now, Decision d) {
    StepState state = steps.get(step.name());
    List<Job> mine = jobsOf(step.name());
    long running = mine.stream().filter(j -> j.status() == StepStatus.RUNNING).count();
    int started = (int) mine.stream().mapToInt(Job::element).distinct().count();
    int total = Math.max(1, state.elements());
    for (int element = started; element < total && running < step.parallelism(); element++) {
      JsonNode input = state.elements() < 0 ? state.input() : state.input().get(element);
      d.add(new JobScheduled(key(step.name(), element, 1), step.name(), element, 1, round,
          input, null, now));
      running++;
    }
  }

  private void compensate(Instant now, Decision d) {
    if (jobs.values().stream().anyMatch(j -> j.element() >= 0
        && j.status() == StepStatus.RUNNING)) {
      return; // cancelled, ending
    }
    List<StepState> done = steps.values().stream()
        .filter(s -> s.status() == StepStatus.SUCCEEDED
            && definition.step(s.name()).compensation() != null)
        .sorted(Comparator.comparingInt(StepState::completedAs).reversed())
        .toList();
    for (StepState step : done) {
      Job job = jobs.get(compensationKey(step.name()));
      if (job == null) {
        try {
          Map<String, JsonNode> outputs = outputs();
          JsonNode input = Templates.render(
              definition.step(step.name()).compensation().input(),
              new Templates.Scope(this.input, outputs, null));
          d.add(new JobScheduled(compensationKey(step.name()), step.name(), -1, 1, round,
              input, null, now));
        } catch (Templates.TemplateException missing) {
          d.add(new Ended(WorkflowStatus.FAILED, error + "; compensation of step '"
              + step.name() + "' failed: input: " + missing.getMessage(), now));
        }
        return;
      }
      if (job.status() == StepStatus.RUNNING) {
        return;
      }
      if (job.status() == StepStatus.FAILED) {
        d.add(new Ended(WorkflowStatus.FAILED, error + "; compensation of step '"
            + step.name() + "' failed: " + job.errorType() + ": " + job.error(), now));
        return;
      }
    }
    WorkflowStatus end = cause != WorkflowStatus.FAILED ? cause
        : done.isEmpty() ? WorkflowStatus.FAILED : WorkflowStatus.COMPENSATED;
    d.add(new Ended(end, error, now));
  }

  private Templates.Scope scope(JsonNode item) {
    return new Templates.Scope(input, outputs(), item);
  }

  private Map<String, JsonNode> outputs() {
    Map<String, JsonNode> outputs = new LinkedHashMap<>();
    steps.values().stream().filter(s -> s.status() == StepStatus.SUCCEEDED && s.output() != null)
        .forEach(s -> outputs.put(s.name(), s.output()));
    return outputs;
  }

  private List<Job> jobsOf(String step) {
    return jobs.values().stream()
        .filter(j -> j.step().equals(step) && j.round() == round && j.element() >= 0).toList();
  }

  private String key(String step, int element, int attempt) {
    return "wf:" + id + ":" + round + ":" + step + ":" + element + ":" + attempt;
  }

  private String compensationKey(String step) {
    return "wf:" + id + ":" + round + ":compensate:" + step;
  }

  /** Collects events, applying each so later decisions see the earlier ones. */
  private static final class Decision {
    private ExecutionState state;
    private final List<Event> events = new ArrayList<>();

    Decision(ExecutionState state) {
      this.state = state;
    }

    void add(Event event) {
      events.add(event);
      state = state.apply(event);
    }
  }

  // Events applied

  public ExecutionState apply(Event event) {
    if (event instanceof WorkflowExecutionEntity.Indexed indexed) {
      return apply(indexed.event());
    } else if (event instanceof Started e) {
      Map<String, StepState> fresh = new LinkedHashMap<>();
      e.definition().steps().forEach(s -> fresh.put(s.name(), new StepState(s.name(),
          StepStatus.PENDING, null, -1, null, null, null, null, 0)));
      return new ExecutionState(id, e.definition(), e.input(), WorkflowStatus.RUNNING, null,
          null, e.at(), null, e.deadline(), 0, fresh, Map.of(), 0);
    } else if (event instanceof StepStarted e) {
      return withStep(new StepState(e.step(), StepStatus.RUNNING, e.input(), e.elements(), null,
          null, e.at(), null, 0));
    } else if (event instanceof StepSucceeded e) {
      StepState s = steps.get(e.step());
      StepState succeeded = new StepState(s.name(), StepStatus.SUCCEEDED, s.input(),
          s.elements(), e.output(), null, s.startedAt(), e.at(), completions + 1);
      return new ExecutionState(id, definition, input, status, cause, error, startedAt, endedAt,
          deadline, round, with(steps, e.step(), succeeded), jobs, completions + 1);
    } else if (event instanceof StepFailed e) {
      StepState s = steps.get(e.step());
      StepStatus failed = definition.step(e.step()).optional()
          ? StepStatus.SKIPPED : StepStatus.FAILED;
      return withStep(new StepState(s.name(), failed, s.input(), s.elements(), null, e.error(),
          s.startedAt() != null ? s.startedAt() : e.at(), e.at(), 0));
    } else if (event instanceof JobScheduled e) {
      return withJob(new Job(e.key(), e.step(), e.element(), e.attempt(), e.round(), e.input(),
          e.runAt(), null, StepStatus.RUNNING, null, null, null, 0, e.at(), null));
    } else if (event instanceof JobCreated e) {
      Job j = jobs.get(e.key());
      return withJob(new Job(j.key(), j.step(), j.element(), j.attempt(), j.round(), j.input(),
          j.runAt(), e.task(), j.status(), null, null, null, 0, j.startedAt(), null));
    } else if (event instanceof JobEnded e) {
      Job j = jobs.get(e.key());
      return withJob(new Job(j.key(), j.step(), j.element(), j.attempt(), j.round(), j.input(),
          j.runAt(), j.task(), e.succeeded() ? StepStatus.SUCCEEDED : StepStatus.FAILED,
          e.output(), e.errorType(), e.error(), e.taskAttempts(), j.startedAt(), e.at()));
    } else if (event instanceof Stopping e) {
      return new ExecutionState(id, definition, input, WorkflowStatus.COMPENSATING, e.cause(),
          e.error(), startedAt, endedAt, deadline, round, steps, jobs, completions);
    } else if (event instanceof Ended e) {
      Map<String, StepState> stopped = new LinkedHashMap<>();
      steps.forEach((name, s) -> stopped.put(name, s.status() == StepStatus.RUNNING
          ? new StepState(name, StepStatus.CANCELLED, s.input(), s.elements(), null, s.error(),
              s.startedAt(), e.at(), 0)
          : s));
      return new ExecutionState(id, definition, input, e.status(), cause, e.error(), startedAt,
          e.at(), deadline, round, stopped, jobs, completions);
    } else if (event instanceof Retried e) {
      Map<String, StepState> again = new LinkedHashMap<>();
      steps.forEach((name, s) -> again.put(name, s.status() == StepStatus.SUCCEEDED
          || s.status() == StepStatus.SKIPPED ? s : s.pending()));
      return new ExecutionState(id, definition, input, WorkflowStatus.RUNNING, null, null,
          startedAt, null, e.deadline(), round + 1, again, jobs, completions);
    }
    throw new IllegalArgumentException("unknown event " + event);
  }

  private ExecutionState withStep(StepState step) {
    return new ExecutionState(id, definition, input, status, cause, error, startedAt, endedAt,
        deadline, round, with(steps, step.name(), step), jobs, completions);
  }

  private ExecutionState withJob(Job job) {
    return new ExecutionState(id, definition, input, status, cause, error, startedAt, endedAt,
        deadline, round, steps, with(jobs, job.key(), job), completions);
  }

  private static <V> Map<String, V> with(Map<String, V> map, String key, V value) {
    Map<String, V> copy = new LinkedHashMap<>(map);
    copy.put(key, value);
    return copy;
  }

  // View

  public WorkflowExecution toView() {
    List<WorkflowExecution.StepRun> stepRuns = new ArrayList<>();
    for (StepState s : steps.values()) {
      List<Job> all = jobs.values().stream()
          .filter(j -> j.step().equals(s.name()) && j.element() >= 0).toList();
      stepRuns.add(new WorkflowExecution.StepRun(s.name(), s.status(),
          all.stream().mapToInt(Job::taskAttempts).sum(), s.input(), s.output(), s.error(),
          s.startedAt(), s.endedAt(),
          all.stream().map(Job::task).filter(java.util.Objects::nonNull).toList()));
    }
    List<WorkflowExecution.CompensationRun> trail = jobs.values().stream()
        .filter(j -> j.element() < 0)
        .map(j -> new WorkflowExecution.CompensationRun(j.step(), j.status(), j.taskAttempts(),
            j.input(), j.error(), j.startedAt(), j.endedAt(), j.task()))
        .toList();
    return new WorkflowExecution(id, definition.name(), definition.version(), status, input,
        error, startedAt, endedAt, stepRuns, trail);
  }
}
