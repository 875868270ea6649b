package io.tasker.gateway;

import io.tasker.protocol.ValidationException;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.http.javadsl.model.Query;

/**
 * The {@code wait} of {@code GET /v1/tasks/{id}/result}: an ISO-8601 duration ({@code PT30S}) or
 * a number with {@code ms}, {@code s} or {@code m} ({@code 30s}), at most {@link #MAX}.
 */
final class ResultWait {
  static final Duration MAX = Duration.ofSeconds(60);
  static final Duration DEFAULT = Duration.ofSeconds(30);
  /**
   * Pekko HTTP ends a request after its request timeout (20 s by default) with a 503: a long poll
   * gets more. (The connection's idle timeout is raised above it in {@link HttpGateway}.)
   */
  static final Duration REQUEST_TIMEOUT = MAX.plusSeconds(15);

  private static final Pattern SHORT = Pattern.compile("(\\d{1,9})(ms|s|m)");

  private ResultWait() {}

  /** @throws ValidationException naming {@code wait}, or an unknown parameter */
  static Duration of(Query query) {
    for (String param : query.toMap().keySet()) {
      if (!param.equals("wait")) {
        throw new ValidationException(param, "is not a known query parameter");
      }
    }
    return query.get("wait").map(ResultWait::parse).orElse(DEFAULT);
  }

  private static Duration parse(String value) {
    Duration wait;
    Matcher plain = SHORT.matcher(value);
    if (plain.matches()) {
      long amount = Long.parseLong(plain.group(1));
      wait = switch (plain.group(2)) {
        case "ms" -> Duration.ofMillis(amount);
        case "s" -> Duration.ofSeconds(amount);
        default -> Duration.ofMinutes(amount);
      };
    } else {
      try {
        wait = Duration.parse(value);
      } catch (DateTimeParseException e) {
        throw invalid();
      }
    }
    if (wait.isNegative() || wait.compareTo(MAX) > 0) {
      throw invalid();
    }
    return wait;
  }

  private static ValidationException invalid() {
    return new ValidationException("wait",
        "must be a duration from 0 to " + MAX.toSeconds() + "s, e.g. 30s or PT30S");
  }
}
