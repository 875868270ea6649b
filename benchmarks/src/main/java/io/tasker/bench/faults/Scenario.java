package io.tasker.bench.faults;

import java.nio.file.Path;
import java.util.List;

/** One fault the suite injects into real node processes, and what it checks afterwards. */
interface Scenario {
  /** @return the name {@code --only} selects it by */
  String name();

  /** Runs the scenario on its own nodes (and database) and returns its row(s). */
  List<FaultRow> run(Setting setting) throws Exception;

  /**
   * What every scenario gets.
   *
   * @param scale sizes of this run
   * @param work directory for node logs and data of this run
   * @param nodeJvm JVM options of every node process
   * @param postgres the suite's PostgreSQL (fsync on)
   * @param postgresLabel its version and durability settings, as it runs
   */
  record Setting(Scale scale, Path work, List<String> nodeJvm, Postgres postgres,
      String postgresLabel) {}
}
