package io.tasker.bench.faults;

import java.time.Duration;

/**
 * The sizes of one run of the fault suite: {@code small} finishes in a few minutes (for a
 * change under review), {@code full} in about half an hour.
 *
 * @param name small or full
 * @param burst tasks enqueued one request each before the single node is killed
 * @param rate tasks per second of the steady loads (node kill, database outage)
 * @param sleep what each task of the steady loads does: sleep this long
 * @param beforeKill steady load before the node is killed
 * @param afterKill steady load after it
 * @param outage how long PostgreSQL is down
 * @param aroundOutage steady load before and after the outage
 * @param scheduled tasks scheduled (through the batch endpoint) before the whole cluster dies
 * @param spread the run times of those tasks spread over this long
 * @param hostile hostile requests sent (at least)
 */
record Scale(String name, int burst, int rate, Duration sleep, Duration beforeKill,
    Duration afterKill, Duration outage, Duration aroundOutage, int scheduled, Duration spread,
    int hostile) {

  static Scale of(String name) {
    return switch (name) {
      case "small" -> new Scale("small", 300, 30, Duration.ofMillis(100), Duration.ofSeconds(20),
          Duration.ofSeconds(40), Duration.ofSeconds(10), Duration.ofSeconds(10), 5_000,
          Duration.ofSeconds(90), 1_000);
      case "full" -> new Scale("full", 2_000, 100, Duration.ofMillis(100), Duration.ofSeconds(60),
          Duration.ofSeconds(90), Duration.ofSeconds(10), Duration.ofSeconds(30), 100_000,
          Duration.ofMinutes(5), 3_000);
      default -> throw new IllegalArgumentException("--scale small|full, not " + name);
    };
  }
}
