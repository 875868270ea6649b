package io.tasker.node;


import com.fasterxml.jackson.databind.JsonNode;
import io.tasker.node.ScheduleSpec;
import io.tasker.node.ScheduleView;
import io.tasker.node.schedule.Trigger;
import io.tasker.protocol.Backoff;
import io.tasker.protocol.EnqueueRequest;
import io.tasker.protocol.ValidationException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Objects;
import java.util.concurrent.CompletionStage;

/**
 * Describes a schedule fluently, then stores it:
 *
 * <pre>{@code
 * tasker.schedule("daily-report")
 *     .cron("0 9 * * *", ZoneId.of("Europe/Berlin"))
 *     .task(REPORT, new Report("sales"))
 *     .jitter(Duration.ofSeconds(30))
 *     .overlap(ScheduleSpec.Overlap.SKIP)
 *     .upsert();
 * }</pre>
 *
 * Each method returns a new builder (the spec underneath is immutable); {@link #build()} and
 * {@link #upsert()} validate and name the offending field in a {@link ValidationException}.
 */
public final class ScheduleBuilder {
  private final Tasker tasker;
  private final ScheduleSpec spec;

  /**
   * @param tasker where {@link #upsert()} stores the schedule, or {@code null} to only {@link
   *     #build()}
   * @param id the schedule's unique key
   */
  ScheduleBuilder(Tasker tasker, String id) {
    this(tasker, new ScheduleSpec(id, null, null, null, null, null, null, null, false, null,
        null));
  }

  /** @return a builder of a spec only, for {@link Tasker#upsertSchedule(ScheduleSpec)} */
  public static ScheduleBuilder of(String id) {
    return new ScheduleBuilder(null, id);
  }

  private ScheduleBuilder(Tasker tasker, ScheduleSpec spec) {
    this.tasker = tasker;
    this.spec = spec;
  }

  /** @return this builder, firing on a cron expression read in UTC */
  public ScheduleBuilder cron(String expression) {
    return cron(expression, ZoneId.of("UTC"));
  }

  /**
   * @param expression 5 fields ({@code min hour dom month dow}) or 6 with seconds first
   * @param zone the zone whose wall clock the expression reads
   * @return this builder, firing on {@code expression}
   * @throws ValidationException naming {@code cron} if the expression does not parse
   */
  public ScheduleBuilder cron(String expression, ZoneId zone) {
    Trigger.parseCron(expression);
    Objects.requireNonNull(zone, "zone");
    return with(new ScheduleSpec(spec.id(), spec.task(), expression, null, zone.getId(),
        spec.jitter(), spec.startAt(), spec.endAt(), spec.paused(), spec.overlap(),
        spec.misfire()));
  }

  /**
   * @return this builder, firing every {@code interval} from its start (or from its creation
   *     plus one interval)
   * @throws ValidationException naming {@code interval} if out of range
   */
  public ScheduleBuilder every(Duration interval) {
    Trigger.checkInterval(interval);
    return with(new ScheduleSpec(spec.id(), spec.task(), null, interval, spec.zone(),
        spec.jitter(), spec.startAt(), spec.endAt(), spec.paused(), spec.overlap(),
        spec.misfire()));
  }

  /** @return this builder, creating a task of {@code type} with {@code payload} at each firing */
  public <P> ScheduleBuilder task(TaskType<P> type, P payload) {
    return task(EnqueueRequest.of(type.name(), Json.MAPPER.valueToTree(payload)));
  }

  /** @return this builder, creating a task of {@code type} with a JSON payload at each firing */
  public ScheduleBuilder task(String type, JsonNode payload) {
    return task(EnqueueRequest.of(type, payload));
  }

  /**
   * @param template the task of each firing; leave {@code runAt}, {@code delay} and {@code
   *     idempotencyKey} unset (the schedule sets them)
   * @return this builder
   */
  public ScheduleBuilder task(EnqueueRequest template) {
    return with(new ScheduleSpec(spec.id(), template, spec.cron(), spec.interval(), spec.zone(),
        spec.jitter(), spec.startAt(), spec.endAt(), spec.paused(), spec.overlap(),
        spec.misfire()));
  }

