package io.tasker.node.schedule;

import io.tasker.node.ScheduleView;

import io.tasker.node.ScheduleSpec;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.tasker.node.EnqueueResult;
import io.tasker.node.index.JdbcTaskIndex;
import io.tasker.node.index.ScheduleRow;
import io.tasker.node.index.WakeTarget;
import io.tasker.node.journal.EventWithRow;
import io.tasker.node.task.TaskEntity;
import io.tasker.node.task.TaskPartition;
import io.tasker.protocol.EnqueueRequest;
import io.tasker.protocol.ErrorCode;
import io.tasker.protocol.ScheduleNotFoundException;
import io.tasker.protocol.TaskId;
import io.tasker.protocol.TaskNotFoundException;
import io.tasker.protocol.TaskView;
import io.tasker.protocol.TaskerException;
import io.tasker.protocol.TaskerSerializable;
import io.tasker.protocol.TaskerUnavailableException;
import io.tasker.protocol.ValidationException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletionException;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EffectBuilder;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * One recurring schedule, as an event-sourced sharded actor. It is created by an upsert, fires
 * at each fire time of its {@link Trigger} while not paused, and ends when deleted. A firing is
 * persisted ({@link Fired}) before its task is enqueued through the node's normal enqueue path
 * with an idempotency key made of the schedule id and the fire time, then confirmed ({@link
 * TaskCreated}); a firing recovered without its confirmation is enqueued again, which lands on
 * the same task. While alive it keeps a timer for its next fire time; after a restart or a shard
 * move the waker starts it from its row in the schedule index, like a task.
 *
 * <p>The decisions live in {@link State}, a pure value, so inline mode runs the same rules.
 */
