package io.tasker.node.queue;

/**
 * What queue managers tell the node's metrics: their permit table after each command. A manager
 * that stops (passivation, hand-off to another node) reports zeros; the node it moves to reports
 * its own.
 */
public interface QueueMetrics {
  QueueMetrics NONE = (queue, held, waiting, rateLimited) -> {};

  /**
   * @param held permits held by running tasks
   * @param waiting permit requests waiting
   * @param rateLimited true while waiting requests wait for the rate limit's next token
   */
  void permits(String queue, int held, int waiting, boolean rateLimited);
}
