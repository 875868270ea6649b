package io.tasker.gateway;

import java.util.Arrays;

/** What an API key may do. */
public enum Scope {
  TASKS_READ("tasks:read"),
  TASKS_WRITE("tasks:write"),
  QUEUES_ADMIN("queues:admin"),
  METRICS_READ("metrics:read");

  private final String label;

  Scope(String label) {
    this.label = label;
  }

  public String label() {
    return label;
  }

  static Scope parse(String label) {
    return Arrays.stream(values())
        .filter(scope -> scope.label.equals(label.trim()))
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException(
            "unknown scope '" + label + "'; scopes are " + Arrays.stream(values())
                .map(Scope::label).collect(java.util.stream.Collectors.joining(", "))));
  }
}
