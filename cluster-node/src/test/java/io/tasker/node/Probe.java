package io.tasker.node;

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
 * not see each other's records.
 *
 * @param test the test's name
 * @param label names the task within the test
 * @param key a concurrency key to count per-key concurrency by, or null
 * @param sleepMillis how long the handler works
 * @param failures how many first attempts fail
 */
public record Probe(String test, String label, String key, long sleepMillis, int failures) {

  static Probe of(String test, String label) {
    return new Probe(test, label, null, 0, 0);
  }

  Probe sleeping(long millis) {
    return new Probe(test, label, key, millis, failures);
  }

  Probe failing(int count) {
    return new Probe(test, label, key, sleepMillis, count);
  }

  Probe keyed(String concurrencyKey) {
    return new Probe(test, label, concurrencyKey, sleepMillis, failures);
  }

  static final TaskType<Probe> WORK = TaskType.of("probe", Probe.class);
  static final TaskType<Probe> STRICT = TaskType.of("strict", Probe.class);
  static final TaskType<Probe> BLOCK = TaskType.of("block", Probe.class);

  /** What the handlers saw for one test. */
  static final class Record {
    final List<String> started = Collections.synchronizedList(new ArrayList<>());
    final List<Long> startNanos = Collections.synchronizedList(new ArrayList<>());
    final Set<String> interrupted = ConcurrentHashMap.newKeySet();
    final Map<String, CountDownLatch> gates = new ConcurrentHashMap<>();
    final AtomicInteger running = new AtomicInteger();
    final AtomicInteger maxRunning = new AtomicInteger();
    final Map<String, AtomicInteger> runningByKey = new ConcurrentHashMap<>();
    final Map<String, AtomicInteger> maxByKey = new ConcurrentHashMap<>();

    CountDownLatch gate(String label) {
      return gates.computeIfAbsent(label, l -> new CountDownLatch(1));
    }

    int maxFor(String key) {
      return maxByKey.getOrDefault(key, new AtomicInteger()).get();
    }
  }

  private static final Map<String, Record> records = new ConcurrentHashMap<>();

  static Record record(String test) {
    return records.computeIfAbsent(test, t -> new Record());
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
    record.started.add(probe.label());
    record.startNanos.add(System.nanoTime());
    record.maxRunning.accumulateAndGet(record.running.incrementAndGet(), Math::max);
    if (probe.key() != null) {
      int now = record.runningByKey.computeIfAbsent(probe.key(), k -> new AtomicInteger())
          .incrementAndGet();
      record.maxByKey.computeIfAbsent(probe.key(), k -> new AtomicInteger())
          .accumulateAndGet(now, Math::max);
    }
    try {
      if (ctx.attempt() <= probe.failures()) {
        throw new IllegalStateException("planned failure on attempt " + ctx.attempt());
      }
      if (block) {
        record.gate(probe.label()).await();
      }
      if (probe.sleepMillis() > 0) {
        Thread.sleep(probe.sleepMillis());
      }
      return probe.label();
    } catch (InterruptedException e) {
      record.interrupted.add(probe.label());
      throw e;
    } finally {
      record.running.decrementAndGet();
      if (probe.key() != null) {
        record.runningByKey.get(probe.key()).decrementAndGet();
      }
    }
  }
}
