package io.tasker.node.internal;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Extension;

/**
 * The node's readiness as Pekko Management's {@code /ready} reports it: the check class named
 * in {@code pekko.management.health-checks.readiness-checks} is made by Management with the
 * actor system only, so the node hands its check over through this extension.
 */
public final class NodeHealth implements Extension {
  private static final Id ID = new Id();

  private volatile Supplier<CompletionStage<Boolean>> readiness =
      () -> CompletableFuture.completedFuture(false);

  public static NodeHealth get(ActorSystem system) {
    return ID.get(system);
  }

  public void readiness(Supplier<CompletionStage<Boolean>> check) {
    this.readiness = check;
  }

  /** The readiness check Pekko Management instantiates and calls. */
  public static final class Readiness implements Supplier<CompletionStage<Boolean>> {
    private final NodeHealth health;

    public Readiness(ActorSystem system) {
      this.health = NodeHealth.get(system);
    }

    @Override
    public CompletionStage<Boolean> get() {
      return health.readiness.get();
    }
  }

  private static final class Id extends AbstractExtensionId<NodeHealth> {
    @Override
    public NodeHealth createExtension(ExtendedActorSystem system) {
      return new NodeHealth();
    }
  }
}
