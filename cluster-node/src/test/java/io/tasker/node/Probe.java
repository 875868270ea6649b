package io.tasker.node;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The payload of the test handlers, and what they observed: start order, concurrency overall
 * and per key, interrupts. Each test uses its own {@code test} name, so tests sharing a node do
 * not see each other's records. A {@link #BLOCK} handler works until the test opens its gate
 * (or an interrupt ends it): tests hold work running by that, never by sleeping.
 *
 * @param test the test's name
 * @param label names the task within the test
 * @param key a concurrency key to count per-key concurrency by, or null
 * @param failures how many first attempts fail
 */
public record Probe(String test, String label, String key, int failures) {

  static Probe of(String test, String label) {
    return new Probe(test, label, null, 0);
  }

  Probe failing(int count) {
    return new Probe(test, label, key, count);
  }

  Probe keyed(String concurrencyKey) {
    return new Probe(test, label, concurrencyKey, failures);
  }

  static final TaskType<Probe> WORK = TaskType.of("probe", Probe.class);
  static final TaskType<Probe> STRICT = TaskType.of("strict", Probe.class);
  static final TaskType<Probe> BLOCK = TaskType.of("block", Probe.class);

  /** What the handlers saw for one test; closing it opens its gates. */
  static final class Record implements AutoCloseable {
    final List<String> started = Collections.synchronizedList(new ArrayList<>());
    final List<Long> startNanos = Collections.synchronizedList(new ArrayList<>());
    final Set<String> interrupted = ConcurrentHashMap.newKeySet();
    final Map<String, CountDownLatch> gates = new ConcurrentHashMap<>();
    final AtomicInteger running = new AtomicInteger();
    /** Attempts that ended, however. */
    final AtomicInteger finished = new AtomicInteger();
    final AtomicInteger maxRunning = new AtomicInteger();
    final Map<String, AtomicInteger> runningByKey = new ConcurrentHashMap<>();
    final Map<String, AtomicInteger> maxByKey = new ConcurrentHashMap<>();

    private volatile boolean allOpen;

    /** @return the gate a held attempt of {@code label} waits at */
    CountDownLatch gate(String label) {
      CountDownLatch gate = gates.computeIfAbsent(label, l -> new CountDownLatch(1));
      if (allOpen) {
        gate.countDown();
      }
      return gate;
    }

    /** Opens every gate, those of attempts still to come too. */
    void openAll() {
      allOpen = true;
      gates.values().forEach(CountDownLatch::countDown);
    }

    @Override
    public void close() {
      openAll();
    }

    /** Counts an attempt of {@code label} starting, under concurrency {@code key} (or null). */
    void enter(String label, String key) {
      started.add(label);
      startNanos.add(System.nanoTime());
      maxRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
      if (key != null) {
        int now = runningByKey.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
        maxByKey.computeIfAbsent(key, k -> new AtomicInteger()).accumulateAndGet(now, Math::max);
      }
    }

    /** Counts an attempt under concurrency {@code key} (or null) ending, however it ended. */
    void exit(String key) {
      running.decrementAndGet();
      if (key != null) {
        runningByKey.get(key).decrementAndGet();
      }
      finished.incrementAndGet();
    }

    int maxFor(String key) {
      return maxByKey.getOrDefault(key, new AtomicInteger()).get();
    }

    /**
     * Lets {@code tasks} held ({@link #BLOCK}) tasks finish one at a time, in the order they
     * started, each only once {@code concurrency} of them (or all that are left) run: so every
     * start happens while the others hold their permits, and a limit that lets one more through
     * shows in {@link #maxRunning}. Each task must start once (no retries).
     *
     * @param eachStep runs at each of those moments, before the oldest is let go
     */
    void finishOneByOne(int tasks, int concurrency, Duration patience, Runnable eachStep) {
      for (int done = 0; done < tasks; done++) {
        int ended = done;
        int due = Math.min(tasks, done + concurrency);
        await().atMost(patience).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(5))
            .until(() -> started.size() >= due && finished.get() >= ended);
        eachStep.run();
        gate(started.get(done)).countDown();
      }
      await().atMost(patience).until(() -> finished.get() >= tasks);
    }

    void finishOneByOne(int tasks, int concurrency, Duration patience) {
      finishOneByOne(tasks, concurrency, patience, () -> {});
    }
  }

  private static final Map<String, Record> records = new ConcurrentHashMap<>();

  static Record record(String test) {
    return records.computeIfAbsent(test, t -> new Record());
  }

  /** Opens the gates of every test's held tasks. */
  static void openAllGates() {
    records.values().forEach(Record::openAll);
  }

  /** Registers the test handlers on {@code builder}. */
  static TaskerBuilder register(TaskerBuilder builder) {
    return builder
        .handler(WORK, (probe, ctx) -> run(probe, ctx, false))
        .handler(BLOCK, (probe, ctx) -> run(probe, ctx, true))
        .handler(STRICT, (probe, ctx) -> {
          record(probe.test()).started.add(probe.label());
          throw new IllegalArgumentException("strict handlers refuse " + probe.label());
        }, h -> h.nonRetryable(IllegalArgumentException.class));
  }

  private static Object run(Probe probe, TaskContext ctx, boolean block) throws Exception {
    Record record = record(probe.test());
    record.enter(probe.label(), probe.key());
    try {
      if (ctx.attempt() <= probe.failures()) {
        throw new IllegalStateException("planned failure on attempt " + ctx.attempt());
      }
      if (block) {
        record.gate(probe.label()).await();
      }
      return probe.label();
    } catch (InterruptedException e) {
      record.interrupted.add(probe.label());
      throw e;
    } finally {
      record.exit(probe.key());
    }
  }
}
