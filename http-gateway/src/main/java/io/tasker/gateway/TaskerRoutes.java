package io.tasker.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tasker.node.EnqueueResult;
import io.tasker.node.Tasker;
import io.tasker.protocol.QueueStats;
import io.tasker.node.ScheduleView;
import io.tasker.protocol.EnqueueRequest;
import io.tasker.protocol.QueueCounts;
import io.tasker.protocol.QueueLimits;
import io.tasker.protocol.TaskId;
import io.tasker.protocol.TaskQuery;
import io.tasker.protocol.TaskStatus;
import io.tasker.protocol.Validation;
import io.tasker.protocol.ValidationException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.MethodRejection;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.apache.pekko.stream.Materializer;

/**
 * The HTTP API: each route checks the caller's key and scope, reads and validates its input,
 * forwards to {@link Tasker} (which asks the task's sharded entity) and maps the answer or the
 * failure to JSON.
 */
final class TaskerRoutes extends AllDirectives {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private final Tasker tasker;
  private final ApiKeys keys;
  private final GatewaySettings settings;
  private final Materializer materializer;
  private final Clock clock;
  private final ErrorResponses errors;
  private final byte[] openApi;
  private final PrometheusScrape metrics;
  private final AuditLog audit = new AuditLog();
  private final Dashboard dashboard = new Dashboard();
  private final WorkflowRoutes workflows;

  TaskerRoutes(Tasker tasker, ApiKeys keys, GatewaySettings settings, Materializer materializer,
      Clock clock, PrometheusScrape metrics) {
    this.tasker = tasker;
    this.metrics = metrics;
    this.keys = keys;
    this.settings = settings;
    this.materializer = materializer;
    this.clock = clock;
    this.errors = new ErrorResponses(settings.retryAfter);
    this.openApi = resource("/io/tasker/gateway/openapi.json");
    this.workflows = new WorkflowRoutes(tasker, this::op, this::body, clock);
  }

  Route routes() {
    return handleExceptions(
        ExceptionHandler.newBuilder().matchAny(e -> complete(errors.of(e))).build(),
        () -> handleRejections(rejections(), () -> concat(
            pathPrefix("health", this::healthRoutes),
            pathPrefix("ui", dashboard::routes),
            path("metrics", () -> get(() -> settings.metricsPublic
                ? complete(scrape())
                : op(Scope.METRICS_READ, r -> CompletableFuture.completedFuture(scrape())))),
            pathPrefix("v1", this::apiRoutes))));
  }

  /** Renders the meters on the request's thread: a scrape reads in-memory values only. */
  private HttpResponse scrape() {
    return metrics.scrape()
        .map(text -> HttpResponse.create().withEntity(ContentTypes.TEXT_PLAIN_UTF8, text))
        .orElseGet(() -> Responses.json(StatusCodes.NOT_FOUND, JsonViews.error("NOT_FOUND",
            "the node records its metrics in the application's own MeterRegistry, which is not"
                + " a Prometheus one; export them from the application", null)));
  }

  private Route healthRoutes() {
    return concat(
        path("live", () -> get(() -> complete(status("UP", true)))),
        path("ready", () -> get(() -> completeWithFuture(ready()))));
  }

