package io.tasker.cli;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Times and durations on the command line: ISO-8601, or short forms such as 90s, 10m, 2h, 1d. */
final class Times {
  private static final Pattern SHORT = Pattern.compile("(\\d+)(ms|s|m|h|d)");

  private Times() {}

  /** @return the ISO-8601 duration (PT10M) of {@code 10m}, {@code PT10M}, ... */
  static String duration(String text, String option) {
    Matcher m = SHORT.matcher(text.trim().toLowerCase(Locale.ROOT));
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      Duration d = switch (m.group(2)) {
        case "ms" -> Duration.ofMillis(n);
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        case "h" -> Duration.ofHours(n);
        default -> Duration.ofDays(n);
      };
      return d.toString();
    }
    try {
      return Duration.parse(text.trim()).toString();
    } catch (DateTimeParseException e) {
      throw new CliException(CliException.ExitCode.USAGE,
          option + ": not a duration (e.g. 90s, 10m, 2h, 1d or PT10M): " + text);
    }
  }

  /**
   * @return the ISO-8601 date-time of {@code text}: an ISO-8601 date-time with offset, or a
   *     duration meaning that long ago ({@code 2h} = two hours before now)
   */
  static String instant(String text, String option, Instant now) {
    try {
      return OffsetDateTime.parse(text.trim()).toInstant().toString();
    } catch (DateTimeParseException e) {
      try {
        return now.minus(Duration.parse(duration(text, option))).toString();
      } catch (CliException notADuration) {
        throw new CliException(CliException.ExitCode.USAGE, option
            + ": not a date-time (e.g. 2026-12-01T09:00:00Z) or a time ago (e.g. 2h): " + text);
      }
    }
  }
}
