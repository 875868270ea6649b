package io.tasker.node.task;

import io.tasker.node.index.IndexRow;
import io.tasker.node.queue.QueueManager;
import io.tasker.protocol.TaskId;
import io.tasker.protocol.TaskNotFoundException;
import io.tasker.protocol.TaskStatus;
import io.tasker.protocol.TaskerException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.RecipientRef;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One task while its {@link TaskPartition} holds it in memory: the task's {@link
 * TaskEntity.State} and what runs for it (its timers, its permit, its handler's attempt, the
 * callers waiting for its outcome). It is asked for its permit when due, records the attempt's
 * start, runs the handler on the worker pool and records the outcome; commands arrive at any
 * time. Inputs are handled one at a time, and none while the task's events are being read or
 * an event of it is being written: they wait in {@link #pending}, as an event-sourced actor
 * stashes them.
 *
 * <p>Not an actor: its partition delivers its inputs and performs what it asks through {@link
 * Host}, on the partition's thread.
 */
final class TaskSlot {
  /** What a slot asks of its partition. */
  interface Host {
    void startTimer(TaskId id, Object key, Object signal, Duration delay);

    void startRepeatingTimer(TaskId id, Object key, Object signal, Duration interval);

    void cancelTimer(TaskId id, Object key);

    /** Writes {@code event} with its index row as the task's next event; see {@link #written}. */
    void write(TaskSlot slot, TaskEntity.Indexed event);

    /** Drops the slot from memory; the task's next input reads it back. */
    void evict(TaskSlot slot);

    /** Delivers the attempt's result to this slot as an {@link AttemptFinished}. */
    void whenFinished(TaskSlot slot, HandlerRuntime.Attempt execution, int attempt);

    ActorRef<QueueManager.PermitReply> permitReplies();

    /** @return true while the partition hands its tasks off: no attempt starts any more */
    boolean stopping();
  }

  /** The timers of a slot, each a signal delivered to it. */
  enum Timer {
    PASSIVATE_IF_IDLE,
    WAKE,
    PERMIT_KEEP_ALIVE,
    HEARTBEAT
  }

  private static final Object LEASE_TIMER = "lease";

  /** The lease of an attempt of an earlier incarnation may have run out by {@code deadline}. */
  record LeaseExpired(Instant deadline) {}

  record AttemptFinished(int attempt, AttemptResult result) {}

  private enum Permit {
    NONE,
    WAITING,
    HELD
  }

  private static final Duration MAX_TIMER = Duration.ofDays(1);

  /**
   * Every event is logged here (as before, under the entity's name, which operators filter
   * by). Not an actor's logger: filling its MDC per call is a measurable share of a task's CPU.
   */
  private static final Logger eventLog = LoggerFactory.getLogger(TaskEntity.class);

  /** A written event's follow-up: the reply to its command and what the task does next. */
  private record AfterWrite(
      TaskEntity.Event event, ActorRef<TaskEntity.Reply> replyTo, boolean created,
      Consumer<TaskEntity.State> then, Object input) {}

  private final TaskId id;
  private final TaskRuntime runtime;
  private final Host host;
  private final OutcomeWaiters waiters;
  private final Set<Object> timers = new HashSet<>();
  final Deque<Object> pending = new ArrayDeque<>();
  private TaskEntity.State state;
  private long sequenceNumber;
  private boolean loading = true;
  private AfterWrite writing;
  private int failedWrites;
  private HandlerRuntime.Attempt execution;
  private Permit permit = Permit.NONE;
  private String permitQueue;
  /** Tells this slot's permit from one an earlier slot of the task may still hold. */
  private final long incarnation = java.util.concurrent.ThreadLocalRandom.current().nextLong();

  TaskSlot(TaskId id, TaskRuntime runtime, Host host) {
    this.id = id;
    this.runtime = runtime;
    this.host = host;
    this.waiters = new OutcomeWaiters(new OutcomeWaiters.Timers() {
      @Override
      public void start(Object key, Object signal, Duration delay) {
        startTimer(key, signal, delay);
      }

      @Override
      public void cancel(Object key) {
        cancelTimer(key);
      }
    });
  }

  TaskId id() {
    return id;
  }

  /** @return true while an input must wait: the task is being read or written */
  boolean busy() {
    return loading || writing != null;
  }

  boolean running() {
    return execution != null;
  }

  // Reading the task

  void startLoading() {
    loading = true;
  }

  /** The task's events were read: its state as of them, and the highest sequence number. */
  void loaded(TaskEntity.State recovered, long highest) {
    loading = false;
    state = recovered;
    sequenceNumber = highest;
    if (execution == null) {
      // read back after a failed write: a permit taken for it is given back; it asks again
      releasePermit();
    }
    if (!state.exists()) {
      return;
    }
    if (state.status() == TaskStatus.RUNNING && execution == null) {
      // The attempt ran in an earlier incarnation; its outcome is unknown. Its node extended
      // the lease in the index row only, which is not read here: the attempt gets a full lease
      // from now (a Wake from the waker, sent once the row's lease ran out, cuts that short),
      // then counts as lost and the retry policy decides.
      expireLeaseAt(later(now().plus(runtime.lease()), state.leaseUntil()));
    } else {
      settle(state);
    }
  }

  /**
   * The task's events could not be read: callers are told, the rest is dropped, and the slot
   * leaves memory as if its partition stopped (read back after a failed write, it may still
   * have waiters, timers, a permit and a running attempt).
   */
  void loadFailed(Throwable failure) {
    loading = false;
    for (Object input : pending) {
      if (input instanceof TaskEntity.ReplyingCommand replying) {
        replying.replyTo().tell(unavailable("its events could not be read: " + failure));
      }
    }
    pending.clear();
    stopped();
  }

  // Writing

  /** The event being written is stored: the task moves on. */
  void written() {
    AfterWrite done = writing;
    writing = null;
    failedWrites = 0;
    sequenceNumber++;
    state = state.apply(done.event());
    TaskEntity.State next = state;
    logTransition(next, done.event());
    runtime.metrics().recorded(id, next.spec(), done.event());
    if (next.status().isTerminal() && !waiters.isEmpty()) {
      waiters.answerAll(new TaskEntity.Accepted(next.toView(), false));
    }
    done.then().accept(next);
    if (done.replyTo() != null) {
      done.replyTo().tell(new TaskEntity.Accepted(next.toView(), done.created()));
    }
  }

  /**
   * The event was not stored (the journal failed, or another writer took its sequence number):
   * the task is read again (after a pause), and the command that led to it decided again on what
   * was stored; after three failed writes for one command, its sender is told it failed.
   */
  void writeFailed(Throwable failure) {
    AfterWrite failed = writing;
    writing = null;
    cancelTimersUntilReadBack();
    eventLog.warn("task {}: its event could not be stored ({}); it is read back", id,
        failure.toString());
    if (failed.input() != null) {
      if (++failedWrites < 3) {
        pending.addFirst(failed.input());
      } else if (failed.replyTo() != null) {
        failed.replyTo().tell(unavailable("its event could not be stored: " + failure));
      }
    }
    loading = true;
  }

  // Inputs

  void handle(Object input) {
    if (!state.exists()) {
      onUnknownTask(input);
    } else if (input instanceof Timer timer) {
      onTimer(timer);
    } else if (input instanceof LeaseExpired expired) {
      onLeaseExpired(expired);
    } else if (input instanceof QueueManager.PermitReply reply) {
      onPermitReply(reply);
    } else if (input instanceof AttemptFinished finished) {
      onAttemptFinished(finished);
    } else if (input instanceof OutcomeWaiters.WaitEnded ended) {
      onWaitEnded(ended);
    } else if (input instanceof TaskEntity.Wake wake) {
      onWake(wake);
    } else if (input instanceof TaskEntity.Enqueue enqueue) {
      reply(enqueue.replyTo(), state.createdBy(enqueue.requestId()));
    } else if (input instanceof TaskEntity.Get get) {
      reply(get.replyTo(), false);
    } else if (input instanceof TaskEntity.Cancel cancel) {
      decide(cancel, cancel.replyTo(), s -> s.cancel(now()), cancelled -> {
        if (execution != null) {
          execution.cancel(); // the permit returns when the attempt reports back
        } else {
          releasePermit();
        }
        settle(cancelled);
      });
    } else if (input instanceof TaskEntity.Reschedule reschedule) {
      decide(reschedule, reschedule.replyTo(),
          s -> s.reschedule(reschedule.runAt(), reschedule.priority(), now()), rescheduled -> {
            releasePermit(); // a waiting request re-enters the queue with the new time and priority
            settle(rescheduled);
          });
    } else if (input instanceof TaskEntity.Requeue requeue) {
      decide(requeue, requeue.replyTo(), s -> s.requeue(now()), this::settle);
    } else if (input instanceof TaskEntity.AwaitOutcome await) {
      if (state.status().isTerminal()) {
        reply(await.replyTo(), false);
      } else {
        waiters.add(await.replyTo(), await.upTo()); // answered when an event finishes the task
      }
    } else {
      throw new IllegalArgumentException("unknown input " + input);
    }
  }

  private void onUnknownTask(Object input) {
    if (input instanceof TaskEntity.Enqueue enqueue) {
      persist(state.accept(enqueue.spec(), enqueue.requestId(), now()), enqueue, enqueue.replyTo(),
          true, this::settle);
      return;
    }
    if (input instanceof TaskEntity.Wake) {
      // a row an earlier version wrote ahead of an enqueue that never landed: nothing to run
      runtime.index().removeIfNoEvents(id);
    } else if (input instanceof TaskEntity.ReplyingCommand replying) {
      replying.replyTo().tell(
          TaskEntity.Rejected.of(new TaskNotFoundException(id), null));
    } else if (input instanceof QueueManager.PermitGranted granted) {
      giveBack(granted);
    }
    leaveMemory();
  }

  private void onWake(TaskEntity.Wake wake) {
    if (state.status() != TaskStatus.RUNNING) {
      settle(state);
    } else if (execution == null) {
      // the row's wake time is the lease as last extended by the attempt's node: it ran out
      expireLeaseAt(later(wake.indexedWakeAt(), state.wakeAt()));
    }
  }

  private void onWaitEnded(OutcomeWaiters.WaitEnded ended) {
    waiters.release(ended.waiter(), new TaskEntity.NotFinished(state.toView()));
    if (isIdle(state)) {
      startTimer(Timer.PASSIVATE_IF_IDLE, Timer.PASSIVATE_IF_IDLE, Duration.ZERO);
    }
  }

  private void onTimer(Timer timer) {
    switch (timer) {
      case PASSIVATE_IF_IDLE -> evictIfIdle();
      case WAKE -> {
        if (state.status() != TaskStatus.SCHEDULED || host.stopping()) {
          return;
        }
        if (now().isBefore(prepareAt(state))) {
          settle(state); // timers may fire a little early on a coarse clock
        } else if (!runtime.handlers().handles(state.spec().type())) {
          // placed here while no node with this handler was up; a rebalance moves it there
          eventLog.debug("task {} waits for a node that handles {}", id, state.spec().type());
          startTimer(Timer.WAKE, Timer.WAKE, runtime.permitKeepAlive());
        } else if (permit == Permit.NONE) {
          permit = Permit.WAITING;
          requestPermit(state);
          startRepeatingTimer(Timer.PERMIT_KEEP_ALIVE, runtime.waitingKeepAlive());
        }
      }
      case PERMIT_KEEP_ALIVE -> {
        switch (permit) {
          case WAITING -> requestPermit(state);
          case HELD -> queue(state).tell(
              new QueueManager.RenewPermit(
                  id.value(), incarnation, state.spec().concurrencyKey(), runtime.worker()));
          case NONE -> cancelTimer(Timer.PERMIT_KEEP_ALIVE);
        }
      }
      case HEARTBEAT -> {
        if (state.status() == TaskStatus.RUNNING && execution != null) {
          // no event: the lease lives in the index row, guarded by the attempt's event
          runtime.index().extendLease(id, sequenceNumber, now().plus(runtime.lease()));
        } else {
          cancelTimer(Timer.HEARTBEAT);
        }
      }
    }
  }

  private void onLeaseExpired(LeaseExpired expired) {
    if (state.status() != TaskStatus.RUNNING || execution != null) {
      return;
    }
    if (now().isBefore(expired.deadline())) {
      expireLeaseAt(expired.deadline());
      return;
    }
    AttemptResult lost = AttemptResult.lost(state.lastNode());
    persist(state.finish(lost, now(), runtime.random()), null, null, false, this::settle);
  }

  private void expireLeaseAt(Instant deadline) {
    startTimer(LEASE_TIMER, new LeaseExpired(deadline), untilNow(deadline));
  }

  private void onPermitReply(QueueManager.PermitReply reply) {
    if (reply.incarnation() != incarnation) {
      if (reply instanceof QueueManager.PermitGranted granted) {
        giveBack(granted); // asked for by an earlier slot of this task
      }
      return;
    }
    if (reply instanceof QueueManager.Parked) {
      onParked();
      return;
    }
    if (permit == Permit.HELD) {
      return; // a repeated grant of the permit we hold
    }
    if (permit != Permit.WAITING || state.status() != TaskStatus.SCHEDULED || host.stopping()
        || now().isBefore(prepareAt(state))) {
      giveBack((QueueManager.PermitGranted) reply);
      if (permit == Permit.WAITING) {
        permit = Permit.NONE;
        cancelTimer(Timer.PERMIT_KEEP_ALIVE);
      }
      return;
    }
    permit = Permit.HELD;
    startRepeatingTimer(Timer.PERMIT_KEEP_ALIVE, runtime.permitKeepAlive());
    // recorded as starting at its run time if it is ahead: the handler waits for it
    Instant startAt = now().isBefore(state.runAt()) ? state.runAt() : now();
    persist(state.start(runtime.node(), startAt, runtime.lease()), null, null, false,
        this::startAttempt);
  }

  /**
   * Too many tasks wait for the queue's permits: this one drops its request, marks its index
   * row parked (no event: the row is {@code SCHEDULED} without a wake time, which the waker
   * never scans; its next event rewrites it) and leaves memory, unless someone waits for its
   * outcome. The queue manager wakes it when there is room. If the mark fails, the row still
   * says due and the waker wakes the task.
   */
  private void onParked() {
    if (permit != Permit.WAITING || state.status() != TaskStatus.SCHEDULED) {
      return; // a stale answer: the request was withdrawn or granted
    }
    permit = Permit.NONE;
    cancelTimer(Timer.PERMIT_KEEP_ALIVE);
    cancelTimer(Timer.WAKE);
    RecipientRef<QueueManager.Command> queue = runtime.queues().apply(permitQueue);
    QueueManager.ConfirmParked confirm = new QueueManager.ConfirmParked(id.value());
    runtime.index().park(id, sequenceNumber).whenComplete((done, failure) -> {
      if (failure == null) {
        queue.tell(confirm);
      } else {
        eventLog.warn("task {} could not mark its row parked; the waker wakes it: {}", id,
            failure.toString());
      }
    });
    if (waiters.isEmpty()) {
      leaveMemory(); // else it stays, parked, for its waiters (who would read it back at once)
    }
  }

  private void onAttemptFinished(AttemptFinished finished) {
    execution = null;
    cancelTimer(Timer.HEARTBEAT);
    if (state.status() == TaskStatus.RUNNING && state.attempts() == finished.attempt()) {
      TaskEntity.Event outcome = state.finish(finished.result(), now(), runtime.random());
      persist(outcome, null, null, false, next -> {
        releasePermit();
        settle(next);
      });
      return;
    }
    releasePermit();
    settle(state);
  }

  /** The partition stops: callers are told, a running attempt is interrupted. */
  void stopped() {
    cancelAllTimers();
    if (!waiters.isEmpty() && state != null && state.exists()) {
      // they ask again, wherever the task is held next
      waiters.answerAll(new TaskEntity.NotFinished(state.toView()));
    }
    if (execution != null) {
      execution.cancel();
      if (permit != Permit.NONE) {
        // the permit goes back when the handler's thread does, not before: a handler that
        // ignores its interrupt still counts against the queue's limits (up to the permit lease)
        RecipientRef<QueueManager.Command> queue = runtime.queues().apply(permitQueue);
        QueueManager.ReleasePermit release =
            new QueueManager.ReleasePermit(id.value(), incarnation);
        execution.result().whenComplete((result, failure) -> queue.tell(release));
        permit = Permit.NONE;
      }
    }
    releasePermit();
  }

  // Helpers

  /** Brings timers and eviction in line with the task's status. */
  private void settle(TaskEntity.State state) {
    if (state.status() == TaskStatus.SCHEDULED) {
      // timers take at most ~248 days; a far-off task wakes up, sees it is early and re-arms
      Duration untilDue = untilNow(prepareAt(state));
      startTimer(Timer.WAKE, Timer.WAKE, untilDue.compareTo(MAX_TIMER) > 0 ? MAX_TIMER : untilDue);
    } else if (state.status().isTerminal()) {
      cancelTimer(Timer.WAKE);
      if (execution == null) {
        releasePermit();
      }
    }
    if (isIdle(state)) {
      // checked again when the timer fires, after the inputs already waiting
      startTimer(Timer.PASSIVATE_IF_IDLE, Timer.PASSIVATE_IF_IDLE, Duration.ZERO);
    }
  }

  private void evictIfIdle() {
    if (isIdle(state)) {
      leaveMemory();
    }
  }

  /** Leaves memory unless inputs wait (the last of them decides again). */
  private void leaveMemory() {
    if (pending.isEmpty() && !busy()) {
      cancelAllTimers();
      host.evict(this);
    }
  }

  /**
   * @return true when the task needs no memory: finished, or due beyond the keep-alive window,
   *     and nobody waits for its outcome
   */
  private boolean isIdle(TaskEntity.State state) {
    if (execution != null || permit != Permit.NONE || !waiters.isEmpty()) {
      return false;
    }
    return state.status().isTerminal()
        || (state.status() == TaskStatus.SCHEDULED
            && untilNow(state.runAt()).compareTo(runtime.keepAliveWindow()) > 0);
  }

  /** The attempt is recorded: its handler starts now, or at the run time if that is ahead. */
  private void startAttempt(TaskEntity.State state) {
    int attempt = state.attempts();
    execution = runtime.handlers().start(id, state.spec(), attempt, state.runAt());
    startRepeatingTimer(Timer.HEARTBEAT, runtime.lease().dividedBy(3));
    host.whenFinished(this, execution, attempt);
  }

  /** @return when a scheduled task asks for its permit, a little ahead of its run time */
  private Instant prepareAt(TaskEntity.State state) {
    return state.runAt().minus(runtime.startAhead());
  }

  private void requestPermit(TaskEntity.State state) {
    permitQueue = state.spec().queue();
    queue(state).tell(new QueueManager.RequestPermit(id.value(), incarnation, state.priority(),
        state.runAt(), state.spec().concurrencyKey(), runtime.worker(), host.permitReplies()));
  }

  /** Returns a permit this slot does not use (the one it asked for, or an earlier slot's). */
  static void giveBack(TaskRuntime runtime, QueueManager.PermitGranted granted) {
    runtime.queues().apply(granted.queue())
        .tell(new QueueManager.ReleasePermit(granted.holder(), granted.incarnation()));
  }

  private void giveBack(QueueManager.PermitGranted granted) {
    giveBack(runtime, granted);
  }

  private void releasePermit() {
    if (permit != Permit.NONE) {
      runtime.queues().apply(permitQueue)
          .tell(new QueueManager.ReleasePermit(id.value(), incarnation));
      permit = Permit.NONE;
      cancelTimer(Timer.PERMIT_KEEP_ALIVE);
    }
  }

  private void decide(Object input, ActorRef<TaskEntity.Reply> replyTo,
      Function<TaskEntity.State, TaskEntity.Event> decision, Consumer<TaskEntity.State> then) {
    TaskEntity.Event event;
    try {
      event = decision.apply(state);
    } catch (TaskerException rejected) {
      replyTo.tell(TaskEntity.Rejected.of(rejected, state.status()));
      return;
    }
    persist(event, input, replyTo, false, then);
  }

  /**
   * Writes {@code event} with the task's index row as of it (one transaction); the slot takes
   * no input until it is stored.
   *
   * @param input the command that led to it (decided again if the write fails), or null
   * @param replyTo answered with the new state once stored, or null
   */
  private void persist(TaskEntity.Event event, Object input, ActorRef<TaskEntity.Reply> replyTo,
      boolean created, Consumer<TaskEntity.State> then) {
    IndexRow row = state.apply(event).toIndexRow(sequenceNumber + 1);
    writing = new AfterWrite(event, replyTo, created, then, input);
    host.write(this, new TaskEntity.Indexed(event, row));
  }

  long nextSequenceNumber() {
    return sequenceNumber + 1;
  }

  /**
   * A task's routine transitions (stored, started, succeeded) are logged at DEBUG: at thousands
   * of tasks a second, three INFO lines per task cost more CPU than the task (measured in the
   * side-by-side benchmark). What an operator looks for stays visible: failures and operator
   * actions at INFO, dead tasks at WARN.
   */
  private void logTransition(TaskEntity.State next, TaskEntity.Event event) {
    org.slf4j.event.Level level = event instanceof TaskEntity.DeadLettered
        ? org.slf4j.event.Level.WARN
        : event instanceof TaskEntity.Enqueued || event instanceof TaskEntity.AttemptStarted
            || event instanceof TaskEntity.LeaseExtended
            || event instanceof TaskEntity.AttemptSucceeded
            ? org.slf4j.event.Level.DEBUG : org.slf4j.event.Level.INFO;
    if (eventLog.isEnabledForLevel(level)) {
      eventLog.atLevel(level).log("task {} [{}] {}", id, next.spec().type(), event.describe());
    }
  }

  private void reply(ActorRef<TaskEntity.Reply> replyTo, boolean created) {
    replyTo.tell(new TaskEntity.Accepted(state.toView(), created));
  }

  private static TaskEntity.Rejected unavailable(String why) {
    return TaskEntity.Rejected.of(new io.tasker.protocol.TaskerUnavailableException(why), null);
  }

  private RecipientRef<QueueManager.Command> queue(TaskEntity.State state) {
    return runtime.queues().apply(state.spec().queue());
  }

  private void startTimer(Object key, Object signal, Duration delay) {
    timers.add(key);
    host.startTimer(id, key, signal, delay);
  }

  private void startRepeatingTimer(Timer timer, Duration interval) {
    timers.add(timer);
    host.startRepeatingTimer(id, timer, timer, interval);
  }

  private void cancelTimer(Object key) {
    if (timers.remove(key)) {
      host.cancelTimer(id, key);
    }
  }

  /**
   * The read back re-arms the timers of the task's status, not the waiters' waits (they stay in
   * memory with the slot) nor those of an attempt still running (its heartbeats and permit
   * renewals): those run on.
   */
  private void cancelTimersUntilReadBack() {
    for (java.util.Iterator<Object> keys = timers.iterator(); keys.hasNext(); ) {
      Object key = keys.next();
      boolean runsOn = key instanceof ActorRef<?>
          || (execution != null && (key == Timer.HEARTBEAT || key == Timer.PERMIT_KEEP_ALIVE));
      if (!runsOn) {
        host.cancelTimer(id, key);
        keys.remove();
      }
    }
  }

  private void cancelAllTimers() {
    for (Object key : timers) {
      host.cancelTimer(id, key);
    }
    timers.clear();
  }

  private Instant now() {
    return runtime.clock().instant();
  }

  private static Instant later(Instant a, Instant b) {
    if (a == null) {
      return b;
    }
    return b == null || a.isAfter(b) ? a : b;
  }

  private Duration untilNow(Instant time) {
    Duration left = Duration.between(now(), time);
    return left.isNegative() ? Duration.ZERO : left;
  }
}
