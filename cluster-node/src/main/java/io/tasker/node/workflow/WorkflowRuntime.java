package io.tasker.node.workflow;

import io.tasker.node.EnqueueResult;
import io.tasker.protocol.EnqueueRequest;
import io.tasker.protocol.TaskId;
import io.tasker.protocol.TaskView;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * What an execution uses from its node: the normal enqueue path (steps are ordinary tasks,
 * deduplicated by idempotency key), the outcome wait of tasks, task cancel, and the clock.
 *
 * @param watch how long one outcome wait lasts before it is renewed
 * @param retryInterval the pause before an enqueue or a wait that failed is tried again
 */
public record WorkflowRuntime(
    Clock clock,
    Function<EnqueueRequest, CompletionStage<EnqueueResult>> enqueue,
    BiFunction<TaskId, Duration, CompletionStage<TaskView>> result,
    Function<TaskId, CompletionStage<TaskView>> cancel,
    Duration watch,
    Duration retryInterval) {}
