package io.tasker.node.task;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * The callers a task entity answers when its task finishes ({@link TaskEntity.AwaitOutcome}).
 * Kept in memory only, never persisted: a waiter is a caller's pending ask, meaningless to a later
 * incarnation. Each waits at most its own {@code wait} (a timer keyed by its address), so a caller
 * that gave up leaves nothing behind; a caller answered {@link TaskEntity.NotFinished}, or not
 * answered at all (its node or the entity's died, the shard moved), asks again until its own
 * deadline. While anyone waits, the entity does not passivate.
 */
final class OutcomeWaiters {
  private final TimerScheduler<TaskEntity.Command> timers;
  private final Set<ActorRef<TaskEntity.Reply>> waiting = new LinkedHashSet<>();

  OutcomeWaiters(TimerScheduler<TaskEntity.Command> timers) {
    this.timers = timers;
  }

  void add(ActorRef<TaskEntity.Reply> waiter, Duration wait) {
    if (waiting.add(waiter)) {
      timers.startSingleTimer(waiter, new TaskEntity.WaitEnded(waiter), wait);
    }
  }

  /** Answers {@code waiter}, whose wait ran out, unless it was answered already. */
  void release(ActorRef<TaskEntity.Reply> waiter, TaskEntity.Reply reply) {
    if (waiting.remove(waiter)) {
      waiter.tell(reply);
    }
  }

  /** Answers every waiter with {@code reply} and forgets them. */
  void answerAll(TaskEntity.Reply reply) {
    for (ActorRef<TaskEntity.Reply> waiter : List.copyOf(waiting)) {
      timers.cancel(waiter);
      waiter.tell(reply);
    }
    waiting.clear();
  }

  boolean isEmpty() {
    return waiting.isEmpty();
  }
}