  private Route apiRoutes() {
    return concat(
        path("openapi.json", () -> get(() -> complete(
            HttpResponse.create().withEntity(ContentTypes.APPLICATION_JSON, openApi)))),
        path("tasks:batch", () -> post(() -> op(Scope.TASKS_WRITE, this::enqueueBatch))),
        path("whoami", () -> get(() -> op(Scope.TASKS_READ,
            (r, caller) -> done(ok(JsonViews.caller(caller)))))),
        path("task-types", () -> get(() -> op(Scope.TASKS_READ,
            r -> done(ok(JsonViews.taskTypes(tasker.taskTypes())))))),
        path("audit", () -> get(() -> op(Scope.QUEUES_ADMIN, r -> audit(r)))),
        path("tasks:retry", () -> post(() -> withRequestTimeout(BulkAction.REQUEST_TIMEOUT,
            () -> op(Scope.TASKS_WRITE, r -> bulk(r, tasker::retry))))),
        path("tasks:cancel", () -> post(() -> withRequestTimeout(BulkAction.REQUEST_TIMEOUT,
            () -> op(Scope.TASKS_WRITE, r -> bulk(r, tasker::cancel))))),
        path("cluster", () -> get(() -> op(Scope.TASKS_READ,
            r -> tasker.cluster().thenApply(view -> ok(JsonViews.cluster(view)))))),
        pathPrefix("tasks", () -> concat(
            pathEnd(() -> concat(
                post(() -> op(Scope.TASKS_WRITE, this::enqueue)),
                get(() -> op(Scope.TASKS_READ, this::list)))),
            pathPrefix(PathMatchers.segment(), this::taskRoutes))),
        pathPrefix("queues", () -> concat(
            pathEnd(() -> get(() -> op(Scope.TASKS_READ, r -> queues()))),
            pathPrefix(PathMatchers.segment(), this::queueRoutes))),
        pathPrefix("schedules", () -> concat(
            pathEnd(() -> get(() -> op(Scope.TASKS_READ, r -> tasker.schedules()
                .thenApply(views -> ok(JsonViews.schedules(views)))))),
            pathPrefix(PathMatchers.segment(), this::scheduleRoutes))),
        pathPrefix("workflows", workflows::definitions),
        pathPrefix("workflow-executions", workflows::executions));
  }

  private Route scheduleRoutes(String id) {
    return concat(
        pathEnd(() -> concat(
            get(() -> op(Scope.TASKS_READ,
                r -> tasker.getSchedule(scheduleId(id)).thenApply(this::scheduleJson))),
            put(() -> op(Scope.TASKS_WRITE, r -> body(r)
                .thenCompose(json -> tasker.upsertSchedule(JsonContract.scheduleSpec(json, id)))
                .thenApply(this::scheduleJson))),
            delete(() -> op(Scope.TASKS_WRITE,
                r -> tasker.deleteSchedule(scheduleId(id)).thenApply(s -> noContent()))))),
        path("pause", () -> post(() -> op(Scope.TASKS_WRITE,
            r -> tasker.pauseSchedule(scheduleId(id)).thenApply(this::scheduleJson)))),
        path("resume", () -> post(() -> op(Scope.TASKS_WRITE,
            r -> tasker.resumeSchedule(scheduleId(id)).thenApply(this::scheduleJson)))),
        path("trigger", () -> post(() -> op(Scope.TASKS_WRITE,
            r -> tasker.triggerSchedule(scheduleId(id)).thenApply(this::scheduleJson)))));
  }

  private HttpResponse scheduleJson(ScheduleView view) {
    return ok(JsonViews.schedule(view));
  }

  private Route taskRoutes(String id) {
    return concat(
        pathEnd(() -> concat(
            get(() -> op(Scope.TASKS_READ,
                r -> tasker.get(taskId(id)).thenApply(t -> ok(JsonViews.task(t))))),
            delete(() -> op(Scope.TASKS_WRITE,
                r -> tasker.cancel(taskId(id)).thenApply(t -> noContent()))),
            patch(() -> op(Scope.TASKS_WRITE, r -> reschedule(r, id))))),
        path("retry", () -> post(() -> op(Scope.TASKS_WRITE,
            r -> tasker.retry(taskId(id)).thenApply(t -> ok(JsonViews.task(t)))))),
        path("result", () -> get(() -> withRequestTimeout(ResultWait.REQUEST_TIMEOUT,
            () -> op(Scope.TASKS_READ, r -> result(r, id))))));
  }

  /** A long poll: the finished task, or the task as it stands once {@code wait} passed. */
  private CompletionStage<HttpResponse> result(HttpRequest request, String id) {
    TaskId taskId = taskId(id);
    return tasker.result(taskId, ResultWait.of(request.getUri().query()))
        .thenApply(task -> ok(JsonViews.task(task)));
  }

  private Route queueRoutes(String name) {
    return concat(
        pathEnd(() -> concat(
            get(() -> op(Scope.TASKS_READ, r -> queue(queueName(name)))),
            put(() -> op(Scope.QUEUES_ADMIN, r -> updateQueue(r, name))))),
        path("pause", () -> post(() -> op(Scope.QUEUES_ADMIN, r -> setPaused(name, true)))),
        path("resume", () -> post(() -> op(Scope.QUEUES_ADMIN, r -> setPaused(name, false)))));
  }

