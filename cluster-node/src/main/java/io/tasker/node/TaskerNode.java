package io.tasker.node;

import io.tasker.node.internal.NodeHealth;

import io.tasker.node.internal.NodeManagement;

import io.tasker.node.internal.TaskerSettings;

import io.tasker.node.internal.PekkoSettings;
import io.tasker.node.internal.serialization.CborMappers;

import io.tasker.node.internal.alerts.AlertEffects;
import io.tasker.node.internal.alerts.AlertMonitor;
import io.tasker.node.internal.alerts.LatenessWatch;
import io.tasker.node.internal.metrics.NodeMetrics;
import io.tasker.node.journal.JournalMetrics;
import io.micrometer.core.instrument.MeterRegistry;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.tasker.node.index.JdbcTaskIndex;
import io.tasker.node.index.TaskWaker;
import io.tasker.node.journal.SchemaMigrations;
import io.tasker.node.queue.QueueManager;
import io.tasker.node.queue.ParkedTasks;
import io.tasker.node.queue.QueueRuntime;
import io.tasker.node.queue.WorkerNode;
import io.tasker.protocol.QueueStats;
import io.tasker.node.schedule.DeclaredSchedules;
import io.tasker.node.schedule.ScheduleEntity;
import io.tasker.node.schedule.ScheduleRuntime;
import io.tasker.node.ScheduleSpec;
import io.tasker.node.ScheduleView;
import io.tasker.node.task.HandlerRegistry;
import io.tasker.node.task.HandlerRuntime;
import io.tasker.node.task.MiddlewareChain;
import io.tasker.node.task.NewTasks;
import io.tasker.node.task.TaskEntity;
import io.tasker.node.task.TaskPartition;
import io.tasker.node.task.TaskRefs;
import io.tasker.node.task.TaskPlacement;
import io.tasker.node.task.TaskRuntime;
import io.tasker.node.workflow.WorkflowExecutionEntity;
import io.tasker.node.workflow.WorkflowRuntime;
import io.tasker.node.workflow.Workflows;
import io.tasker.protocol.ClusterView;
import io.tasker.protocol.EnqueueRequest;
import io.tasker.protocol.QueueCounts;
import io.tasker.protocol.OutcomeUnknownException;
import io.tasker.protocol.QueueLimits;
import io.tasker.protocol.QueueUpdate;
import io.tasker.protocol.ScheduleNotFoundException;
import io.tasker.protocol.TaskId;
import io.tasker.protocol.TaskPage;
import io.tasker.protocol.TaskQuery;
import io.tasker.protocol.TaskSpec;
import io.tasker.protocol.TaskView;
import io.tasker.protocol.Validation;
import io.tasker.protocol.ValidationException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingQuery;
import org.apache.pekko.cluster.sharding.typed.GetClusterShardingStats;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;

/**
 * A Tasker node: an actor system in the cluster hosting task entities, queue managers and waker
 * workers. Made by {@link TaskerBuilder#start()}.
 */
public final class TaskerNode implements Tasker {
  private final ActorSystem<Void> system;
  private final ClusterSharding sharding;
  private final TaskRefs tasks;
  private final HandlerRegistry registry;
  private final JdbcTaskIndex index;
  private final ExecutorService workers;
  private final ScheduledExecutorService watchdog;
  private final Clock clock;
  private static final Duration CLUSTER_STATS_TIMEOUT = Duration.ofSeconds(2);
  private final Duration askTimeout;
  private final Duration readyTimeout;
  private final NewTasks newTasks;
  private final OutcomeWaits outcomes;
  private final NodeMetrics metrics;
  private final Workflows workflows;
  // the database ping of readiness checks, shared while it is in flight
  private final AtomicReference<CompletableFuture<Boolean>> databasePing =
      new AtomicReference<>(CompletableFuture.completedFuture(false));
  // how long an execution's wait for a step's task lasts before it is renewed
  private static final Duration WORKFLOW_WATCH = Duration.ofSeconds(30);
  /**
   * How long a batch of new due tasks waits for its queue's manager to say how many may come
   * (past it, all are woken as if admitted: the manager is busy or moving).
   */
  private static final Duration ADMIT_TIMEOUT = Duration.ofSeconds(2);

