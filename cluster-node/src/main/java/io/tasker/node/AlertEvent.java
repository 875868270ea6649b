package io.tasker.node;

import java.time.Instant;
import java.util.Locale;

/**
 * A queue's signal crossed its configured threshold ({@link State#FIRING}) or went back under it
 * ({@link State#RESOLVED}). Thresholds are set under {@code tasker.alerts}; an alert fires once
 * per crossing, not once per check. Delivered to {@link TaskerBuilder#onAlert} listeners on the
 * node that evaluates alerts (one node of the cluster at a time).
 *
 * @param queue the queue
 * @param alert which signal
 * @param state firing or resolved
 * @param value the signal's value at the check (seconds for lateness; NaN for an alert a node
 *     took over from the one that checked before it)
 * @param threshold the configured threshold it is compared with (fires when {@code value >
 *     threshold})
 * @param at when the check ran
 */
public record AlertEvent(
    String queue, Alert alert, State state, double value, double threshold, Instant at) {

  /** The signals alerts watch, per queue. */
  public enum Alert {
    /** Tasks not finished (scheduled or running), from the task index. */
    DEPTH,
    /** Scheduled tasks already due but not started, from the task index. */
    DUE_WAITING,
    /** Dead-lettered tasks still in the index. */
    DEAD,
    /** Failed attempts per attempt of the tasks that finished within the window. */
    ERROR_RATE,
    /**
     * The 99th percentile of schedule-to-start lateness in seconds, of the attempts started by
     * one node within the window: each node checks its own (a per-node measurement).
     */
    LATENESS_P99;

    /** @return the name in configuration, logs and metric tags, e.g. {@code error-rate} */
    public String key() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
  }

  /** Whether the alert starts or ends. */
  public enum State {
    FIRING,
    RESOLVED
  }
}
