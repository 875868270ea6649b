package io.tasker.node.queue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * A queue manager's knowledge of its parked tasks: whether any may exist in the task index,
 * whether a look-up for them is under way, and which it woke that have not asked for their
 * permit yet. Not thread-safe: one actor owns it. Times are {@link System#nanoTime()}-style
 * readings passed in by the caller.
 *
 * <p>The rule: when the waiting requests (plus the tasks woken and still on their way) fall
 * below half of {@code maxWaiting} and parked tasks may exist, look up as many as there is room
 * for and wake them. A look-up that returns fewer rows than it asked for has seen every parked
 * task, so none remain unknown, unless a task parked while it ran: every park (the answer, and
 * the task's confirmation once its row is marked) counts as a signal, and a look-up only clears
 * the flag if no signal came while it ran. The confirmation matters: a look-up may run before
 * the row of a task just told to park is marked, and miss it.
 *
 * <p>A look-up reads the index as it was when it started: a task that ran and gave back its
 * permit meanwhile can come back as parked (its row was marked until its start was stored). Such
 * a task is not woken: it would never ask for its permit, and as a woken task on its way it
 * would hold back the next look-ups until forgotten, while parked tasks wait.
 */
final class Parking {
  /**
   * One look-up of parked tasks.
   *
   * @param limit rows asked for: the room, plus the requests known to this manager whose rows
   *     may still be marked parked (woken tasks keep their mark until their next event)
   * @param signals the park signals counted when it started
   */
  record Lookup(int limit, long signals) {}

  private final int maxWaiting;
  private final long forgetWokenAfterNanos;
  /** A manager that starts knows nothing: parked tasks may exist. */
  private boolean mayExist = true;
  private long signals;
  private boolean underWay;
  /** Woken tasks that have not asked for their permit yet, with when they were woken. */
  private final Map<String, Long> woken = new HashMap<>();
  /** Tasks that gave back their permit or request while the look-up under way ran. */
  private final Set<String> leftDuringLookup = new HashSet<>();

  /**
   * @param forgetWokenAfterNanos a woken task that has not asked for its permit this long after
   *     (it finished meanwhile, or its wake was lost) no longer takes room
   */
  Parking(int maxWaiting, long forgetWokenAfterNanos) {
    this.maxWaiting = maxWaiting;
    this.forgetWokenAfterNanos = forgetWokenAfterNanos;
  }

  /** @return whether a request that makes {@code waiting} requests wait is one too many */
  boolean isFull(int waiting) {
    return waiting > maxWaiting;
  }

  /** A task was told to park, or confirmed that its row is marked parked. */
  void parked() {
    mayExist = true;
    signals++;
  }

  /**
   * Parked tasks may exist although no signal said so: a confirmation can be lost (its task's
   * node died between marking the row and telling), so the manager looks again now and then.
   */
  void recheck() {
    mayExist = true;
  }

  /** @return how many more tasks may come to wait in memory, given {@code waiting} there */
  int room(int waiting) {
    return Math.max(0, maxWaiting - waiting - woken.size());
  }

  /**
   * Tasks just stored were admitted to come and ask for their permits: until they arrive (or
   * are forgotten) they take room as woken tasks do.
   */
  void expect(List<String> holders, long now) {
    holders.forEach(holder -> woken.put(holder, now));
  }

  /** A task gave back its permit or withdrew its request: a look-up under way may still list it. */
  void left(String holder) {
    if (underWay) {
      leftDuringLookup.add(holder);
    }
  }

  /** A task asked for its permit (or renewed one): if it was woken, it has arrived. */
  void arrived(String holder) {
    woken.remove(holder);
  }

  boolean mayExist() {
    return mayExist;
  }

  int woken() {
    return woken.size();
  }

  /**
   * @param waiting requests waiting in memory
   * @return the look-up to start now, or null if none is needed or one is under way
   */
  Lookup lookup(int waiting) {
    int expected = waiting + woken.size();
    if (!mayExist || underWay || expected * 2L >= maxWaiting) {
      return null;
    }
    underWay = true;
    return new Lookup(maxWaiting, signals);
  }

  /**
   * Takes the look-up's answer.
   *
   * @param ids parked tasks, in the order they should come back
   * @param known tasks the manager has as waiting or holding a permit (their rows may still be
   *     marked parked: a woken task's mark stays until its next event)
   * @param waiting requests waiting in memory now
   * @return the tasks to wake, at most the room there is
   */
  List<String> found(Lookup lookup, List<String> ids, Predicate<String> known, int waiting,
      long now) {
    underWay = false;
    boolean sawAll = ids.size() < lookup.limit() && signals == lookup.signals();
    int room = room(waiting);
    List<String> wake = new ArrayList<>();
    for (String id : ids) {
      if (known.test(id) || woken.containsKey(id) || leftDuringLookup.contains(id)) {
        continue;
      }
      if (wake.size() >= room) {
        sawAll = false; // parked tasks remain that there was no room for
        break;
      }
      woken.put(id, now);
      wake.add(id);
    }
    leftDuringLookup.clear();
    if (sawAll) {
      mayExist = false;
    }
    return wake;
  }

  /** The look-up failed: parked tasks may still exist, the next trigger tries again. */
  void failed() {
    underWay = false;
    leftDuringLookup.clear();
  }

  /** Forgets woken tasks that never asked for their permit. */
  void forgetStale(long now) {
    woken.values().removeIf(at -> now - at > forgetWokenAfterNanos);
  }
}
