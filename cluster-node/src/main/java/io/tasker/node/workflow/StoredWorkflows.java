package io.tasker.node.workflow;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tasker.node.WorkflowDefinition;
import io.tasker.node.WorkflowStateConflictException;
import io.tasker.node.index.JdbcTaskIndex;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * The workflow definitions stored over the API, in table {@code tasker_workflow_definition} of
 * the journal's database: every node reads the same rows, so a definition stored through one node
 * starts on any, and outlives restarts. A row holds the definition in the declared format (see
 * {@link WorkflowJson}) and is never changed: a version stored with other content is refused.
 */
public final class StoredWorkflows {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String UNIQUE_VIOLATION = "23505";

  private final JdbcTaskIndex database;

  public StoredWorkflows(JdbcTaskIndex database) {
    this.database = database;
  }

  /**
   * Stores a checked definition.
   *
   * @return true if stored now, false if this version was stored already with this content; a
   *     stage failed with {@link WorkflowStateConflictException} if it was with other content
   */
  public CompletionStage<Boolean> store(WorkflowDefinition definition) {
    String json = WorkflowJson.write(definition).toString();
    return database.query(connection -> {
      Optional<WorkflowDefinition> existing =
          find(connection, definition.name(), definition.version());
      if (existing.isEmpty()) {
        try (PreparedStatement insert = connection.prepareStatement(
            "INSERT INTO tasker_workflow_definition (name, version, definition, stored_at)"
                + " VALUES (?, ?, ?, CURRENT_TIMESTAMP)")) {
          insert.setString(1, definition.name());
          insert.setInt(2, definition.version());
          insert.setString(3, json);
          insert.executeUpdate();
          return true;
        } catch (SQLException e) {
          if (!UNIQUE_VIOLATION.equals(e.getSQLState())) {
            throw e;
          }
          existing = find(connection, definition.name(), definition.version()); // a racing PUT
        }
      }
      if (!existing.orElseThrow().equals(definition)) {
        throw conflict(definition);
      }
      return false;
    });
  }

  static WorkflowStateConflictException conflict(WorkflowDefinition definition) {
    return new WorkflowStateConflictException("version " + definition.version()
        + " of workflow " + definition.name() + " is defined already with other content:"
        + " give the new definition a new version");
  }

  /** @return the highest stored version of {@code name}, if any */
  public CompletionStage<Optional<WorkflowDefinition>> latest(String name) {
    return database.query(connection -> first(connection,
        "SELECT name, definition FROM tasker_workflow_definition WHERE name = ?"
            + " ORDER BY version DESC LIMIT 1", name, null));
  }

  /** @return the stored {@code version} of {@code name}, if any */
  public CompletionStage<Optional<WorkflowDefinition>> get(String name, int version) {
    return database.query(connection -> find(connection, name, version));
  }

  /** @return every stored definition, by name then version */
  public CompletionStage<List<WorkflowDefinition>> all() {
    return database.query(connection -> {
      List<WorkflowDefinition> all = new ArrayList<>();
      try (PreparedStatement select = connection.prepareStatement(
          "SELECT name, definition FROM tasker_workflow_definition ORDER BY name, version")) {
        ResultSet rs = select.executeQuery();
        while (rs.next()) {
          all.add(read(rs));
        }
      }
      return all;
    });
  }

  private static Optional<WorkflowDefinition> find(Connection connection, String name,
      int version) throws SQLException {
    return first(connection, "SELECT name, definition FROM tasker_workflow_definition"
        + " WHERE name = ? AND version = ?", name, version);
  }

  private static Optional<WorkflowDefinition> first(Connection connection, String sql,
      String name, Integer version) throws SQLException {
    try (PreparedStatement select = connection.prepareStatement(sql)) {
      select.setString(1, name);
      if (version != null) {
        select.setInt(2, version);
      }
      ResultSet rs = select.executeQuery();
      return rs.next() ? Optional.of(read(rs)) : Optional.empty();
    }
  }

  private static WorkflowDefinition read(ResultSet rs) throws SQLException {
    try {
      return DeclaredWorkflows.fromJson(rs.getString("name"),
          JSON.readTree(rs.getString("definition")));
    } catch (JsonProcessingException e) {
      throw new SQLException("stored workflow definition is not JSON: " + e.getMessage(), e);
    }
  }
}
