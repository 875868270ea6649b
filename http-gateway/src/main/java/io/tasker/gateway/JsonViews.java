package io.tasker.gateway;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tasker.node.EnqueueResult;
import io.tasker.protocol.QueueStats;
import io.tasker.node.ScheduleSpec;
import io.tasker.node.ScheduleView;
import io.tasker.protocol.AttemptRecord;
import io.tasker.protocol.Backoff;
import io.tasker.protocol.ClusterView;
import io.tasker.protocol.EnqueueRequest;
import io.tasker.protocol.QueueCounts;
import io.tasker.protocol.QueueLimits;
import io.tasker.protocol.TaskPage;
import io.tasker.protocol.TaskSpec;
import io.tasker.protocol.TaskStatus;
import io.tasker.protocol.TaskSummary;
import io.tasker.protocol.TaskView;
import java.util.List;
import java.util.Locale;

/**
 * The JSON contract of the HTTP API, the answers' side: written explicitly, field by field, so
 * the contract does not drift with internal types (the requests are {@link JsonContract}).
 */
final class JsonViews {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private JsonViews() {}

  static ObjectNode schedule(ScheduleView view) {
    ScheduleSpec spec = view.spec();
    ObjectNode node = NODES.objectNode()
        .put("id", spec.id())
        .put("cron", spec.cron())
        .put("interval", spec.interval() == null ? null : spec.interval().toString())
        .put("zone", spec.zone())
        .put("jitter", spec.jitter().toString())
        .put("startAt", spec.startAt() == null ? null : spec.startAt().toString())
        .put("endAt", spec.endAt() == null ? null : spec.endAt().toString())
        .put("paused", spec.paused())
        .put("overlap", JsonContract.enumName(spec.overlap()))
        .put("misfire", JsonContract.enumName(spec.misfire()));
    EnqueueRequest template = spec.task();
    ObjectNode task = node.putObject("task").put("type", template.type());
    task.set("payload", template.payload());
    task.put("queue", template.queue())
        .put("priority", template.priority())
        .put("maxAttempts", template.maxAttempts());
    if (template.backoff() != null) {
      task.set("backoff", backoff(template.backoff()));
    } else {
      task.putNull("backoff");
    }
    task.put("timeout", template.timeout() == null ? null : template.timeout().toString())
        .put("concurrencyKey", template.concurrencyKey());
    ObjectNode metadata = task.putObject("metadata");
    if (template.metadata() != null) {
      template.metadata().forEach(metadata::put);
    }
    node.put("nextFireAt", view.nextFireAt() == null ? null : view.nextFireAt().toString());
    ArrayNode upcoming = node.putArray("nextFireTimes");
    view.upcoming().forEach(t -> upcoming.add(t.toString()));
    node.put("lastFireAt", view.lastFireAt() == null ? null : view.lastFireAt().toString())
        .put("lastTaskId", view.lastTask() == null ? null : view.lastTask().value())
        .put("queuedFireAt", view.queuedFireAt() == null ? null : view.queuedFireAt().toString())
        .put("fired", view.fired())
        .put("skipped", view.skipped())
        .put("createdAt", view.createdAt().toString())
        .put("updatedAt", view.updatedAt().toString());
    return node;
  }

  static ObjectNode schedules(List<ScheduleView> views) {
    ObjectNode node = NODES.objectNode();
    ArrayNode array = node.putArray("schedules");
    views.forEach(view -> array.add(schedule(view)));
    return node;
  }

  static ObjectNode accepted(EnqueueResult result) {
    TaskView task = result.task();
    return NODES.objectNode()
        .put("id", task.id().value())
        .put("status", task.status().name())
        .put("runAt", task.runAt().toString())
        .put("created", result.created());
  }

  static ObjectNode task(TaskView task) {
    TaskSpec spec = task.spec();
    ObjectNode node = NODES.objectNode()
        .put("id", task.id().value())
        .put("type", spec.type())
        .put("queue", spec.queue())
        .put("status", task.status().name());
    node.set("payload", spec.payload());
    node.put("priority", task.priority())
        .put("runAt", task.runAt().toString())
        .put("attempts", task.attempts())
        .put("maxAttempts", spec.maxAttempts());
    node.set("backoff", backoff(spec.backoff()));
    node.put("timeout", spec.timeout().toString())
        .put("idempotencyKey", spec.idempotencyKey())
        .put("concurrencyKey", spec.concurrencyKey());
    ObjectNode metadata = node.putObject("metadata");
    spec.metadata().forEach(metadata::put);
    node.set("result", task.result());
    AttemptRecord last = task.lastAttempt();
    if (last != null && last.errorType() != null) {
      node.putObject("lastError").put("type", last.errorType()).put("message", last.errorMessage());
    } else {
      node.putNull("lastError");
    }
    ArrayNode history = node.putArray("history");
    for (AttemptRecord attempt : task.history()) {
      history.addObject()
          .put("attempt", attempt.number())
          .put("node", attempt.node())
          .put("startedAt", attempt.startedAt().toString())
          .put("finishedAt", attempt.finishedAt() == null ? null : attempt.finishedAt().toString())
          .put("outcome", attempt.outcome() == null ? null : attempt.outcome().name())
          .put("errorType", attempt.errorType())
          .put("errorMessage", attempt.errorMessage());
    }
    node.put("createdAt", task.createdAt().toString()).put("updatedAt", task.updatedAt().toString());
    return node;
  }

