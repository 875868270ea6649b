package io.tasker.gateway;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tasker.node.WorkflowDefinitionException;
import io.tasker.node.WorkflowNotFoundException;
import io.tasker.node.WorkflowStateConflictException;
import io.tasker.protocol.EnqueueRejectedException;
import io.tasker.protocol.OutcomeUnknownException;
import io.tasker.protocol.ScheduleNotFoundException;
import io.tasker.protocol.TaskNotFoundException;
import io.tasker.protocol.TaskStateConflictException;
import io.tasker.protocol.TaskerUnavailableException;
import io.tasker.protocol.ValidationException;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Maps every failure to a JSON error: {@code {"error":{"code","message","field"}}}. Bad input is
 * a 4xx naming the field; only a failure of Tasker itself is a 5xx.
 */
final class ErrorResponses {
  private static final Logger log = LoggerFactory.getLogger(ErrorResponses.class);

  private final Duration retryAfter;

  ErrorResponses(Duration retryAfter) {
    this.retryAfter = retryAfter;
  }

  HttpResponse of(Throwable failure) {
    Throwable error = failure;
    while ((error instanceof CompletionException || error instanceof ExecutionException)
        && error.getCause() != null) {
      error = error.getCause();
    }
    if (error instanceof HttpProblem problem) {
      HttpResponse response = Responses.json(problem.status,
          JsonViews.error(problem.code, problem.getMessage(), problem.field));
      return problem.retryAfter == null ? response : withRetryAfter(response, problem.retryAfter);
    }
    if (error instanceof ValidationException invalid) {
      return Responses.json(StatusCodes.BAD_REQUEST,
          JsonViews.error(invalid.code().name(), invalid.getMessage(), invalid.field()));
    }
    if (error instanceof WorkflowDefinitionException invalid) {
      return Responses.json(StatusCodes.BAD_REQUEST,
          JsonViews.error(invalid.code().name(), invalid.getMessage(), invalid.field()));
    }
    if (error instanceof WorkflowNotFoundException notFound) {
      return Responses.json(StatusCodes.NOT_FOUND,
          JsonViews.error(notFound.code().name(), notFound.getMessage(), null));
    }
    if (error instanceof WorkflowStateConflictException conflict) {
      return Responses.json(StatusCodes.CONFLICT,
          JsonViews.error(conflict.code().name(), conflict.getMessage(), null));
    }
    if (error instanceof EnqueueRejectedException rejected) {
      ObjectNode body = JsonViews.error(rejected.code().name(), rejected.getMessage(), null);
      ((ObjectNode) body.get("error")).put("reason", rejected.reason());
      return Responses.json(StatusCodes.UNPROCESSABLE_ENTITY, body);
    }
    if (error instanceof ScheduleNotFoundException notFound) {
      return Responses.json(StatusCodes.NOT_FOUND,
          JsonViews.error(notFound.code().name(), notFound.getMessage(), null));
    }
    if (error instanceof TaskNotFoundException notFound) {
      return Responses.json(StatusCodes.NOT_FOUND,
          JsonViews.error(notFound.code().name(), notFound.getMessage(), null));
    }
    if (error instanceof TaskStateConflictException conflict) {
      ObjectNode body = JsonViews.error(conflict.code().name(), conflict.getMessage(), null);
      ((ObjectNode) body.get("error")).put("status", conflict.status().name());
      return Responses.json(StatusCodes.CONFLICT, body);
    }
    if (error instanceof OutcomeUnknownException unknown) {
      ObjectNode body = JsonViews.error(unknown.code().name(), unknown.getMessage(), null);
      ((ObjectNode) body.get("error")).put("taskId", unknown.taskId().value());
      return withRetryAfter(Responses.json(StatusCodes.SERVICE_UNAVAILABLE, body), retryAfter);
    }
    if (error instanceof TaskerUnavailableException || error instanceof TimeoutException) {
      return withRetryAfter(Responses.json(StatusCodes.SERVICE_UNAVAILABLE,
          JsonViews.error("UNAVAILABLE",
              "Tasker did not answer in time: a read changed nothing, a change of a queue or"
                  + " schedule may or may not have been applied (read it back before repeating"
                  + " it)", null)), retryAfter);
    }
    if (error instanceof UnsupportedOperationException unsupported) {
      // workflows in inline mode: a node runs them
      return Responses.json(StatusCodes.NOT_IMPLEMENTED,
          JsonViews.error("NOT_IMPLEMENTED", unsupported.getMessage(), null));
    }
    log.error("request failed unexpectedly", error);
    return Responses.json(StatusCodes.INTERNAL_SERVER_ERROR,
        JsonViews.error("INTERNAL", "an unexpected error occurred; see the server log", null));
  }

  static HttpResponse notFound() {
    return Responses.json(StatusCodes.NOT_FOUND,
        JsonViews.error("NOT_FOUND", "no such endpoint; see /v1/openapi.json", null));
  }

  static HttpResponse methodNotAllowed() {
    return Responses.json(StatusCodes.METHOD_NOT_ALLOWED,
        JsonViews.error("METHOD_NOT_ALLOWED", "this endpoint does not take that method", null));
  }

  static HttpResponse badRequest(String message) {
    return Responses.json(StatusCodes.BAD_REQUEST, JsonViews.error("BAD_REQUEST", message, null));
  }

  private static HttpResponse withRetryAfter(HttpResponse response, Duration wait) {
    return response.addHeader(
        RawHeader.create("Retry-After", Long.toString(Math.max(1, wait.toSeconds()))));
  }
}
