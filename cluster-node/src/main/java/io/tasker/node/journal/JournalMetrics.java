package io.tasker.node.journal;

import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Extension;

/**
 * What the journal tells the node's metrics: each committed batch. Pekko makes the journal from
 * its configuration alone, so the node hands its metrics over through {@link #set}, before any
 * entity writes.
 */
public interface JournalMetrics {
  JournalMetrics NONE = (events, commitNanos) -> {};

  /**
   * @param events events written by the transaction
   * @param commitNanos how long the transaction took, from its first statement to its commit
   */
  void committed(int events, long commitNanos);

  /** Makes {@code metrics} the ones the journal of {@code system} reports to. */
  static void set(ActorSystem system, JournalMetrics metrics) {
    Holder.ID.get(system).metrics.set(metrics);
  }

  /** @return the metrics set for {@code system}, or {@link #NONE} */
  static JournalMetrics of(ActorSystem system) {
    return Holder.ID.get(system).metrics.get();
  }

  /** The extension holding a system's journal metrics. */
  final class Holder implements Extension {
    private static final Id ID = new Id();
    private final AtomicReference<JournalMetrics> metrics = new AtomicReference<>(NONE);

    private static final class Id extends AbstractExtensionId<Holder> {
      @Override
      public Holder createExtension(ExtendedActorSystem system) {
        return new Holder();
      }
    }
  }
}
