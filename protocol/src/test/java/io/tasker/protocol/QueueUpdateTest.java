package io.tasker.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class QueueUpdateTest {
  @Test
  void rejectsOutOfRangeFieldsNamingThem() {
    assertEquals("maxConcurrency", assertThrows(ValidationException.class,
        () -> new QueueUpdate(-1, null, null, null, null)).field());
    assertEquals("maxConcurrencyPerKey", assertThrows(ValidationException.class,
        () -> new QueueUpdate(null, 2_000_000, null, null, null)).field());
    assertEquals("rate", assertThrows(ValidationException.class,
        () -> new QueueUpdate(null, null, -0.5, null, null)).field());
    assertEquals("burst", assertThrows(ValidationException.class,
        () -> new QueueUpdate(null, null, null, -3, null)).field());
  }

  @Test
  void laterFieldsWinAndANewRateWithoutABurstResetsTheBurst() {
    QueueUpdate earlier = new QueueUpdate(5, 1, 10.0, 30, true);
    assertEquals(new QueueUpdate(7, 1, 10.0, 30, false),
        earlier.then(new QueueUpdate(7, null, null, null, false)));
    assertEquals(new QueueUpdate(5, 1, 2.0, 0, true),
        earlier.then(new QueueUpdate(null, null, 2.0, null, null)));
    assertEquals(new QueueLimits(5, 1, 2.0, 2, true),
        earlier.then(new QueueUpdate(null, null, 2.0, null, null)).applyTo(QueueLimits.UNLIMITED));
  }

  @Test
  void appliesOnlyItsFields() {
    QueueLimits configured = new QueueLimits(5, 2, 0, 0);
    assertEquals(configured.withPaused(true), QueueUpdate.pause().applyTo(configured));
    assertEquals(configured, QueueUpdate.NONE.applyTo(configured));
  }
}