  private TaskerNode(
      ActorSystem<Void> system,
      HandlerRegistry registry,
      JdbcTaskIndex index,
      ExecutorService workers,
      ScheduledExecutorService watchdog,
      Clock clock,
      TaskerSettings settings,
      NodeMetrics metrics) {
    this.system = system;
    this.metrics = metrics;
    this.sharding = ClusterSharding.get(system);
    this.tasks = new TaskRefs(sharding, settings.shardsPerType);
    this.registry = registry;
    this.index = index;
    this.workflows = new Workflows(index, registry::types, this::clusterTaskTypes,
        (id, command, timeout) -> askEntity(WorkflowExecutionEntity.ENTITY_TYPE_KEY, id, command,
            timeout), settings.askTimeout, WORKFLOW_WATCH);
    this.workers = workers;
    this.watchdog = watchdog;
    this.clock = clock;
    this.askTimeout = settings.askTimeout;
    this.readyTimeout = settings.readyTimeout;
    this.newTasks =
        new NewTasks(system, index, clock, settings.waker.lookahead(),
            registry.middleware().listening(metrics.tasks()), new NewTasks.Entities() {
              @Override
              public CompletionStage<NewTasks.Stored> enqueue(
                  MiddlewareChain.Accepted task, String requestId) {
                return viaEntity(task, requestId);
              }

              @Override
              public void wake(TaskId id) {
                tasks.tell(id, new TaskEntity.Wake(null));
              }

              @Override
              public CompletionStage<Integer> admit(String queue, List<String> holders) {
                return sharding.entityRefFor(QueueManager.ENTITY_TYPE_KEY, queue)
                    .<QueueManager.Admitted>ask(
                        replyTo -> new QueueManager.AdmitNew(holders, replyTo), ADMIT_TIMEOUT)
                    .thenApply(QueueManager.Admitted::count);
              }

              @Override
              public void parked(String queue) {
                sharding.entityRefFor(QueueManager.ENTITY_TYPE_KEY, queue)
                    .tell(new QueueManager.ConfirmParked(NewTasks.class.getSimpleName()));
              }
            });
    this.outcomes = new OutcomeWaits((id, wait, timeout) -> onDispatcher(tasks.ask(
        id, replyTo -> new TaskEntity.AwaitOutcome(wait, replyTo), timeout)), askTimeout);
  }

