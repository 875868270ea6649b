package io.tasker.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {
  private static final Duration SECOND = Duration.ofSeconds(1);

  @Test
  void fixedBackoffWaitsTheSameBeforeEveryRetry() {
    Backoff fixed = Backoff.fixed(SECOND).withoutJitter();
    for (int retry = 1; retry <= 5; retry++) {
      assertEquals(SECOND, fixed.delayBefore(retry, () -> 0.7));
    }
  }

  @Test
  void linearBackoffGrowsByOneStepPerRetry() {
    Backoff linear = Backoff.linear(SECOND, Duration.ofSeconds(10)).withoutJitter();
    assertEquals(Duration.ofSeconds(1), linear.delayBefore(1, () -> 0));
    assertEquals(Duration.ofSeconds(2), linear.delayBefore(2, () -> 0));
    assertEquals(Duration.ofSeconds(3), linear.delayBefore(3, () -> 0));
    assertEquals(Duration.ofSeconds(10), linear.delayBefore(50, () -> 0));
  }

  @Test
  void exponentialBackoffMultipliesAndIsCapped() {
    Backoff exponential = Backoff.exponential(SECOND, 3.0, Duration.ofSeconds(20)).withoutJitter();
    assertEquals(Duration.ofSeconds(1), exponential.delayBefore(1, () -> 0));
    assertEquals(Duration.ofSeconds(3), exponential.delayBefore(2, () -> 0));
    assertEquals(Duration.ofSeconds(9), exponential.delayBefore(3, () -> 0));
    assertEquals(Duration.ofSeconds(20), exponential.delayBefore(4, () -> 0));
  }

  @Test
  void jitterOnlyShortensTheDelayWithinItsShare() {
    Backoff jittered = Backoff.fixed(Duration.ofMillis(1000)).withJitter(0.5);
    assertEquals(Duration.ofMillis(1000), jittered.delayBefore(1, () -> 0.0));
    assertEquals(Duration.ofMillis(750), jittered.delayBefore(1, () -> 0.5));
    Duration least = jittered.delayBefore(1, () -> 0.999999);
    assertTrue(least.toMillis() >= 500, "jitter must not take more than its share: " + least);
  }

  @Test
  void rejectsSettingsOutOfRangeNamingTheField() {
    ValidationException factor = assertThrows(ValidationException.class,
        () -> Backoff.exponential(SECOND, 0.5, Duration.ofSeconds(5)));
    assertEquals("backoff.factor", factor.field());
    ValidationException max = assertThrows(ValidationException.class,
        () -> Backoff.exponential(SECOND, 2, Duration.ofMillis(10)));
    assertEquals("backoff.maxDelay", max.field());
    ValidationException jitter = assertThrows(ValidationException.class,
        () -> Backoff.fixed(SECOND).withJitter(1.5));
    assertEquals("backoff.jitter", jitter.field());
  }
}
