package io.tasker.bench;

/**
 * One task as the side-by-side workloads see it, whatever system stores it.
 *
 * @param seq the task's index in its workload (0..n-1): the key of every per-task record
 * @param runAtMillis when the task should start (epoch ms); for immediate tasks, when it was made
 * @param immediate true: due at once (enqueue), false: scheduled for {@code runAtMillis}
 */
public record BenchTask(int seq, long runAtMillis, boolean immediate) {}