  static TaskerNode start(
      Config config,
      TaskerSettings settings,
      HandlerRegistry registry,
      Function<String, QueueLimits> queueLimits,
      Clock clock,
      MeterRegistry meterRegistry,
      List<Consumer<AlertEvent>> alertListeners) {
    NodeMetrics metrics = new NodeMetrics(meterRegistry);
    java.util.Optional<NodeManagement> management = NodeManagement.find();
    if (settings.management.enabled() && management.isEmpty()) {
      throw new IllegalStateException((settings.bootstrap.enabled()
          ? "tasker.bootstrap.enabled" : "tasker.management.enabled")
          + " needs io.tasker:tasker-management on the class path (./tasker adds it when"
          + " TASKER_MANAGEMENT or TASKER_BOOTSTRAP is on)");
    }
    SchemaMigrations.apply(settings.journal); // before the journal and the index open
    Config required = management
        .map(m -> m.requiredPekkoConfig().withFallback(PekkoSettings.required()))
        .orElseGet(PekkoSettings::required);
    Config withRequired = PekkoSettings.applyTo(config, required);
    List<String> roles = new java.util.ArrayList<>(settings.roles);
    if (roles.contains(TaskPartition.WORKER_ROLE)) {
      registry.types().stream().sorted().map(TaskPlacement::roleFor).forEach(roles::add);
    }
    Map<String, Object> membership = new java.util.HashMap<>();
    membership.put("pekko.cluster.roles", roles);
    if (!settings.seedNodes.isEmpty()) {
      membership.put("pekko.cluster.seed-nodes", settings.seedNodes);
    }
    Config derived = ConfigFactory.parseMap(membership);
    if (settings.management.enabled()) {
      derived = derived.withFallback(management.get().pekkoConfig(settings, withRequired));
    }
    Config resolved = derived
        .withFallback(settings.journal.toPekkoConfig())
        .withFallback(withRequired);
    ActorSystem<Void> system =
        ActorSystem.create(Behaviors.empty(), "tasker", CborMappers.actorSystemSetup(resolved));
    JournalMetrics.set(system.classicSystem(), metrics.journal()); // before any entity writes
    Cluster cluster = Cluster.get(system);
    if (settings.management.enabled()) {
      management.get().start(system, settings);
    }
    if (!settings.bootstrap.enabled()
        && resolved.getStringList("pekko.cluster.seed-nodes").isEmpty()) {
      cluster.manager().tell(Join.create(cluster.selfMember().address()));
    }
    ExecutorService workers =
        Executors.newFixedThreadPool(settings.workerThreads, daemonThreads("tasker-worker-"));
    ScheduledExecutorService watchdog =
        Executors.newSingleThreadScheduledExecutor(daemonThreads("tasker-timeouts-"));
    ClusterSharding sharding = ClusterSharding.get(system);
    TaskRefs taskRefs = new TaskRefs(sharding, settings.shardsPerType);
    JdbcTaskIndex index = JdbcTaskIndex.open(settings.journal, settings.indexPoolSize);
    QueueManager.initSharding(system, queueLimits,
        QueueRuntime.of(settings.permitLease, settings.permitStartUpGrace, settings.maxWaiting,
            parkedTasks(index, taskRefs), metrics.queues()), TaskPartition.WORKER_ROLE);
    String node =
        settings.nodeName.isBlank()
            ? cluster.selfMember().address().hostPort()
            : settings.nodeName;
    TaskPartition.initSharding(
        system,
        new TaskRuntime(
            new HandlerRuntime(registry, workers, watchdog, clock, metrics.tasks()),
            queue -> sharding.entityRefFor(QueueManager.ENTITY_TYPE_KEY, queue),
            clock,
            () -> ThreadLocalRandom.current().nextDouble(),
            node,
            new WorkerNode(cluster.selfMember().uniqueAddress().toString(),
                settings.workerMaxStarted),
            settings.permitKeepAlive,
            settings.waitingKeepAlive,
            index,
            settings.lease,
            settings.keepAliveWindow,
            settings.startAhead,
            registry.middleware().listening(metrics.tasks())),
        settings.rebalanceShare);
    TaskerNode tasker =
        new TaskerNode(system, registry, index, workers, watchdog, clock, settings, metrics);
    ScheduleEntity.initSharding(system, new ScheduleRuntime(
        clock, tasker::enqueue, tasker::get, index, settings.scheduling, metrics.schedules()));
    WorkflowExecutionEntity.initSharding(system, new WorkflowRuntime(clock, tasker::enqueue,
        tasker::result, tasker::cancel, WORKFLOW_WATCH, Duration.ofSeconds(1)));
    metrics.refreshEvery(settings.metricsRefreshInterval, system, tasker::counts);
    // one per checker: a moving singleton zeroes its own gauges, not the node's lateness one
    java.util.function.Supplier<AlertEffects> alertEffects = () -> new AlertEffects(
        metrics.registry(), alertListeners, settings.alerts.taskType(), tasker::enqueue);
    AlertMonitor.init(system, settings.alerts, new AlertMonitor.Signals() {
      @Override
      public CompletionStage<List<QueueCounts>> counts(Instant now) {
        return index.counts(now);
      }

      @Override
      public CompletionStage<List<JdbcTaskIndex.FinishedAttempts>> finishedAttempts(
          Instant since) {
        return index.finishedAttempts(since);
      }
    }, clock, alertEffects.get());
    LatenessWatch.start(system, settings.alerts, metrics.tasks().latenessSamples(), clock,
        alertEffects.get());
    TaskWaker.init(system, index,
        List.of(TaskWaker.tasks(index, taskRefs::tell), ScheduleEntity.wakeTarget(index, sharding),
            WorkflowExecutionEntity.wakeTarget(index, sharding)),
        settings.waker, clock);
    system.log().info("Tasker node {} started with handlers {}", node, registry.types());
    NodeHealth.get(system.classicSystem()).readiness(tasker::ready);
    tasker.declare(settings.schedules);
    for (WorkflowDefinition workflow : settings.workflows) {
      try {
        tasker.defineWorkflow(workflow);
      } catch (WorkflowDefinitionException invalid) {
        tasker.close();
        throw new IllegalArgumentException("tasker.workflows." + workflow.name() + "."
            + invalid.field() + ": " + invalid.reason(), invalid);
      }
    }
    return tasker;
  }

