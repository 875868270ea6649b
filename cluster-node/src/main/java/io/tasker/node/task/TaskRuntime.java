package io.tasker.node.task;

import io.tasker.node.index.TaskRows;
import io.tasker.node.queue.QueueManager;
import io.tasker.node.queue.WorkerNode;
import java.time.Clock;
import java.time.Duration;
import java.util.function.DoubleSupplier;
import java.util.function.Function;
import org.apache.pekko.actor.typed.RecipientRef;

/**
 * What a task entity needs from its node.
 *
 * @param handlers runs handler attempts
 * @param queues the queue manager of a queue, by name
 * @param clock the time source for run times, backoff and history
 * @param random uniform numbers in [0, 1) for backoff jitter
 * @param node this node's name, recorded in attempts
 * @param worker this node as its queue managers count it: how many permits of one queue its
 *     tasks may hold at once
 * @param index the task's index row beyond its events: lease extensions, orphan removal
 * @param lease how long a running attempt is presumed alive without a heartbeat (heartbeats
 *     extend it in the index row every third of it while the handler runs)
 * @param keepAliveWindow tasks due later than this passivate; the waker brings them back
 * @param permitKeepAlive how often a running task renews its permit (well under the queue
 *     manager's permit lease)
 * @param waitingKeepAlive how often a waiting task repeats its permit request, for a queue
 *     manager that lost it (restarted elsewhere) or a request lost on the way
 * @param startAhead how long before its run time a task asks for its permit and records its
 *     attempt, so that its handler starts on the dot
 * @param metrics where the task's stored transitions are counted
 */
public record TaskRuntime(
    HandlerRuntime handlers,
    Function<String, RecipientRef<QueueManager.Command>> queues,
    Clock clock,
    DoubleSupplier random,
    String node,
    WorkerNode worker,
    Duration permitKeepAlive,
    Duration waitingKeepAlive,
    TaskRows index,
    Duration lease,
    Duration keepAliveWindow,
    Duration startAhead,
    TaskMetrics metrics) {}
