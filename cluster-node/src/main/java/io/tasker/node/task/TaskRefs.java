package io.tasker.node.task;

import io.tasker.protocol.TaskId;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;

/** Where the commands of a task go: to the partition of its shard, wherever that is. */
public final class TaskRefs {
  private final ClusterSharding sharding;
  private final int shardsPerType;

  public TaskRefs(ClusterSharding sharding, int shardsPerType) {
    this.sharding = sharding;
    this.shardsPerType = shardsPerType;
  }

  public void tell(TaskId id, TaskEntity.Command command) {
    partitionOf(id).tell(new TaskPartition.ForTask(id, command));
  }

  /** Sends the command {@code command} makes and answers with the task's reply. */
  public <R> CompletionStage<R> ask(
      TaskId id, Function<ActorRef<R>, ? extends TaskEntity.Command> command, Duration timeout) {
    return partitionOf(id).ask(
        replyTo -> new TaskPartition.ForTask(id, command.apply(replyTo)), timeout);
  }

  /** @return the partition of shard {@code shardId} (see {@link TaskPlacement#shardOf}) */
  public EntityRef<TaskPartition.Message> partition(String shardId) {
    return sharding.entityRefFor(TaskPartition.ENTITY_TYPE_KEY, shardId);
  }

  private EntityRef<TaskPartition.Message> partitionOf(TaskId id) {
    return partition(TaskPlacement.shardOf(id.value(), shardsPerType));
  }
}
