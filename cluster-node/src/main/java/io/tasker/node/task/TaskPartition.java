package io.tasker.node.task;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.tasker.node.journal.EventStore;
import io.tasker.node.queue.QueueManager;
import io.tasker.protocol.TaskId;
import io.tasker.protocol.TaskerSerializable;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * The tasks of one shard ({@code <type>#<bucket>}, see {@link TaskPlacement}), held by one
 * sharded actor: sharding places, moves and restarts partitions, so each task still has exactly
 * one writer. Each task keeps its own journal (persistence id {@code Task|<id>}, the events of
 * {@link TaskEntity}); the partition reads and writes it through the journal's batches ({@link
 * EventStore}) and holds in memory only the tasks that need it ({@link TaskSlot}): due soon,
 * running, or waited on. A task costs no actor of its own, no recovery through Pekko
 * Persistence and no start and stop of an entity.
 *
 * <p>A task's commands go to its partition as {@link ForTask} ({@link TaskRefs}).
 */
public final class TaskPartition extends AbstractBehavior<TaskPartition.Message> {

  /** What a partition receives: commands of its tasks ({@link ForTask}), and its own. */
  public interface Message {}

  public static final EntityTypeKey<Message> ENTITY_TYPE_KEY =
      EntityTypeKey.create(Message.class, "TaskPartition");

  /** Nodes with this cluster role host tasks and run handlers; others only forward to them. */
  public static final String WORKER_ROLE = "worker";

  /** A pause before a task whose event could not be stored is read back. */
  private static final Duration READ_BACK_AFTER = Duration.ofMillis(200);

  /** @param rebalanceShare share of all shards one rebalance round may move */
  public static void initSharding(
      ActorSystem<?> system, TaskRuntime runtime, double rebalanceShare) {
    CompletionStage<EventStore> store = EventStore.of(system.classicSystem());
    ClusterSharding.get(system)
        .init(
            Entity.of(ENTITY_TYPE_KEY, ctx -> create(store, runtime))
                .withMessageExtractor(new TaskPlacement.Extractor())
                .withAllocationStrategy(new TaskPlacement.AllocationStrategy(rebalanceShare))
                // a message, not a plain stop: running attempts finish and are recorded first
                .withStopMessage(Stop.INSTANCE)
                .withRole(WORKER_ROLE));
  }

