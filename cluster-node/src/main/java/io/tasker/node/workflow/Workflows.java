package io.tasker.node.workflow;

import com.fasterxml.jackson.databind.JsonNode;
import io.tasker.node.WorkflowDefinition;
import io.tasker.node.WorkflowExecution;
import io.tasker.node.WorkflowExecutionPage;
import io.tasker.node.WorkflowNotFoundException;
import io.tasker.node.WorkflowStateConflictException;
import io.tasker.node.WorkflowStatus;
import io.tasker.node.index.JdbcTaskIndex;
import io.tasker.protocol.Validation;
import io.tasker.protocol.ValidationException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * A node's workflows: the definitions it knows (its own, from code or configuration, and those
 * stored cluster-wide; where both have a name, the highest version wins) and the executions it
 * starts and asks about. {@code TaskerNode} delegates its workflow API here.
 */
public final class Workflows {
  /** Asks an execution entity, answering on the actor system's dispatcher. */
  @FunctionalInterface
  public interface ExecutionAsk {
    CompletionStage<WorkflowExecutionEntity.Reply> ask(String executionId,
        Function<ActorRef<WorkflowExecutionEntity.Reply>, WorkflowExecutionEntity.Command> command,
        Duration timeout);
  }

  private static final int MAX_EXECUTION_ID_LENGTH = 64;

  private final DefinedWorkflows defined = new DefinedWorkflows();
  private final StoredWorkflows stored;
  private final ExecutionList executions;
  private final Supplier<Set<String>> localTypes;
  private final Supplier<Set<String>> clusterTypes;
  private final ExecutionAsk ask;
  private final Duration askTimeout;
  private final Duration watch;

  /**
   * @param localTypes the task types this node handles
   * @param clusterTypes the task types some member of the cluster handles
   * @param watch the longest single wait for an execution's end (a wait held by an execution
   *     that moves or restarts is lost with it, so longer waits are made of such slices)
   */
  public Workflows(JdbcTaskIndex index, Supplier<Set<String>> localTypes,
      Supplier<Set<String>> clusterTypes, ExecutionAsk ask, Duration askTimeout, Duration watch) {
    this.stored = new StoredWorkflows(index);
    this.executions = new ExecutionList(index);
    this.localTypes = localTypes;
    this.clusterTypes = clusterTypes;
    this.ask = ask;
    this.askTimeout = askTimeout;
    this.watch = watch;
  }

  // Definitions

  public WorkflowDefinition define(WorkflowDefinition definition) {
    return defined.define(definition, localTypes.get());
  }

  public CompletionStage<Boolean> store(WorkflowDefinition definition) {
    try {
      definition.validate(clusterTypes.get());
      WorkflowDefinition local = defined.get(definition.name(), definition.version());
      if (local != null && !local.equals(definition)) {
        throw new WorkflowStateConflictException("version " + definition.version()
            + " of workflow " + definition.name() + " is defined already with other content:"
            + " give the new definition a new version");
      }
    } catch (RuntimeException invalid) {
      return CompletableFuture.failedFuture(invalid);
    }
    return stored.store(definition);
  }

  /** @param version the version, or {@code null} for the highest */
  public CompletionStage<WorkflowDefinition> get(String name, Integer version) {
    if (version == null) {
      return latest(name);
    }
    WorkflowDefinition local = name == null ? null : defined.get(name, version);
    if (local != null) {
      return CompletableFuture.completedFuture(local);
    }
    return stored.get(name, version).thenApply(found -> found.orElseThrow(
        () -> new WorkflowNotFoundException("version " + version + " of workflow " + name)));
  }

  /** @return the highest version among this node's definitions and the stored ones */
  private CompletionStage<WorkflowDefinition> latest(String name) {
    WorkflowDefinition local;
    try {
      local = defined.latest(name);
    } catch (WorkflowNotFoundException none) {
      local = null;
    }
    WorkflowDefinition ownLatest = local;
    return stored.latest(name).thenApply(found -> {
      if (found.isPresent() && (ownLatest == null || found.get().version() > ownLatest.version())) {
        return found.get();
      }
      if (ownLatest == null) {
        throw new WorkflowNotFoundException("workflow " + name);
      }
      return ownLatest;
    });
  }