public final class ScheduleEntity
    extends EventSourcedBehaviorWithEnforcedReplies<
        ScheduleEntity.Command, ScheduleEntity.Event, ScheduleEntity.State> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY =
      EntityTypeKey.create(Command.class, "Schedule");

  public static void initSharding(ActorSystem<?> system, ScheduleRuntime runtime) {
    ClusterSharding.get(system)
        .init(
            Entity.of(ENTITY_TYPE_KEY, ctx -> create(ctx.getEntityId(), runtime))
                .withRole(TaskPartition.WORKER_ROLE));
  }

  /** The waker's view of schedules: rows of the schedule index, woken with {@link Wake}. */
  public static WakeTarget wakeTarget(JdbcTaskIndex index, ClusterSharding sharding) {
    return new WakeTarget("schedule", index::dueSchedules,
        (id, wakeAt) -> sharding.entityRefFor(ENTITY_TYPE_KEY, id).tell(new Wake(wakeAt)));
  }

  public static Behavior<Command> create(String id, ScheduleRuntime runtime) {
    return Behaviors.setup(
        ctx -> Behaviors.withTimers(timers -> new ScheduleEntity(id, runtime, ctx, timers)));
  }

  // Commands

  public interface Command extends TaskerSerializable {}

  /** Creates or replaces the schedule; an identical spec stores nothing. */
  public record Upsert(ScheduleSpec spec, ActorRef<Reply> replyTo) implements Command {}

  public record Get(ActorRef<Reply> replyTo) implements Command {}

  public record Delete(ActorRef<Reply> replyTo) implements Command {}

  public record Pause(ActorRef<Reply> replyTo) implements Command {}

  /** Resumes a paused schedule from its next future fire time (missed ones are not caught up). */
  public record Resume(ActorRef<Reply> replyTo) implements Command {}

  /** Fires now, regardless of the trigger, pause and overlap policy. */
  public record FireNow(ActorRef<Reply> replyTo) implements Command {}

  /** From the waker: the schedule index says this schedule needs attention. */
  public record Wake(Instant indexedWakeAt) implements Command {}

  private enum Tick implements Command {
    INSTANCE
  }

  private record EnqueueDone(Firing firing, TaskId task, Throwable failure) implements Command {}

  private record PreviousChecked(TaskView task, Throwable failure) implements Command {}

  // Replies

  public interface Reply extends TaskerSerializable {}

  /** @param schedule the schedule after the command */
  public record Current(ScheduleView schedule) implements Reply {}

  public record Rejected(ErrorCode code, String field, String message) implements Reply {
    static Rejected of(TaskerException error) {
      return error instanceof ValidationException invalid
          ? new Rejected(error.code(), invalid.field(), invalid.reason())
          : new Rejected(error.code(), null, error.getMessage());
    }

    /** @return the typed exception this rejection stands for */
    public TaskerException toException(String scheduleId) {
      return switch (code) {
        case VALIDATION_FAILED -> new ValidationException(field, message);
        case SCHEDULE_NOT_FOUND -> new ScheduleNotFoundException(scheduleId);
        default -> new TaskerUnavailableException(message);
      };
    }
  }

  // Events

  public interface Event extends TaskerSerializable {
    Instant at();
  }

  /** @param next the first fire time under this spec */
  public record Upserted(ScheduleSpec spec, Instant next, Instant at) implements Event {}

  public record Paused(Instant at) implements Event {}

  public record Resumed(Instant next, Instant at) implements Event {}

  public record Deleted(Instant at) implements Event {}

  /**
   * A firing, persisted before its task is enqueued.
   *
   * @param runAt when its task may start: the fire time plus this firing's jitter
   * @param manual a firing by {@link FireNow}, keyed apart from the regular fire times
   * @param next the schedule's next fire time after this event
   */
  public record Fired(Instant fireAt, Instant runAt, boolean manual, Instant next, Instant at)
      implements Event {
    Firing firing() {
      return new Firing(fireAt, runAt, manual);
    }
  }

  /** The task of {@code firing} exists. */
  public record TaskCreated(Firing firing, TaskId task, Instant at) implements Event {}

  /** The firing's task was refused for good (e.g. its type has no handler any more). */
  public record FiringFailed(Firing firing, String reason, Instant at) implements Event {}

  /**
   * Fire times that created no task.
   *
   * @param from the first of them
   * @param count how many
   * @param reason {@code misfire}, {@code overlap} or {@code ended}
   */
  public record Skipped(Instant from, long count, String reason, Instant next, Instant at)
      implements Event {}

  /** A fire time held back until the previous firing's task finishes (overlap {@code QUEUE}). */
  public record Queued(Instant fireAt, Instant next, Instant at) implements Event {}

  /**
   * A command's last event with the schedule's row as of it, which the journal writes in the
   * event's transaction. Replays from the journal return the bare event.
   */
  public record Indexed(
      // the journal stores the bare event; only journals that serialize the whole value (the
      // in-memory one of tests) need its type
      @JsonTypeInfo(use = JsonTypeInfo.Id.NAME)
      @JsonSubTypes({
        @JsonSubTypes.Type(Upserted.class),
        @JsonSubTypes.Type(Paused.class),
        @JsonSubTypes.Type(Resumed.class),
        @JsonSubTypes.Type(Deleted.class),
        @JsonSubTypes.Type(Fired.class),
        @JsonSubTypes.Type(TaskCreated.class),
        @JsonSubTypes.Type(FiringFailed.class),
        @JsonSubTypes.Type(Skipped.class),
        @JsonSubTypes.Type(Queued.class)
      })
      Event event,
      ScheduleRow row)
      implements Event, EventWithRow {
    public Instant at() {
      return event.at();
    }
  }

  // State

  /** A firing persisted but not yet confirmed as a task. */
  public record Firing(Instant fireAt, Instant runAt, boolean manual)
      implements TaskerSerializable {

    /** @return the idempotency key of this firing's task */
    public String taskKey(String scheduleId) {
      return ScheduleSpec.taskKey(scheduleId, fireAt) + (manual ? ":manual" : "");
    }
  }

  /**
   * The schedule; {@code spec == null} while it does not exist (never created, or deleted).
   *
   * @param next its next nominal fire time, or {@code null} when past its end
   */
  public record State(
      String id,
      ScheduleSpec spec,
      Instant createdAt,
      Instant updatedAt,
      Instant next,
      Instant lastFireAt,
      TaskId lastTask,
      List<Firing> unenqueued,
      Instant queued,
      long fired,
      long skipped)
      implements TaskerSerializable {

    public State {
      unenqueued = unenqueued == null ? List.of() : List.copyOf(unenqueued);
    }

    public static State empty(String id) {
      return new State(id, null, null, null, null, null, null, List.of(), null, 0, 0);
    }

    public boolean exists() {
      return spec != null;
    }

    /** @return the event of an upsert, or empty if {@code spec} changes nothing */
    public Optional<Event> upsert(ScheduleSpec spec, Instant now) {
      if (spec.equals(this.spec)) {
        return Optional.empty();
      }
      Instant created = exists() ? createdAt : now;
      boolean sameTrigger = exists()
          && Objects.equals(spec.cron(), this.spec.cron())
          && Objects.equals(spec.interval(), this.spec.interval())
          && Objects.equals(spec.zone(), this.spec.zone())
          && Objects.equals(spec.startAt(), this.spec.startAt())
          && Objects.equals(spec.endAt(), this.spec.endAt())
          && spec.paused() == this.spec.paused();
      return Optional.of(
          new Upserted(spec, sameTrigger ? next : firstAfter(spec, created, now), now));
    }

    /** @return the event of a pause, or empty if paused already */
    public Optional<Event> pause(Instant now) {
      return spec.paused() ? Optional.empty() : Optional.of(new Paused(now));
    }

    /** @return the event of a resume, or empty if not paused */
    public Optional<Event> resume(Instant now) {
      return spec.paused()
          ? Optional.of(new Resumed(firstAfter(spec, createdAt, now), now))
          : Optional.empty();
    }

    /** @return a firing for now, with no jitter, leaving the next fire time as it is */
    public Event fireNow(Instant now) {
      Instant at = now.truncatedTo(ChronoUnit.MILLIS);
      return new Fired(at, at, true, next, now);
    }

    /**
     * @return whether {@link #evaluate} needs to know if the previous firing's task is running
     */
    public boolean needsPreviousCheck(Instant now) {
      return exists() && !spec.paused() && spec.overlap() != ScheduleSpec.Overlap.ALLOW
          && lastTask != null && (queued != null || (next != null && !next.isAfter(now)));
    }

    /**
     * The core decision: what happens at {@code now}. Fire times that have come are fired,
     * skipped or queued per the overlap policy; if some were missed (older than the misfire
     * threshold) the misfire policy picks which fire.
     *
     * @param previousRunning whether the latest firing's task has not finished yet
     * @return the events to persist, none if nothing is due
     */
    public List<Event> evaluate(Instant now, boolean previousRunning, ScheduleSettings settings) {
      List<Event> events = new ArrayList<>();
      if (!exists() || spec.paused() || !unenqueued.isEmpty()) {
        return events;
      }
      boolean exclusive = spec.overlap() != ScheduleSpec.Overlap.ALLOW;
      boolean running = previousRunning;
      if (queued != null && !running) {
        events.add(new Fired(queued, runAt(queued), false, next, now));
        running = exclusive;
      }
      if (next == null || next.isAfter(now)) {
        return events;
      }
      Trigger trigger = triggerOf(spec, createdAt);
      Instant until = spec.endAt() != null && spec.endAt().isBefore(now) ? spec.endAt() : now;
      Instant newNext = trigger.nextAfter(now)
          .filter(t -> spec.endAt() == null || !t.isAfter(spec.endAt())).orElse(null);
      int max = spec.misfire() == ScheduleSpec.Misfire.RUN_ALL ? settings.runAllCap() : 1;
      List<Instant> due = next.isAfter(until) ? List.of() : trigger.latestBetween(next, until, max);
      long total = next.isAfter(until) ? 0 : count(trigger, next, until);
      Instant lateBefore = now.minus(settings.misfireThreshold());
      List<Instant> toFire = spec.misfire() == ScheduleSpec.Misfire.SKIP
          ? due.stream().filter(t -> !t.isBefore(lateBefore)).toList()
          : due;
      if (total > toFire.size()) {
        events.add(new Skipped(next, total - toFire.size(), "misfire", newNext, now));
      }
      for (Instant fireAt : toFire) {
        if (running && spec.overlap() == ScheduleSpec.Overlap.SKIP) {
          events.add(new Skipped(fireAt, 1, "overlap", newNext, now));
        } else if (running && spec.overlap() == ScheduleSpec.Overlap.QUEUE) {
          events.add(new Queued(fireAt, newNext, now));
        } else {
          events.add(new Fired(fireAt, runAt(fireAt), false, newNext, now));
          running = exclusive;
        }
      }
      if (events.isEmpty() || !Objects.equals(nextOf(events.get(events.size() - 1)), newNext)) {
        events.add(new Skipped(next, 0, "ended", newNext, now));
      }
      return events;
    }

    /** When the task of the firing at {@code fireAt} may start: jitter delays, never advances. */
    public Instant runAt(Instant fireAt) {
      if (spec.jitter().isZero()) {
        return fireAt;
      }
      double share = new SplittableRandom(id.hashCode() * 1_000_003L ^ fireAt.toEpochMilli())
          .nextDouble();
      return fireAt.plusMillis((long) (spec.jitter().toMillis() * share));
    }

    /** @return when this schedule's entity next needs to be alive, or {@code null} */
    public Instant wakeAt() {
      if (!exists()) {
        return null;
      }
      if (!unenqueued.isEmpty()) {
        return unenqueued.get(0).fireAt();
      }
      if (spec.paused()) {
        return null;
      }
      return queued != null ? queued : next;
    }

    /** @return the schedule as callers see it, with its next {@code upcoming} fire times */
    public ScheduleView toView(int upcoming) {
      List<Instant> times = new ArrayList<>();
      if (!spec.paused() && next != null) {
        times.add(next);
        triggerOf(spec, createdAt).next(next, upcoming - 1).stream()
            .filter(t -> spec.endAt() == null || !t.isAfter(spec.endAt()))
            .forEach(times::add);
      }
      return new ScheduleView(spec, createdAt, updatedAt, spec.paused() ? null : next,
          List.copyOf(times), lastFireAt, lastTask, queued, fired, skipped);
    }

    public State apply(Event event) {
      if (event instanceof Indexed indexed) {
        return apply(indexed.event());
      } else if (event instanceof Upserted e) {
        return new State(id, e.spec(), exists() ? createdAt : e.at(), e.at(), e.next(),
            lastFireAt, lastTask, unenqueued, queued, fired, skipped);
      } else if (event instanceof Paused e) {
        return new State(id, spec.withPaused(true), createdAt, e.at(), next, lastFireAt,
            lastTask, unenqueued, queued, fired, skipped);
      } else if (event instanceof Resumed e) {
        return new State(id, spec.withPaused(false), createdAt, e.at(), e.next(), lastFireAt,
            lastTask, unenqueued, null, fired, skipped);
      } else if (event instanceof Deleted) {
        return empty(id);
      } else if (event instanceof Fired e) {
        List<Firing> pending = new ArrayList<>(unenqueued);
        pending.add(e.firing());
        boolean latest = lastFireAt == null || !e.fireAt().isBefore(lastFireAt);
        return new State(id, spec, createdAt, e.at(), e.next(),
            latest ? e.fireAt() : lastFireAt, latest ? null : lastTask, pending,
            !e.manual() && e.fireAt().equals(queued) ? null : queued, fired + 1, skipped);
      } else if (event instanceof TaskCreated e) {
        return new State(id, spec, createdAt, updatedAt, next, lastFireAt,
            e.firing().fireAt().equals(lastFireAt) ? e.task() : lastTask, without(e.firing()),
            queued, fired, skipped);
      } else if (event instanceof FiringFailed e) {
        return new State(id, spec, createdAt, e.at(), next, lastFireAt, lastTask,
            without(e.firing()), queued, fired - 1, skipped + 1);
      } else if (event instanceof Skipped e) {
        return new State(id, spec, createdAt, e.at(), e.next(), lastFireAt, lastTask,
            unenqueued, queued, fired, skipped + e.count());
      } else if (event instanceof Queued e) {
        return new State(id, spec, createdAt, e.at(), e.next(), lastFireAt, lastTask,
            unenqueued, e.fireAt(), fired, skipped + (queued != null ? 1 : 0));
      }
      throw new IllegalArgumentException("unknown event " + event);
    }

    private List<Firing> without(Firing firing) {
      return unenqueued.stream().filter(f -> !f.equals(firing)).toList();
    }

    private static Instant nextOf(Event event) {
      if (event instanceof Fired e) {
        return e.next();
      } else if (event instanceof Skipped e) {
        return e.next();
      } else if (event instanceof Queued e) {
        return e.next();
      }
      return null;
    }

    /** Fire times in {@code [from, to]}, counted up to a bound (a long outage of a fast cron). */
    private static long count(Trigger trigger, Instant from, Instant to) {
      long n = 0;
      Instant at = from.minusNanos(1);
      while (n < 100_000) {
        Optional<Instant> next = trigger.nextAfter(at);
        if (next.isEmpty() || next.get().isAfter(to)) {
          break;
        }
        n++;
        at = next.get();
      }
      return n;
    }

    /** @return the first fire time of {@code spec} after {@code now} (and its start), or null */
    static Instant firstAfter(ScheduleSpec spec, Instant created, Instant now) {
      Instant from = spec.startAt() != null && spec.startAt().isAfter(now)
          ? spec.startAt().minusNanos(1)
          : now;
      return triggerOf(spec, created).nextAfter(from)
          .filter(t -> spec.endAt() == null || !t.isAfter(spec.endAt()))
          .orElse(null);
    }
  }

  // Behaviour

  /** How many upcoming fire times a view shows. */
  public static final int UPCOMING = 5;

  private static final Duration MAX_TIMER = Duration.ofDays(1);

  private final String id;
  private final ScheduleRuntime runtime;
  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final Set<Firing> enqueuing = new HashSet<>();
  private boolean checking;

  private ScheduleEntity(
      String id,
      ScheduleRuntime runtime,
      ActorContext<Command> context,
      TimerScheduler<Command> timers) {
    super(
        PersistenceId.of(ENTITY_TYPE_KEY.name(), id),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(10), 0.2));
    this.id = id;
    this.runtime = runtime;
    this.context = context;
    this.timers = timers;
  }

  @Override
  public State emptyState() {
    return State.empty(id);
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(100, 2);
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(State::apply);
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), state -> context.getSelf().tell(Tick.INSTANCE))
        .build();
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder().forAnyState()
        .onAnyCommand(this::onCommand);
  }

  private ReplyEffect<Event, State> onCommand(State state, Command command) {
    Instant now = runtime.clock().instant();
    if (command instanceof Upsert upsert) {
      try {
        ScheduleSpec spec = upsert.spec().validate();
        if (!spec.id().equals(id)) {
          throw new ValidationException("id", "does not match the schedule's id " + id);
        }
        Optional<Event> event = state.upsert(spec, now);
        return event.isPresent()
            ? persistAndReply(state, List.of(event.get()), upsert.replyTo())
            : Effect().reply(upsert.replyTo(), current(state));
      } catch (ValidationException invalid) {
        return Effect().reply(upsert.replyTo(), Rejected.of(invalid));
      }
    }
    if (command instanceof Get get) {
      return Effect().reply(get.replyTo(), state.exists() ? current(state) : notFound());
    }
    if (command instanceof Delete delete) {
      if (!state.exists()) {
        return Effect().reply(delete.replyTo(), notFound());
      }
      ScheduleView last = state.toView(UPCOMING);
      return persist(state, List.of(new Deleted(now)))
          .thenRun(after -> timers.cancelAll())
          .thenReply(delete.replyTo(), after -> new Current(last));
    }
    if (command instanceof Pause pause) {
      return changeBy(state, pause.replyTo(), s -> s.pause(now).map(List::of));
    }
    if (command instanceof Resume resume) {
      return changeBy(state, resume.replyTo(), s -> s.resume(now).map(List::of));
    }
    if (command instanceof FireNow fire) {
      return changeBy(state, fire.replyTo(), s -> Optional.of(List.of(s.fireNow(now))));
    }
    if (command instanceof Wake || command instanceof Tick) {
      if (!state.exists()) {
        if (command instanceof Wake) {
          // a row an earlier version left behind
          runtime.index().removeStaleRow(id, lastSequenceNumber(context));
        }
        return Effect().noReply();
      }
      return evaluate(state);
    }
    if (command instanceof EnqueueDone done) {
      return onEnqueueDone(state, done);
    }
    if (command instanceof PreviousChecked checked) {
      return onPreviousChecked(state, checked);
    }
    throw new IllegalArgumentException("unknown command " + command);
  }

  private ReplyEffect<Event, State> changeBy(
      State state,
      ActorRef<Reply> replyTo,
      java.util.function.Function<State, Optional<List<Event>>> decision) {
    if (!state.exists()) {
      return Effect().reply(replyTo, notFound());
    }
    Optional<List<Event>> events = decision.apply(state);
    return events.isPresent()
        ? persistAndReply(state, events.get(), replyTo)
        : Effect().reply(replyTo, current(state));
  }

  private ReplyEffect<Event, State> persistAndReply(
      State state, List<Event> events, ActorRef<Reply> replyTo) {
    return persist(state, events).thenRun(this::afterPersist).thenReply(replyTo, this::current);
  }

  /** Persists {@code events}, the last one with the schedule's row as of it (one transaction). */
  private EffectBuilder<Event, State> persist(State state, List<Event> events) {
    State after = state;
    for (Event event : events) {
      after = after.apply(event);
    }
    long seqNr = lastSequenceNumber(context) + events.size();
    ScheduleRow row = after.exists()
        ? ScheduleRow.of(id, after.wakeAt(), seqNr)
        : ScheduleRow.removed(id, seqNr);
    List<Event> withRow = new ArrayList<>(events);
    int last = withRow.size() - 1;
    withRow.set(last, new Indexed(withRow.get(last), row));
    ScheduleSpec spec = after.exists() ? after.spec() : state.spec();
    return Effect().persist(withRow)
        .thenRun(stored -> events.forEach(event -> runtime.metrics().recorded(spec, event)));
  }

  private ReplyEffect<Event, State> evaluate(State state) {
    Instant now = runtime.clock().instant();
    startEnqueues(state);
    if (!state.unenqueued().isEmpty() || checking) {
      armTimer(state, now);
      return Effect().noReply();
    }
    if (state.needsPreviousCheck(now)) {
      checking = true;
      context.pipeToSelf(runtime.task().apply(state.lastTask()), PreviousChecked::new);
      return Effect().noReply();
    }
    return decide(state, false, now);
  }

  private ReplyEffect<Event, State> onPreviousChecked(State state, PreviousChecked checked) {
    checking = false;
    Instant now = runtime.clock().instant();
    boolean running;
    if (checked.failure() == null) {
      running = !checked.task().status().isTerminal();
    } else if (unwrap(checked.failure()) instanceof TaskNotFoundException) {
      running = false; // removed by retention: certainly finished
    } else {
      context.getLog().warn("schedule {}: cannot check task {}: {}", id, state.lastTask(),
          checked.failure().toString());
      timers.startSingleTimer(Tick.INSTANCE, runtime.settings().pollInterval());
      return Effect().noReply();
    }
    return decide(state, running, now);
  }

  private ReplyEffect<Event, State> decide(State state, boolean running, Instant now) {
    List<Event> events = state.evaluate(now, running, runtime.settings());
    if (events.isEmpty()) {
      armTimer(state, now);
      return Effect().noReply();
    }
    events.forEach(e -> context.getLog().info("schedule {}: {}", id, e));
    return persist(state, events).thenRun(this::afterPersist).thenNoReply();
  }

  private void afterPersist(State after) {
    startEnqueues(after);
    armTimer(after, runtime.clock().instant());
  }

  private void startEnqueues(State state) {
    for (Firing firing : state.unenqueued()) {
      if (enqueuing.add(firing)) {
        EnqueueRequest request = state.spec().task()
            .withIdempotencyKey(firing.taskKey(id))
            .withRunAt(firing.runAt());
        context.pipeToSelf(runtime.enqueue().apply(request),
            (EnqueueResult result, Throwable failure) ->
                new EnqueueDone(firing, result == null ? null : result.task().id(), failure));
      }
    }
  }

  private ReplyEffect<Event, State> onEnqueueDone(State state, EnqueueDone done) {
    enqueuing.remove(done.firing());
    Instant now = runtime.clock().instant();
    if (!state.unenqueued().contains(done.firing())) {
      return Effect().noReply(); // deleted meanwhile, or confirmed already
    }
    if (done.failure() != null) {
      Throwable cause = unwrap(done.failure());
      if (cause instanceof ValidationException
          || cause instanceof io.tasker.protocol.EnqueueRejectedException) {
        context.getLog().error("schedule {}: the task of the firing at {} was refused: {}", id,
            done.firing().fireAt(), cause.getMessage());
        return persist(state, List.of(new FiringFailed(done.firing(), cause.getMessage(), now)))
            .thenRun(this::afterPersist).thenNoReply();
      }
      context.getLog().warn("schedule {}: enqueue of the firing at {} failed, retrying: {}", id,
          done.firing().fireAt(), done.failure().toString());
      timers.startSingleTimer(Tick.INSTANCE, runtime.settings().pollInterval());
      return Effect().noReply();
    }
    return persist(state, List.of(new TaskCreated(done.firing(), done.task(), now)))
        .thenRun(this::afterPersist).thenNoReply();
  }

  private void armTimer(State state, Instant now) {
    Instant wake = state.wakeAt();
    if (wake == null) {
      timers.cancel(Tick.INSTANCE);
      return;
    }
    Duration delay = Duration.between(now, wake);
    if (!state.unenqueued().isEmpty() || state.queued() != null) {
      delay = runtime.settings().pollInterval();
    }
    if (delay.isNegative()) {
      delay = Duration.ZERO;
    }
    timers.startSingleTimer(Tick.INSTANCE, delay.compareTo(MAX_TIMER) > 0 ? MAX_TIMER : delay);
  }

  private Reply current(State state) {
    return new Current(state.toView(UPCOMING));
  }

  private Reply notFound() {
    return Rejected.of(new ScheduleNotFoundException(id));
  }

  private static Throwable unwrap(Throwable failure) {
    Throwable error = failure;
    while (error instanceof CompletionException && error.getCause() != null) {
      error = error.getCause();
    }
    return error;
  }

  /** @return when {@code spec} fires; intervals count from its {@code startAt} or {@code created} */
  static Trigger triggerOf(ScheduleSpec spec, Instant created) {
    if (spec.cron() != null) {
      return Trigger.cron(spec.cron(), Trigger.parseZone(spec.zone()));
    }
    return Trigger.interval(spec.interval(),
        spec.startAt() != null ? spec.startAt() : created.plus(spec.interval()));
  }
}