  static Behavior<Message> create(CompletionStage<EventStore> store, TaskRuntime runtime) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(
        timers -> new TaskPartition(ctx, timers, store, runtime)));
  }

  /** A command of task {@code id} (see {@link TaskRefs}). */
  public record ForTask(
      TaskId id,
      @JsonTypeInfo(use = JsonTypeInfo.Id.NAME)
      @JsonSubTypes({
        @JsonSubTypes.Type(TaskEntity.Enqueue.class),
        @JsonSubTypes.Type(TaskEntity.Get.class),
        @JsonSubTypes.Type(TaskEntity.Cancel.class),
        @JsonSubTypes.Type(TaskEntity.Reschedule.class),
        @JsonSubTypes.Type(TaskEntity.Requeue.class),
        @JsonSubTypes.Type(TaskEntity.AwaitOutcome.class),
        @JsonSubTypes.Type(TaskEntity.Wake.class)
      })
      TaskEntity.Command command)
      implements Message, TaskerSerializable {}

  /** Asks how many tasks the partition holds in memory. */
  public record CountHeld(ActorRef<Integer> replyTo) implements Message, TaskerSerializable {}

  /**
   * A timer's signal. Timers are keyed by task, not by slot: a dropped slot cancels its timers,
   * and a cancelled Pekko timer delivers nothing, even if it fired already.
   */
  private record Signal(TaskId id, Object signal) implements Message {}

  /**
   * What the partition's own futures bring back for one slot (a read, a write, an attempt's
   * end): applied only while that slot is still its task's (see {@link #ifCurrent}).
   */
  private interface OfSlot extends Message {
    TaskSlot slot();
  }

  private record Read(TaskSlot slot, EventStore.Events events, Throwable failure)
      implements OfSlot {}

  private record Written(TaskSlot slot, Throwable failure) implements OfSlot {}

  /** Reads back a task whose event could not be stored. */
  private record ReadBack(TaskSlot slot) implements OfSlot {}

  private record Finished(TaskSlot slot, TaskSlot.AttemptFinished finished) implements OfSlot {}

  private record PermitArrived(QueueManager.PermitReply reply) implements Message {}

  private record TimerKey(TaskId id, Object key) {}

  private enum Stop implements Message {
    INSTANCE
  }

  private final TimerScheduler<Message> timers;
  private final CompletionStage<EventStore> store;
  private final TaskRuntime runtime;
  private final ActorRef<QueueManager.PermitReply> permitReplies;
  private final Map<TaskId, TaskSlot> slots = new HashMap<>();
  private final TaskSlot.Host host = new Host();
  private boolean stopping;

  private TaskPartition(ActorContext<Message> context, TimerScheduler<Message> timers,
      CompletionStage<EventStore> store, TaskRuntime runtime) {
    super(context);
    this.timers = timers;
    this.store = store;
    this.runtime = runtime;
    this.permitReplies = context.messageAdapter(QueueManager.PermitReply.class, PermitArrived::new);
  }

  @Override
  public Receive<Message> createReceive() {
    return newReceiveBuilder()
        .onMessage(ForTask.class, m -> deliver(m.id(), m.command()))
        .onMessage(Signal.class, m -> deliverToHeld(m.id(), m.signal()))
        .onMessage(PermitArrived.class, this::onPermitArrived)
        .onMessage(Read.class, ifCurrent(this::onRead))
        .onMessage(Written.class, ifCurrent(this::onWritten))
        .onMessage(ReadBack.class, ifCurrent(m -> {
          read(m.slot());
          return this;
        }))
        .onMessage(Finished.class, ifCurrent(m -> deliver(m.slot().id(), m.finished())))
        .onMessage(CountHeld.class, m -> {
          m.replyTo().tell(slots.size());
          return this;
        })
        .onMessageEquals(Stop.INSTANCE, this::onStop)
        .onSignal(PostStop.class, signal -> onPostStop())
        .build();
  }

  /**
   * A slot dropped after a failure (see {@link #guarded}) is replaced by a new one on its task's
   * next input, while what it started still completes: its write, its attempt (which runs on
   * until its handler returns, holding the old permit). Applied to the new slot, the old
   * attempt's end would stop its heartbeats and give back its permit while its own handler runs.
   */
  private <M extends OfSlot> org.apache.pekko.japi.function.Function<M, Behavior<Message>>
      ifCurrent(org.apache.pekko.japi.function.Function<M, Behavior<Message>> handler) {
    return m -> slots.get(m.slot().id()) == m.slot() ? handler.apply(m) : this;
  }

  /** Hands {@code input} to its task, read from the journal first if it is not held. */
  private Behavior<Message> deliver(TaskId id, Object input) {
    TaskSlot slot = slots.get(id);
    if (slot == null) {
      slot = new TaskSlot(id, runtime, host);
      slots.put(id, slot);
      slot.pending.add(input);
      read(slot);
      return this;
    }
    if (slot.busy() || !slot.pending.isEmpty()) {
      slot.pending.add(input);
      return this;
    }
    handle(slot, input);
    return afterInput();
  }

  /**
   * A failure while handling one task's input costs only that task its place in memory (as an
   * entity of its own would stop): it is read back on its next input.
   */
  private void handle(TaskSlot slot, Object input) {
    guarded(slot, input, () -> slot.handle(input));
  }

  private void guarded(TaskSlot slot, Object input, Runnable work) {
    try {
      work.run();
    } catch (RuntimeException failure) {
      getContext().getLog().error("task {} failed on {}; it is dropped from memory", slot.id(),
          input, failure);
      slots.remove(slot.id(), slot);
      slot.stopped();
    }
  }

  /** Signals of a task no longer held are stale (its timers were cancelled with it). */
  private Behavior<Message> deliverToHeld(TaskId id, Object signal) {
    if (slots.containsKey(id)) {
      return deliver(id, signal);
    }
    return this;
  }

  private Behavior<Message> onPermitArrived(PermitArrived arrived) {
    QueueManager.PermitReply reply = arrived.reply();
    TaskId id = TaskId.of(reply.holder());
    if (slots.containsKey(id)) {
      return deliver(id, reply);
    }
    if (reply instanceof QueueManager.PermitGranted granted) {
      TaskSlot.giveBack(runtime, granted); // its task left memory since it asked
    }
    return this;
  }

  private void read(TaskSlot slot) {
    slot.startLoading();
    getContext().pipeToSelf(
        store.thenCompose(events -> events.read(TaskEntity.persistenceId(slot.id()))),
        (events, failure) -> new Read(slot, events, failure));
  }

  private Behavior<Message> onRead(Read read) {
    TaskSlot slot = read.slot();
    if (read.failure() != null) {
      slot.loadFailed(read.failure());
      slots.remove(slot.id(), slot);
      return this;
    }
    guarded(slot, read, () -> {
      TaskEntity.State state = TaskEntity.State.empty(slot.id());
      for (Object event : read.events().events()) {
        state = state.apply((TaskEntity.Event) event);
      }
      slot.loaded(state, read.events().highest());
    });
    drain(slot);
    return afterInput();
  }

  private Behavior<Message> onWritten(Written written) {
    TaskSlot slot = written.slot();
    if (written.failure() == null) {
      guarded(slot, written, slot::written);
      drain(slot);
    } else {
      slot.writeFailed(written.failure());
      // read back after a pause, as an event-sourced actor restarts with a backoff
      getContext().scheduleOnce(READ_BACK_AFTER, getContext().getSelf(), new ReadBack(slot));
    }
    return afterInput();
  }

  /** Handles the inputs that waited for a slot, until it is busy again or has none left. */
  private void drain(TaskSlot slot) {
    while (!slot.busy() && !slot.pending.isEmpty() && slots.get(slot.id()) == slot) {
      handle(slot, slot.pending.poll());
    }
  }

  /**
   * The shard hands the partition off (a rebalance, a graceful leave) or passivates it: running
   * attempts finish and are recorded first, so a graceful move never runs a handler twice. (The
   * shard waits up to its hand-off timeout; past it the attempts are interrupted and re-run
   * after their lease.)
   */
  private Behavior<Message> onStop() {
    stopping = true;
    return afterInput();
  }

  private Behavior<Message> afterInput() {
    if (!stopping) {
      return this;
    }
    for (TaskSlot slot : slots.values()) {
      if (slot.running() || slot.busy()) {
        return this;
      }
    }
    return Behaviors.stopped();
  }

  private Behavior<Message> onPostStop() {
    slots.values().forEach(TaskSlot::stopped);
    slots.clear();
    return this;
  }

  private final class Host implements TaskSlot.Host {
    @Override
    public void startTimer(TaskId id, Object key, Object signal, Duration delay) {
      timers.startSingleTimer(new TimerKey(id, key), new Signal(id, signal), delay);
    }

    @Override
    public void startRepeatingTimer(TaskId id, Object key, Object signal, Duration interval) {
      timers.startTimerWithFixedDelay(new TimerKey(id, key), new Signal(id, signal), interval);
    }

    @Override
    public void cancelTimer(TaskId id, Object key) {
      timers.cancel(new TimerKey(id, key));
    }

    @Override
    public void write(TaskSlot slot, TaskEntity.Indexed event) {
      String persistenceId = TaskEntity.persistenceId(slot.id());
      long sequenceNumber = slot.nextSequenceNumber();
      getContext().pipeToSelf(
          store.thenCompose(events -> events.append(persistenceId, sequenceNumber, event)),
          (done, failure) -> new Written(slot, failure));
    }

    @Override
    public void evict(TaskSlot slot) {
      slots.remove(slot.id(), slot);
    }

    @Override
    public void whenFinished(TaskSlot slot, HandlerRuntime.Attempt execution, int attempt) {
      getContext().pipeToSelf(execution.result(), (result, error) -> new Finished(slot,
          new TaskSlot.AttemptFinished(attempt,
              result != null ? result : AttemptResult.failed(error, true))));
    }

    @Override
    public ActorRef<QueueManager.PermitReply> permitReplies() {
      return permitReplies;
    }

    @Override
    public boolean stopping() {
      return stopping;
    }
  }
}
