package io.tasker.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/** The enqueue every workload uses: batches, in order, from a few threads. */
final class BatchEnqueue {
  private BatchEnqueue() {}

  /**
   * @param acked called with each batch once the system acknowledged it
   * @return elapsed nanos
   */
  static long run(SystemUnderTest sut, List<BenchTask> tasks, int batch, int threads,
      Consumer<List<BenchTask>> acked) throws Exception {
    int batches = (tasks.size() + batch - 1) / batch;
    AtomicInteger next = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    long start = System.nanoTime();
    try {
      List<Future<?>> running = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        running.add(pool.submit(() -> {
          for (int b = next.getAndIncrement(); b < batches; b = next.getAndIncrement()) {
            List<BenchTask> slice =
                tasks.subList(b * batch, Math.min(tasks.size(), (b + 1) * batch));
            sut.enqueue(slice);
            acked.accept(slice);
          }
          return null;
        }));
      }
      for (Future<?> f : running) {
        f.get();
      }
      return System.nanoTime() - start;
    } finally {
      pool.shutdownNow();
    }
  }
}
