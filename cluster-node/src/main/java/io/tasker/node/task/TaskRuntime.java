package io.tasker.node.task;

import io.tasker.node.queue.QueueManager;
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
 * @param leaseGrace added to an attempt's timeout to form its lease
 * @param permitKeepAlive how often a waiting task repeats its permit request and a running one
 *     renews its permit (well under the queue manager's permit lease)
 */
public record TaskRuntime(
    HandlerRuntime handlers,
    Function<String, RecipientRef<QueueManager.Command>> queues,
    Clock clock,
    DoubleSupplier random,
    String node,
    Duration leaseGrace,
    Duration permitKeepAlive) {}
