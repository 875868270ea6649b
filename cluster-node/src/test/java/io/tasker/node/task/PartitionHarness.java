package io.tasker.node.task;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tasker.node.index.IndexRow;
import io.tasker.protocol.TaskId;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * One task of a real {@link TaskPartition} on a {@link MemoryEventStore}, driven as an
 * event-sourced actor's test kit drives an entity: a command's events are those stored while
 * it ran, and the task's state is the fold of its stored events (what a partition reads back).
 */
final class PartitionHarness {
  private static final Duration PATIENCE = Duration.ofSeconds(30);

  /** What a command did: its reply, the events stored meanwhile, the state after them. */
  record Result(TaskEntity.Reply reply, List<MemoryEventStore.Stored> stored,
      TaskEntity.State state) {
    boolean hasNoEvents() {
      return stored.isEmpty();
    }

    /** @return the one event stored, as appended (with its index row) */
    Object event() {
      assertEquals(1, stored.size(), "events stored: " + stored);
      return stored.get(0).appended();
    }
  }

  private final ActorTestKit testKit;
  private final TaskRuntime runtime;
  final MemoryEventStore store;
  final TaskId id;
  private ActorRef<TaskPartition.Message> partition;

  PartitionHarness(ActorTestKit testKit, TaskRuntime runtime, MemoryEventStore store, TaskId id) {
    this.testKit = testKit;
    this.runtime = runtime;
    this.store = store;
    this.id = id;
    this.partition = spawn();
  }

  private ActorRef<TaskPartition.Message> spawn() {
    return testKit.spawn(
        TaskPartition.create(CompletableFuture.completedFuture(store), runtime));
  }

  /** A harness for another task of the same partition. */
  PartitionHarness other(TaskId other) {
    return new PartitionHarness(this, other);
  }

  private PartitionHarness(PartitionHarness same, TaskId id) {
    this.testKit = same.testKit;
    this.runtime = same.runtime;
    this.store = same.store;
    this.id = id;
    this.partition = same.partition;
  }

  Result runCommand(Function<ActorRef<TaskEntity.Reply>, TaskEntity.Command> command) {
    TestProbe<TaskEntity.Reply> replyTo = testKit.createTestProbe();
    int before = stored().size();
    tell(command.apply(replyTo.ref()));
    TaskEntity.Reply reply = replyTo.receiveMessage(PATIENCE);
    List<MemoryEventStore.Stored> after = stored();
    return new Result(reply, after.subList(before, after.size()), fold(after));
  }

  /**
   * Sends a command that has no reply; a {@link TaskEntity.Get} after it tells when it was
   * handled (a task handles its inputs in order).
   */
  Result runCommand(TaskEntity.Command command) {
    int before = stored().size();
    tell(command);
    runCommand(TaskEntity.Get::new);
    List<MemoryEventStore.Stored> after = stored();
    return new Result(null, after.subList(before, after.size()), fold(after));
  }

  void tell(TaskEntity.Command command) {
    partition.tell(new TaskPartition.ForTask(id, command));
  }

  TaskEntity.State getState() {
    return fold(stored());
  }

  /**
   * Stops the partition and starts a new one on the same store, which reads the task back.
   *
   * @return the answer of the new partition to a Get
   */
  Result restart() {
    testKit.stop(partition, PATIENCE);
    partition = spawn();
    return runCommand(TaskEntity.Get::new);
  }

  void stop() {
    testKit.stop(partition, PATIENCE);
  }

  /** @return how many tasks the partition holds in memory */
  int held() {
    TestProbe<Integer> count = testKit.createTestProbe();
    partition.tell(new TaskPartition.CountHeld(count.ref()));
    return count.receiveMessage(PATIENCE);
  }

  /** Waits until the partition holds no task: the task left memory (was passivated). */
  void awaitLeftMemory() {
    await().atMost(PATIENCE).until(() -> held() == 0);
  }

  /** Asserts the partition keeps the task in memory for {@code during}. */
  void assertStaysInMemory(Duration during) {
    await().during(during).atMost(during.plus(PATIENCE)).until(() -> held() == 1);
  }

  /** @return the index rows stored with the task's events so far, in order */
  List<IndexRow> rows() {
    return stored().stream()
        .map(stored -> ((TaskEntity.Indexed) stored.appended()).row())
        .toList();
  }

  List<MemoryEventStore.Stored> stored() {
    return store.stored(TaskEntity.persistenceId(id));
  }

  private TaskEntity.State fold(List<MemoryEventStore.Stored> stored) {
    TaskEntity.State state = TaskEntity.State.empty(id);
    for (MemoryEventStore.Stored event : stored) {
      state = state.apply((TaskEntity.Event) event.event());
    }
    return state;
  }
}
