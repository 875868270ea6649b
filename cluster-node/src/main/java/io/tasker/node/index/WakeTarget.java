package io.tasker.node.index;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * A kind of entity the {@link TaskWaker} brings back when its time comes: tasks, schedules. Each
 * kind keeps rows with a wake time spread over the same {@link IndexRow#BUCKETS} buckets, so one
 * set of waker workers, with one split of the buckets, serves them all.
 *
 * @param name the kind, for logs
 * @param scan rows of buckets {@code [from, to)} due by {@code until} and after a cursor, in
 *     (wake time, id) order, at most {@code limit}
 * @param wake starts (or reminds) the entity of a due row
 */
public record WakeTarget(String name, Scan scan, Wake wake) {

  /** A row that is due: the entity's id and the wake time the row holds. */
  public record Due(String id, Instant wakeAt) {}

  /** Reads due rows of a bucket range, a page at a time. */
  @FunctionalInterface
  public interface Scan {
    /**
     * @param after the last row of the previous page (rows sort by wake time, then id), or
     *     {@code null} for the first
     */
    CompletionStage<List<Due>> due(int fromBucket, int toBucket, Due after, Instant until, int limit);
  }

  /** Sends the entity its wake message. */
  @FunctionalInterface
  public interface Wake {
    void wake(String id, Instant wakeAt);
  }

  /** @return the bucket of an entity id, the same function for every kind */
  public static int bucketOf(String id) {
    return Math.floorMod(id.hashCode(), IndexRow.BUCKETS);
  }
}
