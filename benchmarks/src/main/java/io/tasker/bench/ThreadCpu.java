package io.tasker.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * CPU time of this JVM's threads, grouped by name with digits replaced by {@code N}
 * ({@code tasker-journal-reader-N}, {@code C2 CompilerThreN}), from /proc/self/task (Linux;
 * empty elsewhere). Names are the kernel's, cut at 15 characters. A thread that ends between two
 * snapshots takes its time with it, so a group's difference is a lower bound.
 */
final class ThreadCpu {
  /** USER_HZ: the unit of CPU times in /proc/[pid]/task/[tid]/stat on Linux. */
  private static final double TICK_NANOS = 1e9 / 100;

  private final Map<String, Long> ticks;

  private ThreadCpu(Map<String, Long> ticks) {
    this.ticks = ticks;
  }

  static ThreadCpu snapshot() {
    Map<String, Long> ticks = new HashMap<>();
    try (DirectoryStream<Path> threads = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
      for (Path thread : threads) {
        try {
          String stat = Files.readString(thread.resolve("stat"));
          int open = stat.indexOf('(');
          int close = stat.lastIndexOf(')');
          String group = stat.substring(open + 1, close).replaceAll("\\d+", "N");
          String[] f = stat.substring(close + 2).split(" ");
          ticks.merge(group, Long.parseLong(f[11]) + Long.parseLong(f[12]), Long::sum);
        } catch (IOException | RuntimeException gone) {
          // the thread ended meanwhile
        }
      }
    } catch (IOException | RuntimeException noProc) {
      // not Linux
    }
    return new ThreadCpu(ticks);
  }

  /** @return CPU µs per task of each group since {@code start}, the largest first */
  Map<String, Double> perTaskSince(ThreadCpu start, long tasks) {
    Map<String, Double> perTask = new LinkedHashMap<>();
    ticks.entrySet().stream()
        .map(e -> Map.entry(e.getKey(), e.getValue() - start.ticks.getOrDefault(e.getKey(), 0L)))
        .filter(e -> e.getValue() > 0)
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .forEach(e -> perTask.put(e.getKey(), e.getValue() * TICK_NANOS / 1e3 / tasks));
    return perTask;
  }

  /** @return CPU µs per task of the JIT compiler threads since {@code start} */
  double jitPerTaskSince(ThreadCpu start, long tasks) {
    return perTaskSince(start, tasks).entrySet().stream()
        .filter(e -> e.getKey().contains("CompilerThre"))
        .mapToDouble(Map.Entry::getValue).sum();
  }

  /**
   * Waits until the JIT compiler threads used under 5 % of a CPU over half a second, at most
   * {@code timeout}.
   *
   * @return milliseconds waited
   */
  static long awaitQuietJit(java.time.Duration timeout) throws InterruptedException {
    long start = System.nanoTime();
    long deadline = start + timeout.toNanos();
    ThreadCpu before = snapshot();
    while (System.nanoTime() < deadline) {
      Thread.sleep(500);
      ThreadCpu now = snapshot();
      double jitMicros = now.jitPerTaskSince(before, 1);
      if (jitMicros < 25_000) {
        break;
      }
      before = now;
    }
    return (System.nanoTime() - start) / 1_000_000;
  }
}
