package io.tasker.node.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.tasker.node.internal.alerts.AlertSettings;
import io.tasker.node.journal.JournalSettings;
import io.tasker.protocol.Backoff;
import io.tasker.protocol.QueueLimits;
import io.tasker.protocol.ValidationException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class TaskerSettingsTest {

  private static TaskerSettings settings(String hocon) {
    return TaskerSettings.create(
        ConfigFactory.parseString(hocon).withFallback(ConfigFactory.defaultReference()).resolve());
  }

  @Test
  void queuesTakeTheirOwnLimitsOverTheDefaults() {
    TaskerSettings settings = settings(
        "tasker.queues.emails { max-concurrency = 5, rate = 10, burst = 20 }\n"
            + "tasker.queue-defaults.max-concurrency-per-key = 3");
    assertEquals(new QueueLimits(5, 3, 10, 20), settings.limitsFor("emails"));
    assertEquals(new QueueLimits(100, 3, 0, 0), settings.limitsFor("anything-else"));
  }

  @Test
  void readsTaskDefaults() {
    TaskerSettings settings = settings(
        "tasker.defaults { max-attempts = 7, timeout = 30s, backoff { kind = linear, factor = 1.5 } }");
    assertEquals(7, settings.handlerDefaults.maxAttempts());
    assertEquals(Duration.ofSeconds(30), settings.handlerDefaults.timeout());
    assertEquals(Backoff.Kind.LINEAR, settings.handlerDefaults.backoff().kind());
    assertEquals(1.5, settings.handlerDefaults.backoff().factor());
  }

  @Test
  void emptyJournalUrlMeansH2UnderTheDataDirectory() {
    TaskerSettings settings = settings("tasker.data-dir = \"/tmp/somewhere\"");
    assertEquals(JournalSettings.Dialect.H2, settings.journal.dialect());
    assertTrue(settings.journal.url().startsWith("jdbc:h2:file:/tmp/somewhere/journal"));
    TaskerSettings postgres = settings("tasker.journal.url = \"jdbc:postgresql://db:5432/tasker\"");
    assertEquals(JournalSettings.Dialect.POSTGRES, postgres.journal.dialect());
  }

  @Test
  void readsTheMigrationModeAndRejectsUnknownOnesNamingTheKey() {
    assertEquals(JournalSettings.Migrate.ON, settings("").journal.migrate());
    assertEquals(JournalSettings.Migrate.VALIDATE,
        settings("tasker.journal.migrate = validate").journal.migrate());
    assertEquals(JournalSettings.Migrate.OFF,
        settings("tasker.journal.migrate = off").journal.migrate());
    IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
        () -> settings("tasker.journal.migrate = later"));
    assertTrue(unknown.getMessage().contains("tasker.journal.migrate"), unknown.getMessage());
    IllegalArgumentException replaced = assertThrows(IllegalArgumentException.class,
        () -> settings("tasker.journal.create-schema = off"));
    assertTrue(replaced.getMessage().contains("tasker.journal.migrate"), replaced.getMessage());
  }

  @Test
  void rejectsInvalidQueueLimitsNamingTheKey() {
    ValidationException invalid = assertThrows(ValidationException.class,
        () -> settings("tasker.queues.bad.max-concurrency = -1"));
    assertEquals("maxConcurrency", invalid.field());
  }

  @Test
  void alertThresholdsOfAQueueFallBackToTheDefaults() {
    AlertSettings alerts = settings("tasker.alerts { defaults.dead = 10\n"
        + " queues { \"mails.eu\" { depth = 1000, error-rate = 0.5 } } }").alerts;
    assertTrue(alerts.enabled());
    AlertSettings.Thresholds mails = alerts.of("mails.eu");
    assertEquals(1000, mails.depth());
    assertEquals(10, mails.dead(), "from the defaults");
    assertEquals(0.5, mails.errorRate());
    assertEquals(Duration.ofMinutes(5), mails.errorRateWindow());
    assertEquals(0, alerts.of("other").depth());
    assertFalse(settings("").alerts.enabled(), "all thresholds off by default");
  }

  @Test
  void rejectsInvalidAlertThresholdsNamingTheKey() {
    IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
        () -> settings("tasker.alerts.queues.emails.depth = -1"));
    assertTrue(negative.getMessage().contains("tasker.alerts.queues.emails"),
        negative.getMessage());
    IllegalArgumentException share = assertThrows(IllegalArgumentException.class,
        () -> settings("tasker.alerts.defaults.error-rate = 2"));
    assertTrue(share.getMessage().contains("tasker.alerts.defaults"), share.getMessage());
    ConfigException wrongType = assertThrows(ConfigException.class,
        () -> settings("tasker.alerts.queues.emails.dead = lots"));
    assertTrue(wrongType.getMessage().contains("tasker.alerts.queues.emails"),
        wrongType.getMessage());
    IllegalArgumentException interval = assertThrows(IllegalArgumentException.class,
        () -> settings("tasker.alerts.check-interval = 0s"));
    assertTrue(interval.getMessage().contains("tasker.alerts.check-interval"));
  }
}
