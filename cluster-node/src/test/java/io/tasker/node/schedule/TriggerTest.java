package io.tasker.node.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tasker.protocol.ValidationException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Next-fire computation, especially across daylight-saving changes (see {@link Trigger}). */
class TriggerTest {
  private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

  private static List<Instant> times(String... instants) {
    return java.util.Arrays.stream(instants).map(Instant::parse).toList();
  }

  @Test
  void dailyCronFollowsTheWallClockOfItsZone() {
    Trigger nine = Trigger.cron("0 9 * * *", BERLIN);
    // 09:00 CET is 08:00Z in winter, 09:00 CEST is 07:00Z in summer
    assertEquals(times("2026-03-28T08:00:00Z", "2026-03-29T07:00:00Z", "2026-03-30T07:00:00Z"),
        nine.next(Instant.parse("2026-03-27T12:00:00Z"), 3));
  }

  @Test
  void springForwardRunsASkippedLocalTimeShiftedByTheGap() {
    // 2026-03-29: 02:00 CET jumps to 03:00 CEST; 02:30 does not exist and fires at 03:30 CEST
    Trigger twoThirty = Trigger.cron("30 2 * * *", BERLIN);
    assertEquals(times("2026-03-28T01:30:00Z", "2026-03-29T01:30:00Z", "2026-03-30T00:30:00Z"),
        twoThirty.next(Instant.parse("2026-03-28T00:00:00Z"), 3));
  }

  @Test
  void springForwardFiresAnHourlyJobOncePerRealHour() {
    // 01:30 CET, then 02:30 (skipped) shifted to 03:30 CEST, which fires once, then 04:30 CEST
    Trigger halfPast = Trigger.cron("30 * * * *", BERLIN);
    assertEquals(times("2026-03-29T00:30:00Z", "2026-03-29T01:30:00Z", "2026-03-29T02:30:00Z"),
        halfPast.next(Instant.parse("2026-03-29T00:00:00Z"), 3));
  }

  @Test
  void fallBackFiresARepeatedLocalTimeOnceAtItsFirstOccurrence() {
    // 2026-10-25: 03:00 CEST falls back to 02:00 CET; 02:30 happens twice, fires once (CEST)
    Trigger twoThirty = Trigger.cron("30 2 * * *", BERLIN);
    assertEquals(times("2026-10-24T00:30:00Z", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"),
        twoThirty.next(Instant.parse("2026-10-23T12:00:00Z"), 3));
    // asked from within the second 02:xx hour, the repeated 02:30 does not fire again
    assertEquals(Instant.parse("2026-10-26T01:30:00Z"),
        twoThirty.nextAfter(Instant.parse("2026-10-25T01:10:00Z")).orElseThrow());
  }

  @Test
  void halfHourZonesKeepTheirOffset() {
    ZoneId kolkata = ZoneId.of("Asia/Kolkata"); // UTC+05:30, no DST
    assertEquals(times("2026-06-01T03:30:00Z", "2026-06-02T03:30:00Z"),
        Trigger.cron("0 9 * * *", kolkata).next(Instant.parse("2026-06-01T00:00:00Z"), 2));
    ZoneId adelaide = ZoneId.of("Australia/Adelaide"); // +09:30, +10:30 in (southern) summer
    // DST ends 2026-04-05 03:00 ACDT -> 02:00 ACST: 09:00 on the 4th is +10:30, on the 5th +09:30
    assertEquals(times("2026-04-03T22:30:00Z", "2026-04-04T23:30:00Z", "2026-04-05T23:30:00Z"),
        Trigger.cron("0 9 * * *", adelaide).next(Instant.parse("2026-04-03T12:00:00Z"), 3));
  }

  @Test
  void sixFieldsReadSecondsFirst() {
    assertEquals(times("2026-01-01T00:00:15Z", "2026-01-01T00:00:45Z"),
        Trigger.cron("15,45 * * * * *", ZoneId.of("UTC"))
            .next(Instant.parse("2026-01-01T00:00:00Z"), 2));
  }

  @Test
  void intervalsCountFromTheirAnchor() {
    Trigger every = Trigger.interval(Duration.ofMinutes(5), Instant.parse("2026-01-01T00:00:00Z"));
    assertEquals(Instant.parse("2026-01-01T00:00:00Z"),
        every.nextAfter(Instant.parse("2025-12-31T00:00:00Z")).orElseThrow());
    assertEquals(Instant.parse("2026-01-01T00:10:00Z"),
        every.nextAfter(Instant.parse("2026-01-01T00:05:00Z")).orElseThrow());
    assertEquals(times("2026-01-01T00:50:00Z", "2026-01-01T00:55:00Z", "2026-01-01T01:00:00Z"),
        every.latestBetween(Instant.parse("2026-01-01T00:00:00Z"),
            Instant.parse("2026-01-01T01:02:00Z"), 3));
  }

  @Test
  void latestBetweenWalksBackOverTheCron() {
    Trigger hourly = Trigger.cron("0 * * * *", BERLIN);
    assertEquals(times("2026-05-01T10:00:00Z", "2026-05-01T11:00:00Z"),
        hourly.latestBetween(Instant.parse("2026-05-01T08:30:00Z"),
            Instant.parse("2026-05-01T11:00:00Z"), 2));
  }

  @Test
  void rejectsBadExpressionsZonesAndIntervalsNamingTheField() {
    ValidationException fields = assertThrows(ValidationException.class,
        () -> Trigger.parseCron("0 9 * *"));
    assertEquals("cron", fields.field());
    assertTrue(fields.reason().contains("4 fields"), fields.reason());
    ValidationException range = assertThrows(ValidationException.class,
        () -> Trigger.parseCron("0 25 * * *"));
    assertEquals("cron", range.field());
    ValidationException garbage = assertThrows(ValidationException.class,
        () -> Trigger.parseCron("every day at nine"));
    assertEquals("cron", garbage.field());
    ValidationException zone = assertThrows(ValidationException.class,
        () -> Trigger.parseZone("Mars/Olympus"));
    assertEquals("zone", zone.field());
    ValidationException interval = assertThrows(ValidationException.class,
        () -> Trigger.interval(Duration.ofMillis(10), Instant.EPOCH));
    assertEquals("interval", interval.field());
  }
}
