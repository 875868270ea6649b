package io.tasker.node.journal;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Extension;
import org.apache.pekko.persistence.Persistence;

/**
 * The journal's batched reads and writes for an actor that keeps the events of many persistence
 * ids itself (a task partition: one sharded actor for all tasks of a shard). The rows are those
 * the plugin writes, so Pekko Persistence reads what was written here and the other way round;
 * the primary key (persistence id, sequence number) still rejects a second writer.
 */
public interface EventStore {

  /**
   * @param events the stored events, in order, deleted ones left out
   * @param highest the highest sequence number stored (deleted ones count), 0 if none
   */
  record Events(List<Object> events, long highest) {}

  /** @return every event of {@code persistenceId}, read in a batch with others asked meanwhile */
  CompletionStage<Events> read(String persistenceId);

  /**
   * Appends {@code event} (bare, or an {@link EventWithRow} whose row commits with it) as
   * {@code sequenceNumber}, in one transaction with the writes queued meanwhile.
   */
  CompletionStage<Void> append(String persistenceId, long sequenceNumber, Object event);

  /**
   * @return the store of {@code system}'s Tasker journal, once the plugin has started (this
   *     starts it)
   * @throws IllegalStateException if the journal plugin is not Tasker's
   */
  static CompletionStage<EventStore> of(ActorSystem system) {
    String plugin = system.settings().config().getString("pekko.persistence.journal.plugin");
    if (!"tasker-journal".equals(plugin)) {
      throw new IllegalStateException(
          "tasks need Tasker's journal (pekko.persistence.journal.plugin = tasker-journal), not "
              + plugin);
    }
    Persistence.get(system).journalFor(plugin, com.typesafe.config.ConfigFactory.empty());
    return Registry.ID.get(system).store;
  }

  /** Where a started journal plugin leaves its store for the actors of its system. */
  final class Registry implements Extension {
    static final Id ID = new Id();

    private final CompletableFuture<EventStore> store = new CompletableFuture<>();

    static void started(ActorSystem system, EventStore store) {
      ID.get(system).store.complete(store);
    }

    static final class Id extends AbstractExtensionId<Registry> {
      @Override
      public Registry createExtension(ExtendedActorSystem system) {
        return new Registry();
      }
    }
  }
}
