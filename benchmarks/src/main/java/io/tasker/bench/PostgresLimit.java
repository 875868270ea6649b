package io.tasker.bench;

import com.zaxxer.hikari.HikariDataSource;
import java.io.StringReader;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import org.postgresql.PGConnection;

/**
 * The reference: what PostgreSQL itself takes, in the same run, on the same server, for rows
 * shaped like a task (id, type, small payload, run time, status; primary key and a run-time
 * index, as any task table has). Batched INSERT from the same number of threads and batch size
 * as the systems' enqueue; single-row commits from as many threads as the pool has
 * connections; COPY from one thread.
 */
final class PostgresLimit {
  private final BenchDb db;
  private final int rows;
  private final int batch;
  private final int threads;
  private final int pool;
  private final LongSupplier postgresCpuMicros;

  PostgresLimit(BenchDb db, int rows, int batch, int threads, int pool) {
    this(db, rows, batch, threads, pool, null);
  }

  /**
   * @param postgresCpuMicros CPU time PostgreSQL has used so far, to report CPU per row too (or
   *     null)
   */
  PostgresLimit(BenchDb db, int rows, int batch, int threads, int pool,
      LongSupplier postgresCpuMicros) {
    this.postgresCpuMicros = postgresCpuMicros;
    this.db = db;
    this.rows = rows;
    this.batch = batch;
    this.threads = threads;
    this.pool = pool;
  }

  void run(Map<String, Object> results) throws Exception {
    try (HikariDataSource ds = db.dataSource("postgres-limit")) {
      try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
        s.execute("create table bench_rows (id bigint primary key, type text not null,"
            + " payload bytea, run_at timestamptz not null, status smallint not null)");
        s.execute("create index bench_rows_run_at on bench_rows (run_at)");
      }
      results.put("settings", "table bench_rows(id bigint pk, type text, payload bytea(16),"
          + " run_at timestamptz indexed, status smallint); batched INSERT: " + threads
          + " threads x batches of " + batch + " (one commit per batch, reWriteBatchedInserts);"
          + " single-row: " + pool + " threads, autocommit; COPY: 1 thread");
      double batched = rows / measured(results, "batched_insert",
          () -> parallel(ds, threads, batch, rows));
      log("batched INSERT: %,.0f rows/s", batched);
      results.put("pg.batched_insert_per_s", batched);
      truncate(ds);
      double single = rows / measured(results, "single_row", () -> parallel(ds, pool, 1, rows));
      log("single-row commits (%d threads): %,.0f rows/s", pool, single);
      results.put("pg.single_row_per_s", single);
      truncate(ds);
      String copyData = copyData();
      double copy = rows / measured(results, "copy", () -> copy(ds, copyData));
      log("COPY: %,.0f rows/s", copy);
      results.put("pg.copy_per_s", copy);
    }
  }

  private interface Job {
    void run() throws Exception;
  }

  /** @return the seconds {@code job} took; puts PostgreSQL's CPU per row when known */
  private double measured(Map<String, Object> results, String name, Job job) throws Exception {
    long cpuBefore = postgresCpuMicros == null ? 0 : postgresCpuMicros.getAsLong();
    double seconds = seconds(job);
    if (postgresCpuMicros != null) {
      double perRow = (postgresCpuMicros.getAsLong() - cpuBefore) / (double) rows;
      log("%s: PostgreSQL CPU %.1f us per row", name, perRow);
      results.put("pg." + name + "_cpu_us_per_row", perRow);
    }
    return seconds;
  }

  private static double seconds(Job job) throws Exception {
    long start = System.nanoTime();
    job.run();
    return (System.nanoTime() - start) / 1e9;
  }

  /** {@code rows} rows in transactions of {@code perCommit} rows from {@code n} threads. */
  private void parallel(HikariDataSource ds, int n, int perCommit, int rows) throws Exception {
    int chunks = (rows + perCommit - 1) / perCommit;
    AtomicInteger next = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      List<Future<?>> running = new ArrayList<>();
      for (int t = 0; t < n; t++) {
        running.add(pool.submit(() -> {
          try (Connection c = ds.getConnection();
              PreparedStatement insert = c.prepareStatement("insert into bench_rows"
                  + " (id, type, payload, run_at, status) values (?, ?, ?, ?, ?)")) {
            c.setAutoCommit(perCommit == 1);
            byte[] payload = new byte[16];
            for (int chunk = next.getAndIncrement(); chunk < chunks;
                chunk = next.getAndIncrement()) {
              int from = chunk * perCommit;
              int to = Math.min(rows, from + perCommit);
              Timestamp now = new Timestamp(System.currentTimeMillis());
              for (int id = from; id < to; id++) {
                insert.setLong(1, id);
                insert.setString(2, "bench");
                insert.setBytes(3, payload);
                insert.setTimestamp(4, now);
                insert.setShort(5, (short) 0);
                if (perCommit == 1) {
                  insert.executeUpdate();
                } else {
                  insert.addBatch();
                }
              }
              if (perCommit > 1) {
                insert.executeBatch();
                c.commit();
              }
            }
          }
          return null;
        }));
      }
      for (Future<?> f : running) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /** The COPY input, built before the clock starts. */
  private String copyData() {
    StringBuilder data = new StringBuilder(rows * 64);
    String now = new Timestamp(System.currentTimeMillis()).toString();
    for (int id = 0; id < rows; id++) {
      data.append(id).append("\tbench\t\\\\x00000000000000000000000000000000\t")
          .append(now).append("\t0\n");
    }
    return data.toString();
  }

  private static void copy(HikariDataSource ds, String data) throws Exception {
    try (Connection c = ds.getConnection()) {
      c.unwrap(PGConnection.class).getCopyAPI().copyIn(
          "copy bench_rows (id, type, payload, run_at, status) from stdin", new StringReader(data));
    }
  }

  private static void truncate(HikariDataSource ds) throws Exception {
    try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
      s.execute("truncate bench_rows");
      s.execute("vacuum analyze bench_rows");
    }
  }

  private static void log(String format, Object... args) {
    System.out.printf("[postgres] " + format + "%n", args);
  }
}
