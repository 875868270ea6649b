package io.tasker.node;

import io.tasker.node.schedule.Trigger;
import io.tasker.protocol.EnqueueRequest;
import io.tasker.protocol.TaskerSerializable;
import io.tasker.protocol.Validation;
import io.tasker.protocol.ValidationException;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Consumer;

/**
 * A recurring schedule as its owner states it: which task to create and when. Immutable; made by
 * {@link ScheduleBuilder} or from JSON. Exactly one of {@code cron} and {@code interval} is set.
 *
 * @param id the user-chosen key, unique in the cluster (1-64 letters, digits or {@code _.-})
 * @param task the template of each firing's task; {@code runAt}, {@code delay} and {@code
 *     idempotencyKey} are set by the schedule and must be left {@code null}
 * @param cron a 5-field cron expression, or 6 fields with seconds first; or {@code null}
 * @param interval a fixed time between firings; or {@code null}
 * @param zone the IANA zone whose wall clock {@code cron} reads ({@code UTC} when {@code null})
 * @param jitter each firing's task starts up to this much after the fire time (never before);
 *     zero or {@code null} for none
 * @param startAt no firing before this time, or {@code null}; an interval's first fire time
 * @param endAt no firing after this time, or {@code null}
 * @param paused a paused schedule does not fire until resumed
 * @param overlap what happens when a fire time comes while the previous firing's task is not
 *     finished; {@code ALLOW} when {@code null}
 * @param misfire what happens to fire times missed while the cluster was down; {@code RUN_ONCE}
 *     when {@code null}
 */
public record ScheduleSpec(
    String id,
    EnqueueRequest task,
    String cron,
    Duration interval,
    String zone,
    Duration jitter,
    Instant startAt,
    Instant endAt,
    boolean paused,
    Overlap overlap,
    Misfire misfire)
    implements TaskerSerializable {

  /** The longest jitter a schedule may have. */
  public static final Duration MAX_JITTER = Duration.ofDays(1);

  /** What a fire time does while the previous firing's task has not finished. */
  public enum Overlap {
    /** Create the task regardless. */
    ALLOW,
    /** Create nothing for this fire time (it counts as skipped). */
    SKIP,
    /** Keep one pending firing, created once the previous task finishes; later ones replace it. */
    QUEUE
  }

  /** What the fire times missed during downtime do when the schedule wakes again. */
  public enum Misfire {
    /** One catch-up firing, for the latest missed time. */
    RUN_ONCE,
    /** None: the schedule goes on with its next future time. */
    SKIP,
    /** One firing per missed time, the latest {@code tasker.schedules.run-all-cap} of them. */
    RUN_ALL
  }

  public ScheduleSpec {
    zone = zone == null ? "UTC" : zone;
    jitter = jitter == null ? Duration.ZERO : jitter;
    overlap = overlap == null ? Overlap.ALLOW : overlap;
    misfire = misfire == null ? Misfire.RUN_ONCE : misfire;
  }

  /**
   * Checks everything but the task template's type and queue (which need the node's handlers):
   * see {@link #validate(Consumer)}.
   *
   * @return this spec
   * @throws ValidationException naming the first offending field
   */
  public ScheduleSpec validate() {
    if (!Validation.isName(id)) {
      throw new ValidationException(
          "id", "must be 1-64 letters, digits or '_.-', starting with a letter or digit");
    }
    if (cron == null && interval == null) {
      throw new ValidationException("cron", "give a cron expression or an interval");
    }
    if (cron != null && interval != null) {
      throw new ValidationException("interval", "give either cron or interval, not both");
    }
    Trigger.parseZone(zone);
    if (cron != null) {
      Trigger.parseCron(cron);
    } else {
      Trigger.checkInterval(interval);
    }
    if (jitter.isNegative() || jitter.compareTo(MAX_JITTER) > 0) {
      throw new ValidationException("jitter", "must be between 0 and " + MAX_JITTER.toHours() + "h");
    }
    if (startAt != null && endAt != null && !endAt.isAfter(startAt)) {
      throw new ValidationException("endAt", "must be after startAt");
    }
    if (task == null) {
      throw new ValidationException("task", "is required");
    }
    if (task.runAt() != null) {
      throw new ValidationException("task.runAt", "is set by the schedule; leave it out");
    }
    if (task.delay() != null) {
      throw new ValidationException("task.delay", "is set by the schedule; leave it out");
    }
    if (task.idempotencyKey() != null) {
      throw new ValidationException(
          "task.idempotencyKey", "is set by the schedule (one per fire time); leave it out");
    }
    return this;
  }

  /**
   * Checks the whole spec: {@code startAt} and {@code endAt} against {@link Validation#time}'s
   * range from {@code now}, the task template with {@code taskCheck} (e.g. the node's {@code
   * validate}); the template's field names come back under {@code task.}.
   *
   * @param now the current time
   * @param taskCheck the check of the task template
   * @return this spec
   * @throws ValidationException naming the first offending field
   */
  public ScheduleSpec validate(Instant now, Consumer<EnqueueRequest> taskCheck) {
    validate();
    Validation.time(now, startAt, "startAt");
    Validation.time(now, endAt, "endAt");
    try {
      taskCheck.accept(task.withIdempotencyKey(taskKey(id, Instant.EPOCH)));
    } catch (ValidationException invalid) {
      throw new ValidationException("task." + invalid.field(), invalid.reason());
    }
    return this;
  }

  /**
   * @return the idempotency key of the task of the firing at {@code fireAt}: the same firing
   *     never creates two tasks (a manual firing adds {@code :manual})
   */
  public static String taskKey(String scheduleId, Instant fireAt) {
    return "schedule:" + scheduleId + ":" + fireAt.toEpochMilli();
  }

  /** @return this spec with {@code paused} set */
  public ScheduleSpec withPaused(boolean value) {
    return new ScheduleSpec(id, task, cron, interval, zone, jitter, startAt, endAt, value, overlap,
        misfire);
  }
}