  /** @return this builder, with each firing's task in {@code queue} */
  public ScheduleBuilder queue(String queue) {
    return task(template().withQueue(queue));
  }

  /** @return this builder, with each firing's task at {@code priority} */
  public ScheduleBuilder priority(int priority) {
    return task(template().withPriority(priority));
  }

  /** @return this builder, with each firing's task retried up to {@code maxAttempts} */
  public ScheduleBuilder maxAttempts(int maxAttempts) {
    return task(template().withMaxAttempts(maxAttempts));
  }

  /** @return this builder, with each firing's task backing off by {@code backoff} */
  public ScheduleBuilder backoff(Backoff backoff) {
    return task(template().withBackoff(backoff));
  }

  /** @return this builder, with each attempt of a firing's task limited to {@code timeout} */
  public ScheduleBuilder timeout(Duration timeout) {
    return task(template().withTimeout(timeout));
  }

  /** @return this builder, delaying each firing's task by up to {@code jitter} (never earlier) */
  public ScheduleBuilder jitter(Duration jitter) {
    return with(new ScheduleSpec(spec.id(), spec.task(), spec.cron(), spec.interval(),
        spec.zone(), jitter, spec.startAt(), spec.endAt(), spec.paused(), spec.overlap(),
        spec.misfire()));
  }

  /** @return this builder, firing no earlier than {@code startAt} */
  public ScheduleBuilder startAt(Instant startAt) {
    return with(new ScheduleSpec(spec.id(), spec.task(), spec.cron(), spec.interval(),
        spec.zone(), spec.jitter(), startAt, spec.endAt(), spec.paused(), spec.overlap(),
        spec.misfire()));
  }

  /** @return this builder, firing no later than {@code endAt} */
  public ScheduleBuilder endAt(Instant endAt) {
    return with(new ScheduleSpec(spec.id(), spec.task(), spec.cron(), spec.interval(),
        spec.zone(), spec.jitter(), spec.startAt(), endAt, spec.paused(), spec.overlap(),
        spec.misfire()));
  }

  /** @return this builder, with the schedule stored paused */
  public ScheduleBuilder startPaused() {
    return with(spec.withPaused(true));
  }

  /** @return this builder, with {@code overlap} deciding about runs that would overlap */
  public ScheduleBuilder overlap(ScheduleSpec.Overlap overlap) {
    return with(new ScheduleSpec(spec.id(), spec.task(), spec.cron(), spec.interval(),
        spec.zone(), spec.jitter(), spec.startAt(), spec.endAt(), spec.paused(),
        Objects.requireNonNull(overlap, "overlap"), spec.misfire()));
  }

  /** @return this builder, with {@code misfire} deciding about fire times missed in downtime */
  public ScheduleBuilder misfire(ScheduleSpec.Misfire misfire) {
    return with(new ScheduleSpec(spec.id(), spec.task(), spec.cron(), spec.interval(),
        spec.zone(), spec.jitter(), spec.startAt(), spec.endAt(), spec.paused(), spec.overlap(),
        Objects.requireNonNull(misfire, "misfire")));
  }

  /**
   * @return the validated spec (the task type is checked by the node on upsert)
   * @throws ValidationException naming the first offending field
   */
  public ScheduleSpec build() {
    return spec.validate();
  }

  /**
   * Creates the schedule or replaces its definition; an identical definition changes nothing.
   *
   * @return the stored schedule with its next fire times
   */
  public CompletionStage<ScheduleView> upsert() {
    if (tasker == null) {
      throw new IllegalStateException("this builder has no Tasker to store the schedule in");
    }
    return tasker.upsertSchedule(spec);
  }

  private EnqueueRequest template() {
    if (spec.task() == null) {
      throw new ValidationException("task", "set the task (type and payload) first");
    }
    return spec.task();
  }

  private ScheduleBuilder with(ScheduleSpec next) {
    return new ScheduleBuilder(tasker, next);
  }
}