  private static HttpResponse noContent() {
    return HttpResponse.create().withStatus(StatusCodes.NO_CONTENT);
  }

  /** Authenticates, then runs {@code action}; every failure becomes a JSON error. */
  private Route op(Scope scope, Function<HttpRequest, CompletionStage<HttpResponse>> action) {
    return op(scope, (request, caller) -> action.apply(request));
  }

  /**
   * Authenticates, then runs {@code action} as the caller (the anonymous one with every scope
   * when keys are off); every failure becomes a JSON error, and every call that may change
   * something (any method but GET), allowed or not, goes to the audit log.
   */
  private Route op(Scope scope,
      BiFunction<HttpRequest, ApiKeys.Caller, CompletionStage<HttpResponse>> action) {
    return extractRequest(request -> {
      AtomicReference<String> who = new AtomicReference<>("unauthenticated");
      CompletionStage<HttpResponse> answer = attempt(() -> {
        ApiKeys.Caller caller =
            keys.authenticate(request.getHeader("Authorization").map(HttpHeader::value));
        who.set(caller.name());
        keys.authorize(caller, scope);
        return action.apply(request, caller);
      }).exceptionally(errors::of);
      if (!request.method().equals(HttpMethods.GET)) {
        answer = answer.thenApply(response -> {
          audit.record(new AuditLog.Entry(clock.instant(), who.get(),
              request.method().value(), request.getUri().path(), response.status().intValue()));
          return response;
        });
      }
      return completeWithFuture(answer);
    });
  }

  private static CompletionStage<HttpResponse> done(HttpResponse response) {
    return CompletableFuture.completedFuture(response);
  }

  private CompletionStage<HttpResponse> audit(HttpRequest request) {
    var query = request.getUri().query();
    for (var param : query.toMap().keySet()) {
      if (!param.equals("limit")) {
        throw new ValidationException(param, "is not a known query parameter");
      }
    }
    int limit = query.get("limit").map(TaskerRoutes::parseLimit).orElse(100);
    return done(ok(JsonViews.audit(audit.recent(limit))));
  }

