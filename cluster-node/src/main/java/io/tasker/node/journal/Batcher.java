package io.tasker.node.journal;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Groups requests that arrive while a database round trip is under way into the next round
 * trip: each thread takes whatever has queued up (at most {@code maxBatch}) and hands it to the
 * handler as one batch. Under light load a batch is one request and waits for nothing; under
 * heavy load batches grow, and so does the work done per statement and commit.
 *
 * <p>A handler that throws, even an {@link Error}, costs only its batch: every request in it is
 * failed (answering an answered request does nothing) and the thread goes on with the next
 * batch, so no caller waits forever on a thread that has died.
 *
 * @param <T> a request; its handler completes whatever future the request carries
 */
public final class Batcher<T> implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Batcher.class);

  /** Handles one batch; it must answer every request in it, also when it throws. */
  @FunctionalInterface
  public interface Handler<T> {
    void handle(List<T> batch);
  }

  private final BlockingQueue<T> queue = new LinkedBlockingQueue<>();
  private final int maxBatch;
  private final Handler<T> handler;
  private final BiConsumer<? super T, Throwable> fail;
  private final List<Thread> threads = new ArrayList<>();
  private volatile boolean open = true;

  /**
   * @param name thread name
   * @param threadCount batches handled at once (each holds a connection while it runs)
   * @param fail answers one request of a batch whose handler threw
   */
  public Batcher(String name, int threadCount, int maxBatch, Handler<T> handler,
      BiConsumer<? super T, Throwable> fail) {
    this.maxBatch = maxBatch;
    this.handler = handler;
    this.fail = fail;
    for (int i = 0; i < threadCount; i++) {
      Thread thread = new Thread(this::loop, threadCount == 1 ? name : name + "-" + i);
      thread.setDaemon(true);
      threads.add(thread);
      thread.start();
    }
  }

  /** @return false once closed: the request was not taken */
  public boolean offer(T request) {
    if (!open) {
      return false;
    }
    queue.add(request);
    return true;
  }

  private void loop() {
    List<T> batch = new ArrayList<>();
    while (open || !queue.isEmpty()) {
      try {
        T first = queue.poll(100, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        batch.add(first);
        queue.drainTo(batch, maxBatch - 1);
        handler.handle(batch);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (Throwable e) { // even an Error: the thread must outlive any one batch
        log.error("batch handler failed on {} requests", batch.size(), e);
        batch.forEach(request -> fail.accept(request, e));
      } finally {
        batch.clear();
      }
    }
  }

  /** Stops taking requests and waits (briefly) for the queued ones to be handled. */
  @Override
  public void close() {
    open = false;
    for (Thread thread : threads) {
      try {
        thread.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
