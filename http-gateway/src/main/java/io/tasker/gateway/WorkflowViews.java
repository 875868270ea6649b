package io.tasker.gateway;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tasker.node.WorkflowDefinition;
import io.tasker.node.WorkflowExecution;
import io.tasker.node.WorkflowExecutionPage;
import io.tasker.node.workflow.WorkflowJson;
import io.tasker.protocol.TaskId;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The JSON answers of the workflow endpoints (see {@link JsonViews} for the others). */
final class WorkflowViews {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private WorkflowViews() {}

  /** @return the definition in the format a PUT takes, with its name */
  static ObjectNode definition(WorkflowDefinition definition) {
    ObjectNode node = NODES.objectNode().put("name", definition.name());
    node.setAll(WorkflowJson.write(definition));
    return node;
  }

  /** @return {@code {workflows: [{name, versions: [..], latest}]}} */
  static ObjectNode definitions(List<WorkflowDefinition> all) {
    Map<String, ArrayNode> versions = new TreeMap<>();
    for (WorkflowDefinition d : all) {
      versions.computeIfAbsent(d.name(), n -> NODES.arrayNode()).add(d.version());
    }
    ObjectNode node = NODES.objectNode();
    ArrayNode array = node.putArray("workflows");
    versions.forEach((name, list) -> {
      ObjectNode entry = array.addObject().put("name", name);
      entry.set("versions", list);
      entry.put("latest", list.get(list.size() - 1).asInt());
    });
    return node;
  }

  static ObjectNode execution(WorkflowExecution e) {
    ObjectNode node = NODES.objectNode()
        .put("id", e.id())
        .put("workflow", e.workflow())
        .put("version", e.version())
        .put("status", e.status().name());
    node.set("input", e.input() == null ? NODES.nullNode() : e.input());
    node.put("error", e.error());
    time(node, "startedAt", e.startedAt());
    time(node, "endedAt", e.endedAt());
    ArrayNode steps = node.putArray("steps");
    for (WorkflowExecution.StepRun step : e.steps()) {
      ObjectNode s = steps.addObject()
          .put("name", step.name())
          .put("status", step.status().name())
          .put("attempts", step.attempts());
      s.set("input", step.input() == null ? NODES.nullNode() : step.input());
      s.set("output", step.output() == null ? NODES.nullNode() : step.output());
      s.put("error", step.error());
      time(s, "startedAt", step.startedAt());
      time(s, "endedAt", step.endedAt());
      ArrayNode tasks = s.putArray("tasks");
      step.tasks().stream().map(TaskId::value).forEach(tasks::add);
    }
    ArrayNode compensations = node.putArray("compensations");
    for (WorkflowExecution.CompensationRun run : e.compensations()) {
      ObjectNode c = compensations.addObject()
          .put("step", run.step())
          .put("status", run.status().name())
          .put("attempts", run.attempts());
      c.set("input", run.input() == null ? NODES.nullNode() : run.input());
      c.put("error", run.error());
      time(c, "startedAt", run.startedAt());
      time(c, "endedAt", run.endedAt());
      c.put("task", run.task() == null ? null : run.task().value());
    }
    return node;
  }

  /** @return {@code {executions: [{id, workflow, version, status, startedAt}], nextCursor}} */
  static ObjectNode page(WorkflowExecutionPage page) {
    ObjectNode node = NODES.objectNode();
    ArrayNode array = node.putArray("executions");
    for (WorkflowExecutionPage.Summary e : page.executions()) {
      array.addObject().put("id", e.id()).put("workflow", e.workflow())
          .put("version", e.version()).put("status", e.status().name())
          .put("startedAt", e.startedAt().toString());
    }
    node.put("nextCursor", page.nextCursor());
    return node;
  }

  private static void time(ObjectNode node, String field, Instant at) {
    node.put(field, at == null ? null : at.toString());
  }
}