  private static <T> CompletionStage<T> attempt(Supplier<CompletionStage<T>> action) {
    try {
      return action.get();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private RejectionHandler rejections() {
    return RejectionHandler.newBuilder()
        .handleAll(MethodRejection.class, rejected -> complete(ErrorResponses.methodNotAllowed()))
        .handleNotFound(complete(ErrorResponses.notFound()))
        .handleAll(org.apache.pekko.http.javadsl.server.Rejection.class,
            rejected -> complete(ErrorResponses.badRequest("the request was not understood")))
        .build();
  }

  // Tasks

  private CompletionStage<HttpResponse> enqueue(HttpRequest request) {
    Optional<String> headerKey = request.getHeader("Idempotency-Key").map(HttpHeader::value);
    return body(request).thenCompose(json -> {
      EnqueueRequest enqueue = JsonContract.enqueueRequest(json, "");
      if (headerKey.isPresent()) {
        if (enqueue.idempotencyKey() != null && !enqueue.idempotencyKey().equals(headerKey.get())) {
          throw new ValidationException("idempotencyKey",
              "differs from the Idempotency-Key header; give one or make them equal");
        }
        enqueue = enqueue.withIdempotencyKey(headerKey.get());
      }
      return tasker.enqueue(enqueue);
    }).thenApply(result -> Responses.json(
            result.created() ? StatusCodes.CREATED : StatusCodes.OK, JsonViews.accepted(result))
        .addHeader(RawHeader.create("Location", "/v1/tasks/" + result.task().id())));
  }

  private CompletionStage<HttpResponse> enqueueBatch(HttpRequest request) {
    return body(request).thenCompose(json -> {
      if (!(json instanceof ObjectNode object) || !object.has("tasks")
          || !object.get("tasks").isArray() || object.size() != 1) {
        throw new ValidationException("tasks", "send {\"tasks\": [ ... ]}");
      }
      JsonNode tasks = object.get("tasks");
      if (tasks.isEmpty() || tasks.size() > settings.maxBatch) {
        throw new ValidationException("tasks", "must hold 1 to " + settings.maxBatch + " tasks");
      }
      List<EnqueueRequest> requests = new ArrayList<>();
      for (int i = 0; i < tasks.size(); i++) {
        requests.add(JsonContract.enqueueRequest(tasks.get(i), "tasks[" + i + "]."));
      }
      return tasker.enqueueAll(requests);
    }).thenApply(results -> {
      ObjectNode body = NODES.objectNode();
      ArrayNode accepted = body.putArray("tasks");
      results.forEach(result -> accepted.add(JsonViews.accepted(result)));
      boolean anyCreated = results.stream().anyMatch(EnqueueResult::created);
      return Responses.json(anyCreated ? StatusCodes.CREATED : StatusCodes.OK, body);
    });
  }

  private CompletionStage<HttpResponse> list(HttpRequest request) {
    var query = request.getUri().query();
    for (var param : query.toMap().keySet()) {
      if (!List.of("queue", "status", "type", "createdFrom", "createdBefore", "order", "limit",
          "cursor").contains(param)) {
        throw new ValidationException(param, "is not a known query parameter");
      }
    }
    TaskStatus status = query.get("status").map(s -> parseEnum(TaskStatus.class, s, "status"))
        .orElse(null);
    TaskQuery.Order order = query.get("order")
        .map(s -> parseEnum(TaskQuery.Order.class, s, "order")).orElse(TaskQuery.Order.NEWEST);
    int limit = query.get("limit").map(TaskerRoutes::parseLimit).orElse(50);
    TaskQuery taskQuery = new TaskQuery(query.get("queue").orElse(null), status,
        query.get("type").orElse(null),
        JsonContract.instant(query.get("createdFrom").orElse(null), "createdFrom"),
        JsonContract.instant(query.get("createdBefore").orElse(null), "createdBefore"),
        order, limit, query.get("cursor").orElse(null));
    return tasker.list(taskQuery).thenApply(page -> ok(JsonViews.page(page)));
  }

  private CompletionStage<HttpResponse> bulk(HttpRequest request,
      Function<TaskId, CompletionStage<?>> action) {
    return body(request)
        .thenCompose(json -> BulkAction.run(tasker, JsonContract.bulkFilter(json), action))
        .thenApply(outcome -> ok(JsonViews.bulk(outcome)));
  }

  private CompletionStage<HttpResponse> reschedule(HttpRequest request, String id) {
    TaskId taskId = taskId(id);
    return body(request).thenCompose(json -> {
      JsonContract.Reschedule change = JsonContract.reschedule(json, clock.instant());
      return tasker.reschedule(taskId, change.runAt(), change.priority());
    }).thenApply(task -> ok(JsonViews.task(task)));
  }

  // Queues

  private CompletionStage<HttpResponse> queues() {
    return tasker.counts().thenCompose(counts -> {
      TreeSet<String> names = new TreeSet<>(List.of("default"));
      counts.forEach(c -> names.add(c.queue()));
      List<CompletableFuture<JsonNode>> queues = names.stream()
          .map(name -> queueJson(name, counts).toCompletableFuture()).toList();
      return CompletableFuture.allOf(queues.toArray(CompletableFuture[]::new)).thenApply(done -> {
        ObjectNode body = NODES.objectNode();
        ArrayNode array = body.putArray("queues");
        queues.forEach(q -> array.add(q.join()));
        return ok(body);
      });
    });
  }

  private CompletionStage<HttpResponse> queue(String name) {
    return tasker.counts().thenCompose(counts -> queueJson(name, counts)).thenApply(this::ok);
  }

  private CompletionStage<JsonNode> queueJson(String name, List<QueueCounts> counts) {
    QueueCounts ofQueue = counts.stream().filter(c -> c.queue().equals(name)).findFirst()
        .orElse(new QueueCounts(name, Map.of()));
    return tasker.queueStats(name).thenApply(stats -> JsonViews.queue(stats, ofQueue));
  }

  /** One command to the queue's manager: the fields of the body change together. */
  private CompletionStage<HttpResponse> updateQueue(HttpRequest request, String name) {
    String queue = queueName(name);
    return body(request)
        .thenCompose(json -> tasker.updateQueue(queue, JsonContract.queueUpdate(json)))
        .thenCompose(updated -> queue(queue));
  }

  private CompletionStage<HttpResponse> setPaused(String name, boolean paused) {
    String queue = queueName(name);
    return (paused ? tasker.pauseQueue(queue) : tasker.resumeQueue(queue))
        .thenCompose(updated -> queue(queue));
  }

  // Health

  private CompletionStage<HttpResponse> ready() {
    // bounded by tasker.ready-timeout: a probe gets its 503 while the database hangs
    return tasker.ready()
        .toCompletableFuture()
        .exceptionally(failure -> false)
        .thenApply(ready -> ready
            ? status("READY", true)
            : status("NOT_READY", false).addHeader(RawHeader.create("Retry-After",
                Long.toString(Math.max(1, settings.retryAfter.toSeconds())))));
  }

  private static HttpResponse status(String status, boolean ok) {
    return Responses.json(ok ? StatusCodes.OK : StatusCodes.SERVICE_UNAVAILABLE,
        NODES.objectNode().put("status", status));
  }

  // Input

  /** Oversized bodies up to this many times max-body-size are drained before the 413. */
  private static final long DRAIN_AT_MOST_BODIES = 8;

  /** Reads a JSON body: application/json only, at most max-body-size bytes. */
  private CompletionStage<JsonNode> body(HttpRequest request) {
    HttpEntity entity = request.entity();
    if (!entity.getContentType().mediaType().equals(MediaTypes.APPLICATION_JSON)) {
      entity.discardBytes(materializer);
      throw HttpProblem.unsupportedMediaType();
    }
    long declared = entity.getContentLengthOption().orElse(0);
    if (declared > settings.maxBodyBytes) {
      HttpProblem tooLarge = HttpProblem.tooLarge(settings.maxBodyBytes);
      if (declared > DRAIN_AT_MOST_BODIES * settings.maxBodyBytes) {
        entity.discardBytes(materializer);
        throw tooLarge;
      }
      // answered once the body is read and dropped: a client still sending it when the answer
      // and the connection's close arrive may lose the answer to a connection reset
      return entity.discardBytes(materializer).completionStage().thenApply(done -> {
        throw tooLarge;
      });
    }
    return entity.withSizeLimit(settings.maxBodyBytes).toStrict(10_000, materializer)
        .handle((strict, failure) -> {
          if (failure != null) {
            for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
              if (cause instanceof EntityStreamSizeException) {
                throw HttpProblem.tooLarge(settings.maxBodyBytes);
              }
            }
            throw HttpProblem.malformed("the request body could not be read");
          }
          return JsonContract.parse(strict.getData().toArray());
        });
  }

  private static TaskId taskId(String id) {
    return TaskId.of(id);
  }

  private static String scheduleId(String id) {
    if (!Validation.isName(id)) {
      throw new ValidationException("id",
          "must be 1-64 letters, digits or '_.-', starting with a letter or digit");
    }
    return id;
  }

  private static String queueName(String name) {
    if (!Validation.isName(name)) {
      throw new ValidationException("name",
          "must be 1-64 letters, digits or '_.-', starting with a letter or digit");
    }
    return name;
  }

  private static <E extends Enum<E>> E parseEnum(Class<E> type, String value, String field) {
    try {
      return Enum.valueOf(type, value.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new ValidationException(field, "must be one of " + java.util.Arrays.toString(
          type.getEnumConstants()).toLowerCase(Locale.ROOT));
    }
  }

  private static int parseLimit(String value) {
    int limit;
    try {
      limit = Integer.parseInt(value);
    } catch (NumberFormatException e) {
      limit = 0;
    }
    if (limit < 1 || limit > TaskQuery.MAX_LIMIT) {
      throw new ValidationException("limit", "must be a whole number from 1 to " + TaskQuery.MAX_LIMIT);
    }
    return limit;
  }

  private HttpResponse ok(JsonNode body) {
    return Responses.json(StatusCodes.OK, body);
  }

  private static byte[] resource(String name) {
    try (InputStream in = TaskerRoutes.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException(name + " is missing from the jar");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
