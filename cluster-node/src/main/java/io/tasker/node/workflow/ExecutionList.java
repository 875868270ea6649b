package io.tasker.node.workflow;

import io.tasker.node.WorkflowExecutionPage;
import io.tasker.node.WorkflowStatus;
import io.tasker.node.index.JdbcTaskIndex;
import io.tasker.protocol.TaskQuery;
import io.tasker.protocol.Validation;
import io.tasker.protocol.ValidationException;
import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Lists workflow executions from their rows in {@code tasker_workflow_index} (kept once ended),
 * newest start first, a page at a time with a cursor as the task listing does.
 */
public final class ExecutionList {
  private final JdbcTaskIndex database;

  public ExecutionList(JdbcTaskIndex database) {
    this.database = database;
  }

  /**
   * @param workflow only executions of this workflow, or {@code null}
   * @param status only executions in this status, or {@code null}
   * @throws ValidationException naming {@code limit}, {@code workflow} or {@code cursor}
   */
  public CompletionStage<WorkflowExecutionPage> list(String workflow, WorkflowStatus status,
      int limit, String cursor) {
    Cursor after = check(workflow, limit, cursor);
    String sql = "SELECT execution_id, workflow, version, status, started_at"
        + " FROM tasker_workflow_index WHERE started_at IS NOT NULL"
        + (workflow == null ? "" : " AND workflow = ?")
        + (status == null ? "" : " AND status = ?")
        + (after == null ? "" : " AND (started_at < ? OR (started_at = ? AND execution_id < ?))")
        + " ORDER BY started_at DESC, execution_id DESC LIMIT ?";
    return database.query(connection -> {
      try (PreparedStatement select = connection.prepareStatement(sql)) {
        int p = 1;
        if (workflow != null) {
          select.setString(p++, workflow);
        }
        if (status != null) {
          select.setString(p++, status.name());
        }
        if (after != null) {
          OffsetDateTime at = OffsetDateTime.ofInstant(after.startedAt(), ZoneOffset.UTC);
          select.setObject(p++, at);
          select.setObject(p++, at);
          select.setString(p++, after.id());
        }
        select.setInt(p, limit + 1);
        List<WorkflowExecutionPage.Summary> rows = new ArrayList<>();
        ResultSet rs = select.executeQuery();
        while (rs.next()) {
          rows.add(new WorkflowExecutionPage.Summary(rs.getString("execution_id"),
              rs.getString("workflow"), rs.getInt("version"),
              WorkflowStatus.valueOf(rs.getString("status")),
              rs.getObject("started_at", OffsetDateTime.class).toInstant()));
        }
        if (rows.size() <= limit) {
          return new WorkflowExecutionPage(rows, null);
        }
        List<WorkflowExecutionPage.Summary> page = rows.subList(0, limit);
        WorkflowExecutionPage.Summary last = page.get(limit - 1);
        return new WorkflowExecutionPage(page, new Cursor(last.startedAt(), last.id()).encode());
      }
    });
  }

  /** @return the decoded cursor, or {@code null}; checks the query's values */
  public static Cursor check(String workflow, int limit, String cursor) {
    if (limit < 1 || limit > TaskQuery.MAX_LIMIT) {
      throw new ValidationException("limit", "must be from 1 to " + TaskQuery.MAX_LIMIT);
    }
    if (workflow != null && !Validation.isName(workflow)) {
      throw new ValidationException("workflow",
          "must be 1-64 letters, digits or '_.-', starting with a letter or digit");
    }
    return cursor == null ? null : Cursor.decode(cursor);
  }

  /** A position in the listing: the start and id of the last execution of a page. */
  public record Cursor(Instant startedAt, String id) {
    String encode() {
      return Base64.getUrlEncoder().withoutPadding().encodeToString(
          (startedAt + "|" + id).getBytes(StandardCharsets.UTF_8));
    }

    static Cursor decode(String cursor) {
      try {
        String[] parts = new String(Base64.getUrlDecoder().decode(cursor),
            StandardCharsets.UTF_8).split("\\|", 2);
        return new Cursor(Instant.parse(parts[0]), parts[1]);
      } catch (RuntimeException e) {
        throw new ValidationException("cursor", "is not a cursor this server handed out");
      }
    }
  }
}