  /** Parked tasks as queue managers reach them: found in the index, woken through sharding. */
  private static ParkedTasks parkedTasks(JdbcTaskIndex index, TaskRefs tasks) {
    return new ParkedTasks() {
      @Override
      public CompletionStage<List<String>> next(String queue, int limit) {
        return index.parked(queue, limit);
      }

      @Override
      public void wake(String taskId) {
        // no indexed wake time: a parked row has none
        tasks.tell(TaskId.of(taskId), new TaskEntity.Wake(null));
      }
    };
  }

  /**
   * Upserts the schedules of the configuration. Invalid ones stop the start; storing them
   * happens in the background (the cluster may still be forming) and failures are logged.
   */
  private void declare(List<DeclaredSchedules.Declared> declared) {
    for (DeclaredSchedules.Declared d : declared) {
      try {
        d.spec().validate(clock.instant(), this::validate);
      } catch (ValidationException invalid) {
        close();
        throw new IllegalArgumentException("tasker.schedules." + d.spec().id() + "."
            + invalid.field() + ": " + invalid.reason(), invalid);
      }
    }
    for (DeclaredSchedules.Declared d : declared) {
      getSchedule(d.spec().id())
          .handle((existing, missing) -> d.pausedDeclared() || existing == null
              ? d.spec()
              : d.spec().withPaused(existing.spec().paused()))
          .thenCompose(this::upsertSchedule)
          .whenComplete((view, failure) -> {
            if (failure != null) {
              system.log().error("declared schedule {} could not be stored: {}",
                  d.spec().id(), failure.toString());
            }
          });
    }
  }

  @Override
  public CompletionStage<ScheduleView> upsertSchedule(ScheduleSpec spec) {
    try {
      spec.validate(clock.instant(), this::validate);
    } catch (RuntimeException invalid) {
      return CompletableFuture.failedFuture(invalid);
    }
    return schedule(spec.id(), replyTo -> new ScheduleEntity.Upsert(spec, replyTo));
  }

  @Override
  public CompletionStage<ScheduleView> getSchedule(String id) {
    return schedule(id, ScheduleEntity.Get::new);
  }

  @Override
  public CompletionStage<List<ScheduleView>> schedules() {
    return index.scheduleIds().thenCompose(ids -> {
      List<CompletableFuture<ScheduleView>> views = ids.stream()
          .map(id -> getSchedule(id).toCompletableFuture()
              .exceptionally(failure -> null)) // deleted meanwhile
          .toList();
      return CompletableFuture.allOf(views.toArray(CompletableFuture[]::new))
          .thenApply(done -> views.stream().map(CompletableFuture::join)
              .filter(java.util.Objects::nonNull).toList());
    });
  }

  @Override
  public CompletionStage<ScheduleView> deleteSchedule(String id) {
    return schedule(id, ScheduleEntity.Delete::new);
  }

  @Override
  public CompletionStage<ScheduleView> pauseSchedule(String id) {
    return schedule(id, ScheduleEntity.Pause::new);
  }

  @Override
  public CompletionStage<ScheduleView> resumeSchedule(String id) {
    return schedule(id, ScheduleEntity.Resume::new);
  }

  @Override
  public CompletionStage<ScheduleView> triggerSchedule(String id) {
    return schedule(id, ScheduleEntity.FireNow::new);
  }

  private CompletionStage<ScheduleView> schedule(
      String id, Function<ActorRef<ScheduleEntity.Reply>, ScheduleEntity.Command> command) {
    if (!Validation.isName(id)) {
      return CompletableFuture.failedFuture(new ScheduleNotFoundException(String.valueOf(id)));
    }
    return askEntity(ScheduleEntity.ENTITY_TYPE_KEY, id, command, askTimeout)
        .thenApply(reply -> {
          if (reply instanceof ScheduleEntity.Rejected rejected) {
            throw rejected.toException(id);
          }
          return ((ScheduleEntity.Current) reply).schedule();
        });
  }

