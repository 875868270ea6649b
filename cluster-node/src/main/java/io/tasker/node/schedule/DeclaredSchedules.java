package io.tasker.node.schedule;

import io.tasker.node.ScheduleSpec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigRenderOptions;
import io.tasker.protocol.EnqueueRequest;
import io.tasker.protocol.ValidationException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Schedules declared in the configuration under {@code tasker.schedules}, upserted at every
 * start:
 *
 * <pre>
 * tasker.schedules {
 *   daily-report { cron = "0 9 * * *", zone = "Europe/Berlin", type = "report", payload = {} }
 * }
 * </pre>
 */
public final class DeclaredSchedules {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> KEYS = Set.of("cron", "interval", "zone", "type", "payload",
      "queue", "priority", "max-attempts", "timeout", "concurrency-key", "jitter", "start-at",
      "end-at", "paused", "overlap", "misfire");

  /**
   * @param spec the declared schedule
   * @param pausedDeclared whether the configuration sets {@code paused}; if not, an existing
   *     schedule keeps its paused flag (a pause from the API survives a restart)
   */
  public record Declared(ScheduleSpec spec, boolean pausedDeclared) {}

  private DeclaredSchedules() {}

  /**
   * @param section the {@code tasker.schedules} section
   * @return the declared schedules, checked except for their task types
   * @throws IllegalArgumentException naming the setting at fault
   */
  public static List<Declared> read(Config section) {
    List<Declared> declared = new ArrayList<>();
    for (String id : new java.util.TreeSet<>(section.root().keySet())) {
      String path = "tasker.schedules." + id;
      try {
        Config c = section.getConfig("\"" + id + "\"");
        for (String key : c.root().keySet()) {
          if (!KEYS.contains(key)) {
            throw new ValidationException(key, "is not a schedule setting; use one of "
                + new java.util.TreeSet<>(KEYS));
          }
        }
        JsonNode payload = c.hasPath("payload")
            ? JSON.readTree(c.getValue("payload").render(ConfigRenderOptions.concise()))
            : JSON.createObjectNode();
        EnqueueRequest task = EnqueueRequest.of(c.hasPath("type") ? c.getString("type") : null,
            payload);
        if (c.hasPath("queue")) {
          task = task.withQueue(c.getString("queue"));
        }
        if (c.hasPath("priority")) {
          task = task.withPriority(c.getInt("priority"));
        }
        if (c.hasPath("max-attempts")) {
          task = task.withMaxAttempts(c.getInt("max-attempts"));
        }
        if (c.hasPath("timeout")) {
          task = task.withTimeout(c.getDuration("timeout"));
        }
        if (c.hasPath("concurrency-key")) {
          task = task.withConcurrencyKey(c.getString("concurrency-key"));
        }
        ScheduleSpec spec = new ScheduleSpec(
            id,
            task,
            c.hasPath("cron") ? c.getString("cron") : null,
            c.hasPath("interval") ? c.getDuration("interval") : null,
            c.hasPath("zone") ? c.getString("zone") : null,
            c.hasPath("jitter") ? c.getDuration("jitter") : null,
            c.hasPath("start-at") ? Instant.parse(c.getString("start-at")) : null,
            c.hasPath("end-at") ? Instant.parse(c.getString("end-at")) : null,
            c.hasPath("paused") && c.getBoolean("paused"),
            c.hasPath("overlap") ? enumOf(ScheduleSpec.Overlap.class, c.getString("overlap")) : null,
            c.hasPath("misfire") ? enumOf(ScheduleSpec.Misfire.class, c.getString("misfire")) : null);
        declared.add(new Declared(spec.validate(), c.hasPath("paused")));
      } catch (ValidationException invalid) {
        throw new IllegalArgumentException(
            path + "." + invalid.field() + ": " + invalid.reason(), invalid);
      } catch (ConfigException | java.io.IOException | java.time.DateTimeException e) {
        throw new IllegalArgumentException(path + ": " + e.getMessage(), e);
      }
    }
    return declared;
  }

  /** {@code run-once}, {@code RUN_ONCE} and {@code run_once} all name {@code RUN_ONCE}. */
  static <E extends Enum<E>> E enumOf(Class<E> type, String value) {
    try {
      return Enum.valueOf(type, value.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
    } catch (IllegalArgumentException e) {
      String field = type == ScheduleSpec.Overlap.class ? "overlap" : "misfire";
      throw new ValidationException(field, "'" + value + "' is not one of "
          + java.util.Arrays.stream(type.getEnumConstants())
              .map(c -> c.name().toLowerCase(Locale.ROOT).replace('_', '-')).toList());
    }
  }
}
