package io.tasker.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.MDC;

/**
 * The server's logback.xml (not the tests' one): {@code TASKER_LOG_FORMAT=json} gives one JSON
 * object per line with level, logger, message and the MDC; the default stays plain text.
 */
class LogFormatTest {
  @Test
  void jsonFormatWritesOneObjectPerLineWithTheMdc() throws Exception {
    List<String> lines = logWith("json");
    assertEquals(1, lines.size(), lines.toString());
    JsonNode line = new ObjectMapper().readTree(lines.get(0));
    assertEquals("WARN", line.get("level").asText());
    assertEquals("io.tasker.alerts", line.get("loggerName").asText());
    assertEquals("alert=depth queue=emails state=firing", line.get("message").asText());
    assertEquals("t-1", line.get("mdc").get("taskId").asText());
    assertEquals("emails", line.get("mdc").get("queue").asText());
    assertEquals("4bf92f3577b34da6a3ce929d0e0e4736", line.get("mdc").get("traceId").asText());
  }

  @Test
  void textIsTheDefault() throws Exception {
    List<String> lines = logWith(null);
    assertEquals(1, lines.size(), lines.toString());
    assertTrue(lines.get(0).endsWith("WARN  alerts - alert=depth queue=emails"
        + " state=firing"), lines.get(0));
  }

  @Test
  void everyTaskTransitionIsLoggedOnlyWhenAskedFor() throws Exception {
    assertEquals(ch.qos.logback.classic.Level.INFO, taskLogLevel(null));
    assertEquals(ch.qos.logback.classic.Level.DEBUG, taskLogLevel("DEBUG"));
  }

  /** @return the effective level of the task entity's logger with TASKER_TASK_LOG_LEVEL */
  private static ch.qos.logback.classic.Level taskLogLevel(String level) throws Exception {
    LoggerContext context = new LoggerContext();
    if (level != null) {
      context.putProperty("TASKER_TASK_LOG_LEVEL", level);
    }
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    try {
      configurator.doConfigure(LogFormatTest.class.getResource("/logback.xml"));
      return context.getLogger("io.tasker.node.task.TaskEntity").getEffectiveLevel();
    } finally {
      context.stop();
    }
  }

  /** Configures a fresh logger context from the server's logback.xml and logs one line. */
  private static List<String> logWith(String format) throws Exception {
    LoggerContext context = new LoggerContext();
    context.setMDCAdapter(MDC.getMDCAdapter()); // the one MDC.put writes to
    if (format != null) {
      // logback reads ${TASKER_LOG_FORMAT} from context properties, system properties, then the
      // environment: a context property stands in for the variable without touching the JVM
      context.putProperty("TASKER_LOG_FORMAT", format);
    }
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    PrintStream original = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      configurator.doConfigure(LogFormatTest.class.getResource("/logback.xml"));
      Logger log = context.getLogger("io.tasker.alerts");
      MDC.put("taskId", "t-1");
      MDC.put("queue", "emails");
      MDC.put("traceId", "4bf92f3577b34da6a3ce929d0e0e4736");
      try {
        log.warn("alert=depth queue=emails state=firing");
      } finally {
        MDC.clear();
      }
    } finally {
      context.stop();
      System.setOut(original);
    }
    return Arrays.stream(captured.toString(StandardCharsets.UTF_8).split("\n"))
        .filter(l -> !l.isBlank()).toList();
  }
}