  private static ObjectNode backoff(Backoff backoff) {
    return NODES.objectNode()
        .put("kind", backoff.kind().name().toLowerCase(Locale.ROOT))
        .put("initialDelay", backoff.initialDelay().toString())
        .put("factor", backoff.factor())
        .put("maxDelay", backoff.maxDelay().toString())
        .put("jitter", backoff.jitter());
  }

  static ObjectNode page(TaskPage page) {
    ObjectNode node = NODES.objectNode();
    ArrayNode tasks = node.putArray("tasks");
    for (TaskSummary task : page.tasks()) {
      tasks.addObject()
          .put("id", task.id().value())
          .put("type", task.type())
          .put("queue", task.queue())
          .put("status", task.status().name())
          .put("priority", task.priority())
          .put("runAt", task.runAt().toString())
          .put("attempts", task.attempts())
          .put("maxAttempts", task.maxAttempts())
          .put("concurrencyKey", task.concurrencyKey())
          .put("createdAt", task.createdAt().toString())
          .put("updatedAt", task.updatedAt().toString());
    }
    node.put("nextCursor", page.nextCursor());
    return node;
  }

  static ObjectNode queue(QueueStats stats, QueueCounts counts) {
    QueueLimits limits = stats.limits();
    ObjectNode node = NODES.objectNode().put("name", stats.queue())
        .put("version", stats.version());
    node.putObject("limits")
        .put("maxConcurrency", limits.maxConcurrency())
        .put("maxConcurrencyPerKey", limits.maxConcurrencyPerKey())
        .put("rate", limits.ratePerSecond())
        .put("burst", limits.burst())
        .put("paused", limits.paused());
    node.put("running", stats.running())
        .put("waiting", stats.waiting())
        .put("startsPerSecond", stats.startsPerSecond())
        .put("settling", stats.settling());
    ObjectNode byStatus = node.putObject("tasks");
    for (TaskStatus status : TaskStatus.values()) {
      byStatus.put(status.name(), counts.byStatus().get(status));
    }
    node.put("dueWaiting", counts.dueWaiting());
    return node;
  }

  static ObjectNode bulk(BulkAction.Outcome outcome) {
    return NODES.objectNode()
        .put("matched", outcome.matched())
        .put("done", outcome.done())
        .put("failed", outcome.failed())
        .put("dryRun", outcome.dryRun());
  }

  static ObjectNode cluster(ClusterView view) {
    ObjectNode node = NODES.objectNode().put("self", view.self());
    ArrayNode members = node.putArray("members");
    for (ClusterView.Member member : view.members()) {
      ObjectNode m = members.addObject().put("address", member.address())
          .put("status", member.status()).put("reachable", member.reachable());
      ArrayNode roles = m.putArray("roles");
      member.roles().forEach(roles::add);
    }
    ArrayNode distribution = node.putArray("shards");
    for (ClusterView.Distribution row : view.distribution()) {
      distribution.addObject()
          .put("entityType", row.entityType())
          .put("address", row.address())
          .put("shards", row.shards())
          .put("entities", row.entities());
    }
    return node;
  }

  static ObjectNode caller(ApiKeys.Caller caller) {
    ObjectNode node = NODES.objectNode().put("name", caller.name());
    ArrayNode scopes = node.putArray("scopes");
    caller.scopes().stream().map(Scope::label).sorted().forEach(scopes::add);
    return node;
  }

  static ObjectNode taskTypes(java.util.Set<String> types) {
    ObjectNode node = NODES.objectNode();
    ArrayNode array = node.putArray("types");
    types.stream().sorted().forEach(array::add);
    return node;
  }

  static ObjectNode audit(List<AuditLog.Entry> entries) {
    ObjectNode node = NODES.objectNode();
    ArrayNode array = node.putArray("entries");
    for (AuditLog.Entry entry : entries) {
      array.addObject().put("at", entry.at().toString()).put("who", entry.who())
          .put("method", entry.method()).put("path", entry.path()).put("status", entry.status());
    }
    return node;
  }

  static ObjectNode error(String code, String message, String field) {
    ObjectNode node = NODES.objectNode();
    node.putObject("error").put("code", code).put("message", message).put("field", field);
    return node;
  }
}