  @Override
  public CompletionStage<EnqueueResult> enqueue(EnqueueRequest request) {
    MiddlewareChain.Accepted accepted;
    try {
      accepted = registry.accept(request, clock.instant());
    } catch (RuntimeException invalid) {
      metrics.enqueues().rejected(invalid);
      return CompletableFuture.failedFuture(invalid);
    }
    return countRejection(enqueue(accepted));
  }

  private <T> CompletionStage<T> countRejection(CompletionStage<T> answer) {
    return answer.whenComplete((done, failure) -> {
      if (failure != null) {
        metrics.enqueues().rejected(failure);
      }
    });
  }

  /**
   * New tasks are stored together, without their partitions (see {@link NewTasks}): concurrent
   * single enqueues in one transaction, a list in one per {@value NewTasks#PER_TRANSACTION}
   * tasks.
   */
  private CompletionStage<EnqueueResult> enqueue(MiddlewareChain.Accepted accepted) {
    // the store goes on after the wait ends (and tells the middlewares how it ended)
    return outcomeUnknownOnTimeout(accepted.id(), "enqueue", newTasks.storeOne(accepted)
        .toCompletableFuture().orTimeout(askTimeout.toMillis(), TimeUnit.MILLISECONDS))
        .thenApply(TaskerNode::result);
  }

  private static EnqueueResult result(NewTasks.Stored stored) {
    return new EnqueueResult(stored.task(), stored.created());
  }

  /**
   * Idempotent: a repeat reaches the same task and stores nothing; a redelivery of this very
   * enqueue ({@code requestId}) is told it created the task if its first delivery did.
   */
  private CompletionStage<NewTasks.Stored> viaEntity(
      MiddlewareChain.Accepted accepted, String requestId) {
    TaskId id = accepted.id();
    return outcomeUnknownOnTimeout(id, "enqueue", askRedelivering(id,
        replyTo -> new TaskEntity.Enqueue(accepted.spec(), requestId, replyTo)))
        .thenApply(stored -> new NewTasks.Stored(stored.task(), stored.created()));
  }

