package io.tasker.node.schedule;

import com.cronutils.model.Cron;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import io.tasker.protocol.ValidationException;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.zone.ZoneOffsetTransition;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * When a schedule fires: a cron expression read in a time zone, or a fixed interval.
 *
 * <p>Cron expressions have 5 fields ({@code min hour day-of-month month day-of-week}, Unix
 * syntax) or 6 with seconds first ({@code sec min hour dom month dow}, Spring syntax). Parsing
 * and matching are done by cron-utils; the expression is matched against the <em>local wall
 * clock</em> of the zone (cron-utils runs on a zone without transitions, UTC), and this class
 * maps each matching local time to an instant with two documented rules:
 *
 * <ul>
 *   <li>a local time that does not exist (spring-forward gap, e.g. 02:30 on 2026-03-29 in
 *       Europe/Berlin) fires at the same wall time shifted by the length of the gap (03:30 CEST),
 *       as {@link ZonedDateTime#of} does: a daily job is never lost;
 *   <li>a local time that occurs twice (fall-back overlap, e.g. 02:30 on 2026-10-25 in
 *       Europe/Berlin) fires once, at its first occurrence (the earlier offset, CEST).
 * </ul>
 *
 * Fire times are strictly increasing: a gap-shifted time that lands on a time that fires anyway
 * fires once. Intervals ignore the zone: they fire at {@code anchor + n * interval}.
 */
public final class Trigger {
  private static final CronParser UNIX =
      new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));
  private static final CronParser WITH_SECONDS =
      new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.SPRING));

  /** The shortest interval a schedule may have. */
  public static final Duration MIN_INTERVAL = Duration.ofSeconds(1);

  /** The longest interval a schedule may have. */
  public static final Duration MAX_INTERVAL = Duration.ofDays(3650);

  private final ExecutionTime cron;
  private final Duration interval;
  private final Instant anchor;
  private final ZoneId zone;

  private Trigger(ExecutionTime cron, Duration interval, Instant anchor, ZoneId zone) {
    this.cron = cron;
    this.interval = interval;
    this.anchor = anchor;
    this.zone = zone;
  }

  /**
   * @param expression 5 fields, or 6 with seconds first
   * @param zone the zone whose wall clock the expression reads
   * @return the trigger
   * @throws ValidationException naming {@code cron} for an expression that does not parse
   */
  public static Trigger cron(String expression, ZoneId zone) {
    return new Trigger(ExecutionTime.forCron(parseCron(expression)), null, null, zone);
  }

  /**
   * @param interval time between fire times, at least {@link #MIN_INTERVAL}
   * @param anchor the first fire time; later ones follow every {@code interval}
   * @return the trigger
   * @throws ValidationException naming {@code interval} when out of range
   */
  public static Trigger interval(Duration interval, Instant anchor) {
    checkInterval(interval);
    return new Trigger(null, interval, anchor, ZoneOffset.UTC);
  }

  /** @throws ValidationException naming {@code cron} with the parser's reason */
  public static Cron parseCron(String expression) {
    if (expression == null || expression.isBlank()) {
      throw new ValidationException("cron", "must not be empty");
    }
    String trimmed = expression.trim();
    int fields = trimmed.split("\\s+").length;
    CronParser parser;
    if (fields == 5) {
      parser = UNIX;
    } else if (fields == 6) {
      parser = WITH_SECONDS;
    } else {
      throw new ValidationException("cron", "'" + trimmed + "' has " + fields
          + " fields; use 5 (min hour day-of-month month day-of-week) or 6 (seconds first)");
    }
    try {
      Cron cron = parser.parse(trimmed);
      cron.validate();
      return cron;
    } catch (IllegalArgumentException e) {
      throw new ValidationException("cron", "'" + trimmed + "' is not valid: " + e.getMessage());
    }
  }

  /** @throws ValidationException naming {@code zone} if it is not an IANA zone id */
  public static ZoneId parseZone(String zone) {
    if (zone == null || zone.isBlank()) {
      throw new ValidationException("zone", "must not be empty");
    }
    try {
      return ZoneId.of(zone);
    } catch (DateTimeException e) {
      throw new ValidationException("zone", "'" + zone + "' is not a known time zone id"
          + " (use an IANA id such as Europe/Berlin or UTC)");
    }
  }

  /** @throws ValidationException naming {@code interval} when out of range */
  public static void checkInterval(Duration interval) {
    if (interval == null || interval.compareTo(MIN_INTERVAL) < 0
        || interval.compareTo(MAX_INTERVAL) > 0) {
      throw new ValidationException("interval", "must be between " + MIN_INTERVAL.toSeconds()
          + "s and " + MAX_INTERVAL.toDays() + " days");
    }
  }

  /**
   * @param after a point in time
   * @return the first fire time strictly after {@code after}, if any
   */
  public Optional<Instant> nextAfter(Instant after) {
    if (interval != null) {
      if (after.isBefore(anchor)) {
        return Optional.of(anchor);
      }
      long steps = Duration.between(anchor, after).dividedBy(interval) + 1;
      return Optional.of(anchor.plus(interval.multipliedBy(steps)));
    }
    // The wall clock of `after`; in an overlap, the later occurrence maps to the same wall time,
    // so a time that already fired in the first occurrence is not matched again.
    LocalDateTime wall = LocalDateTime.ofInstant(after, zone);
    for (int guard = 0; guard < 10_000; guard++) {
      Optional<ZonedDateTime> next = cron.nextExecution(wall.atZone(ZoneOffset.UTC));
      if (next.isEmpty()) {
        return Optional.empty();
      }
      wall = next.get().toLocalDateTime();
      Instant candidate = toInstant(wall);
      if (candidate.isAfter(after)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  /**
   * @return up to {@code count} fire times strictly after {@code after}, earliest first
   */
  public List<Instant> next(Instant after, int count) {
    List<Instant> times = new ArrayList<>();
    Instant at = after;
    while (times.size() < count) {
      Optional<Instant> next = nextAfter(at);
      if (next.isEmpty()) {
        break;
      }
      times.add(next.get());
      at = next.get();
    }
    return times;
  }

  /**
   * @return the latest fire times in {@code [from, to]}, at most {@code max}, earliest first
   */
  public List<Instant> latestBetween(Instant from, Instant to, int max) {
    List<Instant> latest = new ArrayList<>();
    if (interval != null) {
      if (to.isBefore(anchor)) {
        return latest;
      }
      long last = Duration.between(anchor, to).dividedBy(interval);
      for (long n = last; n >= 0 && latest.size() < max; n--) {
        Instant t = anchor.plus(interval.multipliedBy(n));
        if (t.isBefore(from)) {
          break;
        }
        latest.add(0, t);
      }
      return latest;
    }
    LocalDateTime wall = LocalDateTime.ofInstant(to, zone).plusNanos(1);
    while (latest.size() < max) {
      Optional<ZonedDateTime> previous = cron.lastExecution(wall.atZone(ZoneOffset.UTC));
      if (previous.isEmpty()) {
        break;
      }
      wall = previous.get().toLocalDateTime();
      Instant t = toInstant(wall);
      if (t.isBefore(from)) {
        break;
      }
      if (!t.isAfter(to) && (latest.isEmpty() || t.isBefore(latest.get(0)))) {
        latest.add(0, t);
      }
    }
    return latest;
  }

  /** Gap: shifted by the gap's length. Overlap: the earlier offset. */
  private Instant toInstant(LocalDateTime wall) {
    ZoneOffsetTransition transition = zone.getRules().getTransition(wall);
    if (transition != null && transition.isGap()) {
      return wall.plus(transition.getDuration()).atOffset(transition.getOffsetAfter()).toInstant();
    }
    return ZonedDateTime.ofLocal(wall, zone, null).withEarlierOffsetAtOverlap().toInstant();
  }
}
