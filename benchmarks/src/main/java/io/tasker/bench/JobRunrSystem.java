package io.tasker.bench;

import static org.jobrunr.server.BackgroundJobServerConfiguration.usingStandardBackgroundJobServerConfiguration;

import com.zaxxer.hikari.HikariDataSource;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.jobrunr.configuration.JobRunr;
import org.jobrunr.jobs.filters.RetryFilter;
import org.jobrunr.jobs.lambdas.JobRequest;
import org.jobrunr.jobs.lambdas.JobRequestHandler;
import org.jobrunr.jobs.states.StateName;
import org.jobrunr.scheduling.JobBuilder;
import org.jobrunr.scheduling.JobRequestScheduler;
import org.jobrunr.server.BackgroundJobServer;
import org.jobrunr.server.JobActivator;
import org.jobrunr.storage.StorageProvider;
import org.jobrunr.storage.sql.postgres.PostgresStorageProvider;
import org.jobrunr.utils.mapper.jackson.JacksonJsonMapper;

/**
 * JobRunr OSS with its PostgreSQL storage provider. Jobs are {@link JobRequest}s (no lambda
 * analysis per job); immediate tasks go through {@code enqueue(Stream)}, scheduled ones through
 * {@code create(Stream<JobBuilder>)} with {@code scheduleAt}. The background job server is
 * configured at {@link #open} but started by {@link #startWorkers}.
 */
final class JobRunrSystem implements SystemUnderTest {
  private static volatile Sink sink;

  /** The job: the task's seq, as JSON in the job's details. */
  public record BenchJob(int seq) implements JobRequest {
    @Override
    public Class<BenchJobHandler> getJobRequestHandler() {
      return BenchJobHandler.class;
    }
  }

  /** Runs a {@link BenchJob}. */
  public static final class BenchJobHandler implements JobRequestHandler<BenchJob> {
    @Override
    public void run(BenchJob job) {
      sink.run(job.seq());
    }
  }

  private final int workers = Integer.getInteger("bench.threads", 20);
  private final Duration pollInterval =
      Duration.ofMillis(Long.getLong("bench.jobrunr.poll-ms", 5000));

  private HikariDataSource dataSource;
  private StorageProvider storage;
  private JobRequestScheduler scheduler;
  private BackgroundJobServer server;

  @Override
  public String name() {
    return "jobrunr";
  }

  @Override
  public String settings() {
    return "JobRunr OSS, PostgresStorageProvider, workers=" + workers + ", pollInterval="
        + pollInterval.toMillis() + " ms, HikariCP pool=" + dataSource.getMaximumPoolSize()
        + ", JobRequest jobs, Jackson mapper, dashboard off,"
        + " retries: RetryFilter(2 retries, backoff seed 1 => 1 s);"
        + " enqueue: JobRequestScheduler.enqueue(Stream) / create(Stream<JobBuilder>)";
  }

  @Override
  public void open(BenchDb db, Sink sink) {
    JobRunrSystem.sink = sink;
    dataSource = db.dataSource("jobrunr");
    storage = new PostgresStorageProvider(dataSource);
    BenchJobHandler handler = new BenchJobHandler();
    JobActivator activator = new JobActivator() {
      @Override
      @SuppressWarnings("unchecked")
      public <T> T activateJob(Class<T> type) {
        return type == BenchJobHandler.class ? (T) handler : null;
      }
    };
    var result = JobRunr.configure()
        .useJsonMapper(new JacksonJsonMapper())
        .useStorageProvider(storage)
        .useJobActivator(activator)
        .withJobFilter(new RetryFilter(2, 1))
        .useBackgroundJobServer(usingStandardBackgroundJobServerConfiguration()
            .andWorkerCount(workers)
            .andPollInterval(pollInterval), false)
        .initialize();
    scheduler = result.getJobRequestScheduler();
    server = result.getBackgroundJobServer();
  }

  @Override
  public void enqueue(List<BenchTask> tasks) {
    if (tasks.stream().allMatch(BenchTask::immediate)) {
      scheduler.enqueue(tasks.stream().map(t -> new BenchJob(t.seq())));
    } else {
      scheduler.create(tasks.stream().map(t -> JobBuilder.aJob()
          .scheduleAt(Instant.ofEpochMilli(t.runAtMillis()))
          .withJobRequest(new BenchJob(t.seq()))));
    }
  }

  @Override
  public void startWorkers() {
    server.start();
  }

  @Override
  public long unfinished() {
    return storage.countJobs(StateName.SCHEDULED) + storage.countJobs(StateName.ENQUEUED)
        + storage.countJobs(StateName.PROCESSING) + storage.countJobs(StateName.AWAITING);
  }

  @Override
  public void close() throws Exception {
    if (server != null && server.isRunning()) {
      server.stop();
    }
    JobRunr.destroy();
    if (dataSource != null) {
      dataSource.close();
    }
  }
}
