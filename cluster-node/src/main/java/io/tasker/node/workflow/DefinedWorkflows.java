package io.tasker.node.workflow;

import io.tasker.node.WorkflowDefinition;
import io.tasker.node.WorkflowDefinitionException;
import io.tasker.node.WorkflowNotFoundException;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The workflow definitions of one node, by name and version. New executions start with a name's
 * highest version; running executions carry their own definition, so redefining never changes
 * them.
 */
public final class DefinedWorkflows {
  private final Map<String, TreeMap<Integer, WorkflowDefinition>> byName =
      new ConcurrentHashMap<>();

  /**
   * @throws WorkflowDefinitionException if invalid, or if its version is defined with other
   *     content
   */
  public WorkflowDefinition define(WorkflowDefinition definition, Set<String> taskTypes) {
    definition.validate(taskTypes);
    byName.compute(definition.name(), (name, versions) -> {
      TreeMap<Integer, WorkflowDefinition> copy =
          versions == null ? new TreeMap<>() : new TreeMap<>(versions);
      WorkflowDefinition existing = copy.get(definition.version());
      if (existing != null && !existing.equals(definition)) {
        throw new WorkflowDefinitionException(null, "version", "version "
            + definition.version() + " of workflow " + name
            + " is defined already with other steps: give the new definition a new version");
      }
      copy.put(definition.version(), definition);
      return copy;
    });
    return definition;
  }

  /** @return {@code version} of {@code name}, or {@code null} */
  public WorkflowDefinition get(String name, int version) {
    TreeMap<Integer, WorkflowDefinition> versions = byName.get(name);
    return versions == null ? null : versions.get(version);
  }

  /** @return every definition */
  public java.util.List<WorkflowDefinition> all() {
    return byName.values().stream().flatMap(v -> v.values().stream()).toList();
  }

  /** @return the highest version of {@code name} */
  public WorkflowDefinition latest(String name) {
    TreeMap<Integer, WorkflowDefinition> versions = name == null ? null : byName.get(name);
    if (versions == null || versions.isEmpty()) {
      throw new WorkflowNotFoundException("workflow " + name);
    }
    return versions.lastEntry().getValue();
  }
}
