package io.tasker.node.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Pure tests of {@link TokenBucket} on explicit nanosecond times (no real clock involved). */
class TokenBucketTest {

  private static final long MS = 1_000_000L;
  private static final long SECOND = 1_000_000_000L;
  private static final long T0 = 42 * SECOND;

  private static int drain(TokenBucket bucket, long now) {
    int taken = 0;
    while (bucket.tryAcquire(now)) {
      taken++;
      if (taken > 1_000) {
        throw new AssertionError("bucket never ran dry");
      }
    }
    return taken;
  }

  @Test
  void burstTokensAreAvailableAtOnceThenRefused() {
    TokenBucket bucket = new TokenBucket(5, 3, T0);

    assertTrue(bucket.tryAcquire(T0));
    assertTrue(bucket.tryAcquire(T0));
    assertTrue(bucket.tryAcquire(T0));
    assertFalse(bucket.tryAcquire(T0), "a fourth token at the same instant exceeds the burst");
    assertFalse(bucket.tryAcquire(T0), "refusal takes nothing and changes nothing");
  }

  @Test
  void refillsOneTokenPerPeriodOfTheRate() {
    TokenBucket bucket = new TokenBucket(5, 2, T0); // one token every 200 ms
    assertEquals(2, drain(bucket, T0));

    assertFalse(bucket.tryAcquire(T0 + 100 * MS), "half a token is not a token");
    assertFalse(bucket.tryAcquire(T0 + 199 * MS));
    assertTrue(bucket.tryAcquire(T0 + 200 * MS), "one token after 200 ms at 5/s");
    assertFalse(bucket.tryAcquire(T0 + 200 * MS));
    assertFalse(bucket.tryAcquire(T0 + 399 * MS));
    assertTrue(bucket.tryAcquire(T0 + 400 * MS));
    assertFalse(bucket.tryAcquire(T0 + 400 * MS));
  }

  @Test
  void refillAccumulatesUpToBurstOverSeveralPeriods() {
    TokenBucket bucket = new TokenBucket(10, 10, T0);
    assertEquals(10, drain(bucket, T0));

    assertEquals(5, drain(bucket, T0 + 500 * MS), "half a second at 10/s gives 5 tokens");
    assertEquals(3, drain(bucket, T0 + 800 * MS), "0.3 s more gives 3 more");
  }

  @Test
  void fractionalRateRefillsSlowly() {
    TokenBucket bucket = new TokenBucket(0.5, 1, T0); // one token every 2 s
    assertEquals(1, drain(bucket, T0));

    assertFalse(bucket.tryAcquire(T0 + SECOND));
    assertFalse(bucket.tryAcquire(T0 + 1_999 * MS));
    assertTrue(bucket.tryAcquire(T0 + 2 * SECOND));
  }

  @Test
  void neverHoldsMoreThanBurstAfterALongPause() {
    TokenBucket bucket = new TokenBucket(5, 2, T0);
    assertEquals(2, drain(bucket, T0));

    long anHourLater = T0 + 3_600 * SECOND;
    assertEquals(2, drain(bucket, anHourLater), "an hour at 5/s still only keeps the burst of 2");
    assertFalse(bucket.tryAcquire(anHourLater));
  }

  @Test
  void aNewBucketStartsFullButNotAboveBurst() {
    TokenBucket bucket = new TokenBucket(100, 4, T0);

    assertEquals(4, drain(bucket, T0 + 10 * SECOND), "time before the first use adds nothing");
  }

  @Test
  void nanosUntilNextTokenIsZeroWhileATokenIsThere() {
    TokenBucket bucket = new TokenBucket(5, 2, T0);

    assertEquals(0, bucket.nanosUntilNextToken(T0));
    assertTrue(bucket.tryAcquire(T0));
    assertEquals(0, bucket.nanosUntilNextToken(T0), "one of two tokens left");
    assertTrue(bucket.tryAcquire(T0), "asking for the wait takes no token");
  }

  @Test
  void nanosUntilNextTokenIsTheTimeToTheNextWholeToken() {
    TokenBucket bucket = new TokenBucket(5, 2, T0);
    assertEquals(2, drain(bucket, T0));

    assertEquals(200 * MS, bucket.nanosUntilNextToken(T0));
    assertEquals(150 * MS, bucket.nanosUntilNextToken(T0 + 50 * MS));
    assertEquals(1, bucket.nanosUntilNextToken(T0 + 200 * MS - 1));
    assertEquals(0, bucket.nanosUntilNextToken(T0 + 200 * MS));
  }

  @Test
  void aTokenIsThereExactlyWhenNanosUntilNextTokenSaysAndNotBefore() {
    TokenBucket early = new TokenBucket(3, 1, T0); // 333,333,333.3 ns per token
    TokenBucket onTime = new TokenBucket(3, 1, T0);
    drain(early, T0);
    drain(onTime, T0);

    long wait = onTime.nanosUntilNextToken(T0);
    assertEquals(333_333_334L, wait, "rounded up to a whole nanosecond");
    assertFalse(early.tryAcquire(T0 + wait - 1));
    assertTrue(onTime.tryAcquire(T0 + wait));
  }

  /**
   * Refills add up in floating point: at 100/s, 9,999,999 ns then 1 ns more give
   * 0.9999999999999999 tokens. The token promised by nanosUntilNextToken must still be there.
   */
  @Test
  void aTokenIsThereWhenPromisedEvenIfTheBucketWasCheckedInBetween() {
    TokenBucket bucket = new TokenBucket(100, 1, T0);
    drain(bucket, T0);
    long wait = bucket.nanosUntilNextToken(T0);
    assertEquals(10 * MS, wait);

    assertFalse(bucket.tryAcquire(T0 + wait - 1));
    assertTrue(bucket.tryAcquire(T0 + wait), "token promised at +10 ms");
  }

  @Test
  void rateZeroIsUnlimited() {
    TokenBucket bucket = new TokenBucket(0, 0, T0);

    assertTrue(bucket.isUnlimited());
    for (int i = 0; i < 10_000; i++) {
      assertTrue(bucket.tryAcquire(T0), "acquire #" + i);
    }
    assertEquals(0, bucket.nanosUntilNextToken(T0));
  }

  @Test
  void aPositiveRateIsNotUnlimited() {
    assertFalse(new TokenBucket(0.001, 1, T0).isUnlimited());
  }

  @Test
  void aClockGoingBackwardsAddsNoTokens() {
    TokenBucket bucket = new TokenBucket(5, 2, T0);
    assertEquals(2, drain(bucket, T0));

    assertFalse(bucket.tryAcquire(T0 - 10 * SECOND));
    assertFalse(bucket.tryAcquire(T0 + 199 * MS));
    assertTrue(bucket.tryAcquire(T0 + 200 * MS));
  }

  @Test
  void worksAcrossClockWrapAroundAndNegativeReadings() {
    long start = Long.MAX_VALUE - 50 * MS;
    TokenBucket bucket = new TokenBucket(5, 1, start);
    assertEquals(1, drain(bucket, start));

    // overflows to a negative value, as a monotonic clock reading may
    long afterWrap = start + 200 * MS;
    assertTrue(afterWrap < 0);
    assertFalse(bucket.tryAcquire(start + 199 * MS));
    assertTrue(bucket.tryAcquire(afterWrap));
    assertEquals(200 * MS, bucket.nanosUntilNextToken(afterWrap));
  }
}
