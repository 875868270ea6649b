package io.tasker.protocol;

/**
 * A queue as its manager sees it now.
 *
 * @param queue the queue's name
 * @param limits the limits in force
 * @param version the number of run-time changes of its settings stored so far (0: the
 *     configured limits, never changed); each change adds one
 * @param running permits held
 * @param waiting requests waiting for a permit
 * @param startsPerSecond permits granted per second over the last ten seconds
 * @param settling true while a manager that just started learns from renewals who holds
 *     permits, granting none
 */
public record QueueStats(
    String queue,
    QueueLimits limits,
    long version,
    int running,
    int waiting,
    double startsPerSecond,
    boolean settling)
    implements TaskerSerializable {}