  /** @return every version of every workflow, by name then version */
  public CompletionStage<List<WorkflowDefinition>> all() {
    return stored.all().thenApply(storedOnes -> {
      Map<String, WorkflowDefinition> all = new TreeMap<>();
      defined.all().forEach(d -> all.put(sortKey(d), d));
      storedOnes.forEach(d -> all.putIfAbsent(sortKey(d), d));
      return List.copyOf(all.values());
    });
  }

  private static String sortKey(WorkflowDefinition d) {
    return d.name() + '\u0000' + String.format("%010d", d.version());
  }

  // Executions

  public CompletionStage<WorkflowExecutionPage> list(
      String workflow, WorkflowStatus status, int limit, String cursor) {
    try {
      return executions.list(workflow, status, limit, cursor);
    } catch (RuntimeException invalid) {
      return CompletableFuture.failedFuture(invalid);
    }
  }

  /**
   * @param toJson the node's JSON mapping of {@code input}
   * @return the execution's id: random, or derived from the idempotency key
   */
  public CompletionStage<String> start(
      String workflow, Function<Object, JsonNode> toJson, Object input, String idempotencyKey) {
    JsonNode json;
    try {
      if (workflow == null || workflow.isBlank()) {
        throw new WorkflowNotFoundException("workflow " + workflow);
      }
      if (idempotencyKey != null && (idempotencyKey.isEmpty()
          || idempotencyKey.length() > Validation.MAX_KEY_LENGTH)) {
        throw new ValidationException("idempotencyKey",
            "must be 1-" + Validation.MAX_KEY_LENGTH + " characters");
      }
      json = toJson.apply(input);
    } catch (RuntimeException invalid) {
      return CompletableFuture.failedFuture(invalid);
    }
    String id = idempotencyKey == null ? UUID.randomUUID().toString()
        : UUID.nameUUIDFromBytes((workflow + '\u0000' + idempotencyKey)
            .getBytes(StandardCharsets.UTF_8)).toString();
    return latest(workflow).thenCompose(definition -> execution(id,
        replyTo -> new WorkflowExecutionEntity.Start(definition, json, replyTo), askTimeout))
        .thenApply(WorkflowExecution::id);
  }

  public CompletionStage<WorkflowExecution> get(String executionId) {
    return execution(executionId, WorkflowExecutionEntity.Get::new, askTimeout);
  }

  /** @param timeout a checked wait (positive, within the longest wait allowed) */
  public CompletionStage<WorkflowExecution> await(String executionId, Duration timeout) {
    return await(executionId, System.nanoTime() + timeout.toNanos());
  }

  private CompletionStage<WorkflowExecution> await(String executionId, long deadline) {
    Duration left = Duration.ofNanos(deadline - System.nanoTime());
    if (left.compareTo(Duration.ofMillis(10)) < 0) {
      return get(executionId);
    }
    Duration slice = left.compareTo(watch) > 0 ? watch : left;
    return execution(executionId, WorkflowExecutionEntity.AwaitEnd::new, slice)
        .exceptionallyCompose(failure -> {
          Throwable cause = failure instanceof CompletionException ? failure.getCause() : failure;
          return cause instanceof TimeoutException
              ? await(executionId, deadline)
              : CompletableFuture.failedFuture(cause);
        });
  }

  public CompletionStage<WorkflowExecution> cancel(String executionId) {
    return execution(executionId, WorkflowExecutionEntity.Cancel::new, askTimeout);
  }

  public CompletionStage<WorkflowExecution> retry(String executionId) {
    return execution(executionId, WorkflowExecutionEntity.Retry::new, askTimeout);
  }

  private CompletionStage<WorkflowExecution> execution(String id,
      Function<ActorRef<WorkflowExecutionEntity.Reply>, WorkflowExecutionEntity.Command> command,
      Duration timeout) {
    if (id == null || id.isBlank() || id.length() > MAX_EXECUTION_ID_LENGTH) {
      return CompletableFuture.failedFuture(
          new WorkflowNotFoundException("workflow execution " + id));
    }
    return ask.ask(id, command, timeout).thenApply(reply -> {
      if (reply instanceof WorkflowExecutionEntity.Rejected rejected) {
        throw rejected.toException();
      }
      return ((WorkflowExecutionEntity.Current) reply).execution();
    });
  }
}