  @Override
  public CompletionStage<List<EnqueueResult>> enqueueAll(List<EnqueueRequest> requests) {
    List<MiddlewareChain.Accepted> accepted;
    try {
      accepted = registry.acceptAll(validateAll(requests));
    } catch (RuntimeException invalid) {
      metrics.enqueues().rejected(invalid);
      return CompletableFuture.failedFuture(invalid);
    }
    List<CompletableFuture<List<EnqueueResult>>> parts = new java.util.ArrayList<>();
    for (int from = 0; from < accepted.size(); from += NewTasks.PER_TRANSACTION) {
      List<MiddlewareChain.Accepted> batch = accepted.subList(from,
          Math.min(accepted.size(), from + NewTasks.PER_TRANSACTION));
      parts.add(newTasks.store(batch).toCompletableFuture()
          .thenApply(stored -> stored.stream().map(TaskerNode::result).toList()));
    }
    return countRejection(CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new))
        .thenApply(done -> parts.stream().flatMap(part -> part.join().stream()).toList()));
  }

  @Override
  public CompletionStage<TaskView> get(TaskId id) {
    return askRedelivering(id, TaskEntity.Get::new).thenApply(TaskEntity.Accepted::task);
  }

  @Override
  public CompletionStage<TaskView> result(TaskId id) {
    return outcomes.await(id, null);
  }

  @Override
  public CompletionStage<TaskView> result(TaskId id, Duration timeout) {
    try {
      return outcomes.await(id, OutcomeWaits.checked(timeout));
    } catch (ValidationException invalid) {
      return CompletableFuture.failedFuture(invalid);
    }
  }

  @Override
  public CompletionStage<TaskView> cancel(TaskId id) {
    return view(id, TaskEntity.Cancel::new);
  }

  @Override
  public CompletionStage<TaskView> reschedule(TaskId id, Instant runAt, Integer priority) {
    try {
      Validation.time(clock.instant(), runAt, "runAt");
    } catch (ValidationException invalid) {
      return CompletableFuture.failedFuture(invalid);
    }
    return view(id, replyTo -> new TaskEntity.Reschedule(runAt, priority, replyTo));
  }

  @Override
  public CompletionStage<TaskView> retry(TaskId id) {
    return view(id, TaskEntity.Requeue::new);
  }

  @Override
  public CompletionStage<QueueStats> updateQueue(String queue, QueueUpdate update) {
    if (!Validation.isName(queue)) {
      // a stored setting would make a queue of any string; tasks only use valid names
      return CompletableFuture.failedFuture(new ValidationException("queue",
          "must be 1-64 letters, digits or '_.-', starting with a letter or digit"));
    }
    return askEntity(QueueManager.ENTITY_TYPE_KEY, queue,
        replyTo -> new QueueManager.ChangeSettings(update, replyTo), askTimeout);
  }

  @Override
  public CompletionStage<QueueStats> resetQueue(String queue) {
    return askEntity(QueueManager.ENTITY_TYPE_KEY, queue, QueueManager.ResetSettings::new,
        askTimeout);
  }

  @Override
  public CompletionStage<QueueStats> queueStats(String queue) {
    return askEntity(QueueManager.ENTITY_TYPE_KEY, queue, QueueManager.GetStats::new, askTimeout);
  }

  @Override
  public CompletionStage<TaskPage> list(TaskQuery query) {
    try {
      return index.list(query);
    } catch (RuntimeException invalid) {
      return CompletableFuture.failedFuture(invalid);
    }
  }

  @Override
  public CompletionStage<List<QueueCounts>> counts() {
    return index.counts(clock.instant());
  }

  /** The task index, for tests. */
  JdbcTaskIndex index() {
    return index;
  }

  @Override
  public TaskSpec validate(EnqueueRequest request) {
    return registry.resolve(request, clock.instant());
  }

  @Override
  public CompletionStage<ClusterView> cluster() {
    Cluster cluster = Cluster.get(system);
    List<ClusterView.Member> members = new java.util.ArrayList<>();
    Set<org.apache.pekko.cluster.Member> unreachable = cluster.state().getUnreachable();
    cluster.state().getMembers().forEach(member -> members.add(new ClusterView.Member(
        member.address().toString(), member.status().toString(),
        new java.util.TreeSet<>(member.getRoles()), !unreachable.contains(member))));
    CompletableFuture<List<ClusterView.Distribution>> tasks =
        distribution(TaskPartition.ENTITY_TYPE_KEY).toCompletableFuture();
    CompletableFuture<List<ClusterView.Distribution>> queues =
        distribution(QueueManager.ENTITY_TYPE_KEY).toCompletableFuture();
    return tasks.thenCombine(queues, (t, q) -> {
      List<ClusterView.Distribution> all = new java.util.ArrayList<>(t);
      all.addAll(q);
      return new ClusterView(cluster.selfMember().address().toString(), members, all);
    });
  }

  /**
   * Asks every shard region, briefly: a node that died does not answer until it is removed, and
   * the view must answer at once all the same (without its row).
   */
  private CompletionStage<List<ClusterView.Distribution>> distribution(EntityTypeKey<?> type) {
    return onDispatcher(AskPattern.<ClusterShardingQuery, ShardRegion.ClusterShardingStats>ask(
            sharding.shardState(),
            replyTo -> new GetClusterShardingStats(type, CLUSTER_STATS_TIMEOUT, replyTo),
            CLUSTER_STATS_TIMEOUT.plusSeconds(1),
            system.scheduler()))
        .thenApply(stats -> {
          List<ClusterView.Distribution> rows = new java.util.ArrayList<>();
          stats.getRegions().forEach((address, region) -> rows.add(new ClusterView.Distribution(
              type.name(), address.toString(), region.getStats().size(),
              region.getStats().values().stream().mapToInt(n -> ((Number) n).intValue()).sum())));
          return rows;
        })
        .exceptionally(failure -> List.of());
  }

  @Override
  public CompletionStage<Boolean> ready() {
    if (Cluster.get(system).selfMember().status() != MemberStatus.up()) {
      return CompletableFuture.completedFuture(false);
    }
    return databaseAnswers().copy()
        .completeOnTimeout(false, readyTimeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * Pings the database, or joins the ping in flight. While the database is down a ping waits
   * for a pooled connection up to the pool's connection timeout (Hikari's 30 s), on the index's
   * reader threads that enqueues and listings need too: a probe every few seconds must not
   * queue a new ping behind each stuck one.
   */
  private CompletableFuture<Boolean> databaseAnswers() {
    while (true) {
      CompletableFuture<Boolean> current = databasePing.get();
      if (!current.isDone()) {
        return current;
      }
      CompletableFuture<Boolean> next = new CompletableFuture<>();
      if (databasePing.compareAndSet(current, next)) {
        index.ping().whenComplete((done, failure) -> next.complete(failure == null));
        return next;
      }
    }
  }

  @Override
  public WorkflowDefinition defineWorkflow(WorkflowDefinition definition) {
    return workflows.define(definition);
  }

  @Override
  public CompletionStage<Boolean> storeWorkflow(WorkflowDefinition definition) {
    return workflows.store(definition);
  }

  /** @return the task types some member of the cluster handles, this node's included */
  private Set<String> clusterTaskTypes() {
    Set<String> types = new java.util.TreeSet<>(registry.types());
    String prefix = TaskPlacement.roleFor("");
    for (org.apache.pekko.cluster.Member member : Cluster.get(system).state().getMembers()) {
      for (String role : member.getRoles()) {
        if (role.startsWith(prefix)) {
          types.add(role.substring(prefix.length()));
        }
      }
    }
    return types;
  }

  @Override
  public CompletionStage<WorkflowDefinition> getWorkflow(String name, Integer version) {
    return workflows.get(name, version);
  }

  @Override
  public CompletionStage<List<WorkflowDefinition>> workflows() {
    return workflows.all();
  }

  @Override
  public CompletionStage<WorkflowExecutionPage> listWorkflowExecutions(String workflow,
      WorkflowStatus status, int limit, String cursor) {
    return workflows.list(workflow, status, limit, cursor);
  }

  @Override
  public CompletionStage<String> startWorkflow(
      String workflow, Object input, String idempotencyKey) {
    return workflows.start(workflow, Json.MAPPER::valueToTree, input, idempotencyKey);
  }

  @Override
  public CompletionStage<WorkflowExecution> getWorkflowExecution(String executionId) {
    return workflows.get(executionId);
  }

  @Override
  public CompletionStage<WorkflowExecution> awaitWorkflow(String executionId, Duration timeout) {
    try {
      OutcomeWaits.checked(timeout);
    } catch (ValidationException invalid) {
      return CompletableFuture.failedFuture(invalid);
    }
    return workflows.await(executionId, timeout);
  }

  @Override
  public CompletionStage<WorkflowExecution> cancelWorkflow(String executionId) {
    return workflows.cancel(executionId);
  }

  @Override
  public CompletionStage<WorkflowExecution> retryWorkflow(String executionId) {
    return workflows.retry(executionId);
  }

  @Override
  public Set<String> taskTypes() {
    return registry.types();
  }

  /** @return true if this node has the cluster role {@code role} */
  public boolean hasRole(String role) {
    return Cluster.get(system).selfMember().hasRole(role);
  }

  /**
   * @return the registry the node's meters are in: the one given to {@link
   *     TaskerBuilder#meterRegistry}, or else a composite of the node's own (to which the HTTP
   *     gateway adds a Prometheus registry for {@code GET /metrics})
   */
  public MeterRegistry meterRegistry() {
    return metrics.registry();
  }

  /** @return the node's actor system, e.g. to serve HTTP from it */
  public ActorSystem<Void> system() {
    return system;
  }

  @Override
  public void close() {
    outcomes.close();
    metrics.close();
    system.terminate();
    try {
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      system.log().warn("actor system did not terminate in time: {}", e.toString());
    }
    index.close();
    workers.shutdownNow();
    watchdog.shutdownNow();
  }

  /** A change of one task: cancel, reschedule, re-run. */
  private CompletionStage<TaskView> view(
      TaskId id, Function<ActorRef<TaskEntity.Reply>, TaskEntity.Command> command) {
    return outcomeUnknownOnTimeout(id, "change", ask(id, command))
        .thenApply(TaskEntity.Accepted::task);
  }

  /**
   * A write whose answer did not come in time may still commit (its journal write may be queued
   * behind others): say so, rather than that nothing was changed.
   */
  private static <T> CompletionStage<T> outcomeUnknownOnTimeout(
      TaskId id, String change, CompletionStage<T> answer) {
    return answer.exceptionallyCompose(failure -> {
      Throwable cause = failure instanceof java.util.concurrent.CompletionException
          ? failure.getCause() : failure;
      return CompletableFuture.failedFuture(cause instanceof java.util.concurrent.TimeoutException
          ? new OutcomeUnknownException(id, "the " + change + " of task " + id
              + " was not confirmed in time and may or may not have been applied: GET the task"
              + " to find out" + ("enqueue".equals(change)
                  ? "; retrying with the same idempotencyKey is safe" : ""))
          : cause);
    });
  }

  private CompletionStage<TaskEntity.Accepted> ask(
      TaskId id, Function<ActorRef<TaskEntity.Reply>, TaskEntity.Command> command) {
    return ask(id, command, askTimeout);
  }

  /**
   * Asks an idempotent command, sending it again every third of the ask timeout until answered:
   * sharding drops messages buffered for a shard while it is handed off to another node (a
   * rebalance), and a lost command must not cost its caller the whole timeout and an error.
   */
  private CompletionStage<TaskEntity.Accepted> askRedelivering(
      TaskId id, Function<ActorRef<TaskEntity.Reply>, TaskEntity.Command> command) {
    return askRedelivering(id, command, System.nanoTime() + askTimeout.toNanos());
  }

  private CompletionStage<TaskEntity.Accepted> askRedelivering(
      TaskId id, Function<ActorRef<TaskEntity.Reply>, TaskEntity.Command> command, long deadline) {
    Duration left = Duration.ofNanos(deadline - System.nanoTime());
    Duration attempt = left.compareTo(askTimeout.dividedBy(3)) < 0 ? left : askTimeout.dividedBy(3);
    return ask(id, command, attempt).exceptionallyCompose(failure -> {
      Throwable cause = failure instanceof java.util.concurrent.CompletionException
          ? failure.getCause() : failure;
      return cause instanceof java.util.concurrent.TimeoutException
              && deadline - System.nanoTime() > 0
          ? askRedelivering(id, command, deadline)
          : CompletableFuture.failedFuture(cause);
    });
  }

  private CompletionStage<TaskEntity.Accepted> ask(
      TaskId id, Function<ActorRef<TaskEntity.Reply>, TaskEntity.Command> command,
      Duration timeout) {
    return onDispatcher(tasks.ask(id, command, timeout))
        .thenApply(
            reply -> {
              if (reply instanceof TaskEntity.Rejected rejected) {
                throw rejected.toException(id);
              }
              return (TaskEntity.Accepted) reply;
            });
  }

  private static ThreadFactory daemonThreads(String prefix) {
    AtomicInteger count = new AtomicInteger();
    return runnable -> {
      Thread thread = new Thread(runnable, prefix + count.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }

  private <M, R> CompletionStage<R> askEntity(
      EntityTypeKey<M> type, String entityId, Function<ActorRef<R>, ? extends M> command,
      Duration timeout) {
    return onDispatcher(sharding.entityRefFor(type, entityId).<R>ask(command::apply, timeout));
  }

  /**
   * Pekko's asks answer with a future whose plain continuations ({@code thenApply}, ...) all run
   * through the JDK's default async executor, which on machines with fewer than three cores
   * starts a new thread for each. Answers continue on the actor system's dispatcher instead.
   */
  private <T> CompletionStage<T> onDispatcher(CompletionStage<T> pekkoAnswer) {
    CompletableFuture<T> answer = new CompletableFuture<>();
    pekkoAnswer.whenCompleteAsync((value, failure) -> {
      if (failure != null) {
        answer.completeExceptionally(failure);
      } else {
        answer.complete(value);
      }
    }, system.executionContext());
    return answer;
  }
}
