package io.tasker.node.index;

import io.tasker.protocol.TaskId;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;

/** The write side of the task index, as a task entity uses it. */
public interface IndexWriter {

  /**
   * Writes a task's row unless the stored row comes from a later event.
   *
   * @param force write even over a row with a higher sequence number: used by an entity that
   *     found its row ahead of its journal (a write-ahead whose event never landed)
   * @return completes once the row is durable
   */
  CompletionStage<Done> upsert(IndexRow row, boolean force);

  /** Removes the row of a task that does not exist (its enqueue never reached the journal). */
  CompletionStage<Done> delete(TaskId id);
}
