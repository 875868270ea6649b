package io.tasker.node.task;

import io.tasker.node.index.IndexRow;
import io.tasker.node.index.JdbcTaskIndex;
import io.tasker.node.journal.JournalRow;
import io.tasker.protocol.TaskId;
import io.tasker.protocol.TaskSpec;
import io.tasker.protocol.TaskView;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;

/**
 * Stores a batch of new tasks without their entities: each task's {@link TaskEntity.Enqueued}
 * event, written as the journal plugin writes it, and its index row, all in one transaction.
 * Only for tasks with fresh random ids (nothing can have been stored under them, so their
 * first event is sequence number 1), due beyond the keep-alive window: an entity would
 * passivate right after storing them, and the waker starts them when they come due, as it
 * would have. Per task that saves an entity start and stop, a sequence-number query, an index
 * write ahead and a journal round trip through the entity.
 *
 * <p>(Tasks due sooner are better enqueued through their entities: an entity started by its
 * enqueue holds the task from then on, whereas one started later replays it from the journal,
 * which costs more than the enqueue saved.)
 */
public final class NewTasks {
  private final TaskMetrics metrics;
  private final Serialization serialization;
  private final JdbcTaskIndex index;
  private final Clock clock;
  private final Duration keepAliveWindow;
  private final String writer = UUID.randomUUID().toString();

  /** @param keepAliveWindow tasks due within this time go through their entities */
  public NewTasks(
      ActorSystem<?> system, JdbcTaskIndex index, Clock clock, Duration keepAliveWindow,
      TaskMetrics metrics) {
    this.serialization = SerializationExtension.get(system.classicSystem());
    this.metrics = metrics;
    this.index = index;
    this.clock = clock;
    this.keepAliveWindow = keepAliveWindow;
  }

  /** @return whether {@code spec} may be stored here, due far enough ahead and without a key */
  public boolean takes(TaskSpec spec) {
    return spec.idempotencyKey() == null
        && spec.runAt().isAfter(clock.instant().plus(keepAliveWindow));
  }

  /**
   * @param tasks accepted tasks this {@link #takes}, with fresh random ids
   * @return the stored tasks, in the order of {@code tasks}, once all are durable
   */
  public CompletionStage<List<TaskView>> store(List<MiddlewareChain.Accepted> tasks) {
    Instant now = clock.instant();
    List<JournalRow> events = new ArrayList<>(tasks.size());
    List<IndexRow> rows = new ArrayList<>(tasks.size());
    List<TaskView> views = new ArrayList<>(tasks.size());
    List<TaskEntity.Enqueued> enqueuedAll = new ArrayList<>(tasks.size());
    List<TaskId> ids = new ArrayList<>(tasks.size());
    for (MiddlewareChain.Accepted task : tasks) {
      TaskSpec spec = task.spec();
      if (!takes(spec)) {
        throw new IllegalArgumentException("task due at " + spec.runAt() + " or with an"
            + " idempotency key goes through its entity");
      }
      TaskId id = task.id();
      ids.add(id);
      TaskEntity.State empty = TaskEntity.State.empty(id);
      TaskEntity.Enqueued enqueued = empty.accept(spec, now);
      enqueuedAll.add(enqueued);
      TaskEntity.State stored = empty.apply(enqueued);
      events.add(JournalRow.of(serialization, TaskEntity.persistenceId(id), 1, writer,
          now.toEpochMilli(), enqueued));
      rows.add(stored.toIndexRow(1));
      views.add(stored.toView());
    }
    return index.insertNew(events, rows).thenApply(done -> {
      for (int i = 0; i < ids.size(); i++) {
        metrics.recorded(ids.get(i), enqueuedAll.get(i).spec(), enqueuedAll.get(i));
      }
      return views;
    });
  }
}
