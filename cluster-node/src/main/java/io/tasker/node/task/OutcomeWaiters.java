package io.tasker.node.task;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The callers a task answers when it finishes ({@link TaskEntity.AwaitOutcome}).
 * Kept in memory only, never persisted: a waiter is a caller's pending ask, meaningless to a later
 * incarnation. Each waits at most its own {@code wait} (a timer keyed by its address), so a caller
 * that gave up leaves nothing behind; a caller answered {@link TaskEntity.NotFinished}, or not
 * answered at all (its node died, its partition moved), asks again until its own
 * deadline. While anyone waits, the task stays in memory.
 */
final class OutcomeWaiters {
  /** The timers of the task the waiters wait for. */
  interface Timers {
    /** Delivers {@code signal} to the task after {@code delay}, unless cancelled by key. */
    void start(Object key, Object signal, Duration delay);

    void cancel(Object key);
  }

  /** The wait of {@code waiter} ran out. */
  record WaitEnded(ActorRef<TaskEntity.Reply> waiter) {}

  private final Timers timers;
  private final Set<ActorRef<TaskEntity.Reply>> waiting = new LinkedHashSet<>();

  OutcomeWaiters(Timers timers) {
    this.timers = timers;
  }

  void add(ActorRef<TaskEntity.Reply> waiter, Duration wait) {
    if (waiting.add(waiter)) {
      timers.start(waiter, new WaitEnded(waiter), wait);
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
