package io.tasker.bench;

import java.util.List;

/**
 * One task system as the workloads drive it. The workloads in {@link PeerRun} are written once
 * against this; each implementation only maps these calls onto its system's public API.
 *
 * <p>Life of one workload: {@link #open} on a fresh, empty database (workers not running),
 * {@link #enqueue} from one or more threads, {@link #startWorkers}, then {@link #close}.
 */
public interface SystemUnderTest extends AutoCloseable {

  /** @return the name used in the report ({@code tasker}, {@code db-scheduler}, ...) */
  String name();

  /** @return the settings this system runs with, for the report */
  String settings();

  /**
   * Creates the system's schema in the (empty) database and gets ready to accept tasks, without
   * running any yet. Every handler invocation must call {@link Sink#run(int)} with the task's
   * seq and let its exception fail the attempt (to be retried after ~1 s, at most 2 retries).
   */
  void open(BenchDb db, Sink sink) throws Exception;

  /**
   * Stores the tasks; returns once all of them are durably accepted (the system's own meaning of
   * "enqueued"). Called concurrently from several threads.
   */
  void enqueue(List<BenchTask> tasks) throws Exception;

  /** Starts running due tasks. */
  void startWorkers() throws Exception;

  /**
   * @return tasks the system's store still holds as not finished (scheduled, queued, running or
   *     waiting for a retry): 0 once every outcome is durable
   */
  long unfinished() throws Exception;

  @Override
  void close() throws Exception;

  /** @return the implementation for a name on the command line */
  static SystemUnderTest named(String name) {
    return switch (name) {
      case "tasker" -> new TaskerSystem(false);
      case "tasker-tuned" -> new TaskerSystem(true);
      case "db-scheduler" -> new DbSchedulerSystem();
      case "jobrunr" -> new JobRunrSystem();
      default -> throw new IllegalArgumentException("unknown system: " + name);
    };
  }
}
