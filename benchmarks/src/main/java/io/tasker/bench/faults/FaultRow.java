package io.tasker.bench.faults;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One scenario's result: the counts every row has, the scenario's own figures, and why it
 * failed (empty when it passed). A row fails when an acknowledged task is lost or never
 * finished, or ran twice without a {@code LOST} attempt on record, or when the scenario adds a
 * failure of its own (e.g. a 5xx to a hostile request).
 *
 * @param scenario the scenario's name (as {@code --only} takes it)
 * @param journal the journal and its durability settings
 * @param counts what became of the acknowledged tasks
 * @param fiveXx 5xx answers the client got
 * @param figures the scenario's own figures, by name
 * @param failures why the row failed; empty if it passed
 * @param goalsMissed targets of the scenario it missed (reported; the row still passes)
 * @param evidence tasks or requests behind the failures (a few)
 */
record FaultRow(String scenario, String journal, TaskAudit.Counts counts, long fiveXx,
    Map<String, Object> figures, List<String> failures, List<String> goalsMissed,
    List<String> evidence) {

  static FaultRow of(String scenario, String journal, TaskAudit.Counts counts, long fiveXx,
      Map<String, Object> figures, List<String> ownFailures, List<String> goalsMissed,
      List<String> evidence) {
    List<String> failures = new ArrayList<>();
    if (counts.lost() > 0) {
      failures.add(counts.lost() + " acknowledged task(s) lost");
    }
    if (counts.unfinished() > 0) {
      failures.add(counts.unfinished() + " acknowledged task(s) never finished");
    }
    if (counts.unexplained() > 0) {
      failures.add(counts.unexplained() + " task(s) ran twice without a LOST attempt");
    }
    failures.addAll(ownFailures);
    return new FaultRow(scenario, journal, counts, fiveXx, new LinkedHashMap<>(figures),
        List.copyOf(failures), List.copyOf(goalsMissed), List.copyOf(evidence));
  }

  /** A scenario that could not be carried out (its set-up failed): a failed row. */
  static FaultRow broken(String scenario, String journal, Exception e) {
    return new FaultRow(scenario, journal, new TaskAudit.Counts(0, 0, 0, 0, 0, 0), 0, Map.of(),
        List.of("scenario did not complete: " + e), List.of(), List.of());
  }

  boolean passed() {
    return failures.isEmpty();
  }
}
