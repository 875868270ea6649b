package io.tasker.bench;

import com.github.kagkarlsson.scheduler.Scheduler;
import com.github.kagkarlsson.scheduler.SchedulerClient;
import com.github.kagkarlsson.scheduler.logging.LogLevel;
import com.github.kagkarlsson.scheduler.task.FailureHandler;
import com.github.kagkarlsson.scheduler.task.SchedulableInstance;
import com.github.kagkarlsson.scheduler.task.helper.OneTimeTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import com.zaxxer.hikari.HikariDataSource;
import java.io.Serializable;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * db-scheduler with the lock-and-fetch polling strategy (select for update skip locked), the
 * setting its README gives for more than 1,000 executions/s, at its high-throughput example
 * fractions (1.0, 4.0: keep the threads busy). Enqueue is {@code SchedulerClient.scheduleBatch};
 * the scheduler (the workers) is built and started by {@link #startWorkers}.
 */
final class DbSchedulerSystem implements SystemUnderTest {
  /** Task data (Java serialization, db-scheduler's default serializer). */
  public record Data(int seq) implements Serializable {}

  // The table definition db-scheduler documents for PostgreSQL (postgresql_tables.sql).
  private static final String[] SCHEMA = {
    "create table scheduled_tasks (task_name text not null, task_instance text not null,"
        + " task_data bytea, execution_time timestamp with time zone not null,"
        + " picked boolean not null, picked_by text, last_success timestamp with time zone,"
        + " last_failure timestamp with time zone, consecutive_failures int,"
        + " last_heartbeat timestamp with time zone, version bigint not null, priority smallint,"
        + " primary key (task_name, task_instance))",
    "create index execution_time_idx on scheduled_tasks (execution_time)",
    "create index last_heartbeat_idx on scheduled_tasks (last_heartbeat)",
    "create index priority_execution_time_idx on scheduled_tasks (priority desc, execution_time asc)"
  };

  private final int threads = Integer.getInteger("bench.threads", 20);
  private final Duration pollingInterval =
      Duration.ofMillis(Long.getLong("bench.dbs.polling-ms", 100));
  private final double lowerLimit = Double.parseDouble(System.getProperty("bench.dbs.lower", "1.0"));
  private final double upperLimit = Double.parseDouble(System.getProperty("bench.dbs.upper", "4.0"));

  private HikariDataSource dataSource;
  private OneTimeTask<Data> task;
  private SchedulerClient client;
  private Scheduler scheduler;

  @Override
  public String name() {
    return "db-scheduler";
  }

  @Override
  public String settings() {
    return "db-scheduler, pollUsingLockAndFetch(" + lowerLimit + ", " + upperLimit + "), threads="
        + threads + ", pollingInterval=" + pollingInterval.toMillis() + " ms,"
        + " enableImmediateExecution, HikariCP pool=" + dataSource.getMaximumPoolSize()
        + ", Java-serialized data, retries: MaxRetriesFailureHandler(2, OnFailureRetryLater(1 s));"
        + " enqueue: SchedulerClient.scheduleBatch";
  }

  @Override
  public void open(BenchDb db, Sink sink) throws Exception {
    dataSource = db.dataSource("db-scheduler");
    try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
      for (String ddl : SCHEMA) {
        s.execute(ddl);
      }
    }
    task = Tasks.oneTime("bench", Data.class)
        .onFailure(new FailureHandler.MaxRetriesFailureHandler<>(
            2, new FailureHandler.OnFailureRetryLater<>(Duration.ofSeconds(1))))
        .execute((instance, context) -> sink.run(instance.getData().seq()));
    client = SchedulerClient.Builder.create(dataSource, task).build();
  }

  @Override
  public void enqueue(List<BenchTask> tasks) {
    List<SchedulableInstance<?>> batch = new ArrayList<>(tasks.size());
    Instant now = Instant.now();
    for (BenchTask t : tasks) {
      batch.add(SchedulableInstance.of(
          task.instance(Integer.toString(t.seq()), new Data(t.seq())),
          t.immediate() ? now : Instant.ofEpochMilli(t.runAtMillis())));
    }
    client.scheduleBatch(batch);
  }

  @Override
  public void startWorkers() {
    scheduler = Scheduler.create(dataSource, task)
        .threads(threads)
        .pollingInterval(pollingInterval)
        .pollUsingLockAndFetch(lowerLimit, upperLimit)
        .enableImmediateExecution()
        // one line per intentional failure would be logging, not scheduling
        .failureLogging(LogLevel.DEBUG, false)
        .shutdownMaxWait(Duration.ofSeconds(5))
        .build();
    scheduler.start();
  }

  @Override
  public long unfinished() throws Exception {
    try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
        ResultSet r = s.executeQuery("select count(*) from scheduled_tasks")) {
      r.next();
      return r.getLong(1); // one-time tasks are deleted when they complete
    }
  }

  @Override
  public void close() {
    if (scheduler != null) {
      scheduler.stop();
    }
    if (dataSource != null) {
      dataSource.close();
    }
  }
}
