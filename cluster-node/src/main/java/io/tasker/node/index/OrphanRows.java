package io.tasker.node.index;

import io.tasker.protocol.TaskId;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;

/** What a task entity asks of the index beyond the rows the journal writes with its events. */
public interface OrphanRows {

  /**
   * Removes the row of a task whose journal holds no events (a row an earlier version of Tasker
   * wrote ahead of an enqueue that never landed), unless an event commits meanwhile.
   */
  CompletionStage<Done> removeIfNoEvents(TaskId id);
}
