package io.tasker.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tasker.node.Tasker;
import io.tasker.node.WorkflowDefinition;
import io.tasker.node.WorkflowStatus;
import io.tasker.node.workflow.DeclaredWorkflows;
import io.tasker.protocol.Validation;
import io.tasker.protocol.ValidationException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The workflow part of the HTTP API: definitions ({@code /v1/workflows}, stored cluster-wide)
 * and executions ({@code /v1/workflow-executions}).
 */
final class WorkflowRoutes extends AllDirectives {
  private static final Pattern EXECUTION_ID = Pattern.compile("[A-Za-z0-9_.:-]{1,64}");
  private static final Set<String> START_FIELDS = Set.of("input", "idempotencyKey");

  /** The authenticating wrapper of every operation (see {@link TaskerRoutes}). */
  interface Guard {
    Route op(Scope scope, Function<HttpRequest, CompletionStage<HttpResponse>> action);
  }

  private final Tasker tasker;
  private final Guard guard;
  private final Function<HttpRequest, CompletionStage<JsonNode>> body;
  private final java.time.Clock clock;

  WorkflowRoutes(Tasker tasker, Guard guard,
      Function<HttpRequest, CompletionStage<JsonNode>> body, java.time.Clock clock) {
    this.tasker = tasker;
    this.clock = clock;
    this.guard = guard;
    this.body = body;
  }

  /** Under {@code /v1/workflows}. */
  Route definitions() {
    return concat(
        pathEnd(() -> get(() -> guard.op(Scope.TASKS_READ, r -> {
          noQuery(r, List.of());
          return tasker.workflows().thenApply(all -> ok(WorkflowViews.definitions(all)));
        }))),
        pathPrefix(PathMatchers.segment(), name -> concat(
            pathEnd(() -> concat(
                get(() -> guard.op(Scope.TASKS_READ, r -> definition(r, name))),
                put(() -> guard.op(Scope.QUEUES_ADMIN, r -> store(r, name))))),
            path("executions", () -> post(() -> guard.op(Scope.TASKS_WRITE,
                r -> start(r, name)))))));
  }

  /** Under {@code /v1/workflow-executions}. */
  Route executions() {
    return concat(pathEnd(() -> get(() -> guard.op(Scope.TASKS_READ, this::list))),
        pathPrefix(PathMatchers.segment(), id -> concat(
        pathEnd(() -> get(() -> guard.op(Scope.TASKS_READ,
            r -> tasker.getWorkflowExecution(executionId(id))
                .thenApply(e -> ok(WorkflowViews.execution(e)))))),
        path("cancel", () -> post(() -> guard.op(Scope.TASKS_WRITE,
            r -> tasker.cancelWorkflow(executionId(id))
                .thenApply(e -> ok(WorkflowViews.execution(e)))))),
        path("retry", () -> post(() -> guard.op(Scope.TASKS_WRITE,
            r -> tasker.retryWorkflow(executionId(id))
                .thenApply(e -> ok(WorkflowViews.execution(e)))))))));
  }

  private CompletionStage<HttpResponse> list(HttpRequest request) {
    noQuery(request, List.of("workflow", "status", "limit", "cursor"));
    var query = request.getUri().query();
    WorkflowStatus status = query.get("status").map(s -> {
      try {
        return WorkflowStatus.valueOf(s.toUpperCase(java.util.Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new ValidationException("status", "must be one of " + java.util.Arrays.toString(
            WorkflowStatus.values()).toLowerCase(java.util.Locale.ROOT));
      }
    }).orElse(null);
    int limit = query.get("limit").map(s -> {
      try {
        return Integer.parseInt(s);
      } catch (NumberFormatException e) {
        return 0; // refused as out of range
      }
    }).orElse(50);
    return tasker.listWorkflowExecutions(query.get("workflow").orElse(null), status, limit,
        query.get("cursor").orElse(null)).thenApply(page -> ok(WorkflowViews.page(page)));
  }

  private CompletionStage<HttpResponse> definition(HttpRequest request, String name) {
    noQuery(request, List.of("version"));
    Integer version = request.getUri().query().get("version").map(v -> {
      try {
        int parsed = Integer.parseInt(v);
        if (parsed >= 1) {
          return parsed;
        }
      } catch (NumberFormatException e) {
        // below
      }
      throw new ValidationException("version", "must be a whole number of at least 1");
    }).orElse(null);
    return tasker.getWorkflow(workflowName(name), version)
        .thenApply(d -> ok(WorkflowViews.definition(d)));
  }

  private CompletionStage<HttpResponse> store(HttpRequest request, String name) {
    String workflow = workflowName(name);
    return body.apply(request).thenCompose(json -> {
      WorkflowDefinition definition = DeclaredWorkflows.fromJson(workflow, json);
      return tasker.storeWorkflow(definition).thenApply(created -> Responses.json(
          created ? StatusCodes.CREATED : StatusCodes.OK, WorkflowViews.definition(definition))
          .addHeader(RawHeader.create("Location", "/v1/workflows/" + workflow + "?version="
              + definition.version())));
    });
  }

  private CompletionStage<HttpResponse> start(HttpRequest request, String name) {
    String workflow = workflowName(name);
    return body.apply(request).thenCompose(json -> {
      if (!(json instanceof ObjectNode object)) {
        throw new ValidationException("body", "send {\"input\": ..., \"idempotencyKey\": ...}");
      }
      object.fieldNames().forEachRemaining(field -> {
        if (!START_FIELDS.contains(field)) {
          throw new ValidationException(field, "is not a field of a workflow start");
        }
      });
      JsonNode key = object.path("idempotencyKey");
      if (!key.isMissingNode() && !key.isNull() && !key.isTextual()) {
        throw new ValidationException("idempotencyKey", "must be a string");
      }
      String idempotencyKey = key.isTextual() ? key.asText() : null;
      JsonNode input = object.get("input");
      java.time.Instant asked = clock.instant();
      return tasker.startWorkflow(workflow, input, idempotencyKey)
          .thenCompose(tasker::getWorkflowExecution)
          .thenApply(execution -> {
            // a repeated key finds the execution an earlier request started
            boolean repeated = idempotencyKey != null && execution.startedAt().isBefore(asked);
            return Responses.json(repeated ? StatusCodes.OK : StatusCodes.CREATED,
                    WorkflowViews.execution(execution))
                .addHeader(RawHeader.create("Location",
                    "/v1/workflow-executions/" + execution.id()));
          });
    });
  }

  static String workflowName(String name) {
    if (!Validation.isName(name)) {
      throw new ValidationException("name",
          "must be 1-64 letters, digits or '_.-', starting with a letter or digit");
    }
    return name;
  }

  static String executionId(String id) {
    if (!EXECUTION_ID.matcher(id).matches()) {
      throw new ValidationException("id", "must be 1-64 letters, digits or '_.:-'");
    }
    return id;
  }

  private static void noQuery(HttpRequest request, List<String> known) {
    for (String param : request.getUri().query().toMap().keySet()) {
      if (!known.contains(param)) {
        throw new ValidationException(param, "is not a known query parameter");
      }
    }
  }

  private static HttpResponse ok(JsonNode body) {
    return Responses.json(StatusCodes.OK, body);
  }
}
