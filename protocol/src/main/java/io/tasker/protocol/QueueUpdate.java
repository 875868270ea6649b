package io.tasker.protocol;

/**
 * A run-time change of some of a queue's settings, applied atomically by the queue's manager;
 * {@code null} fields stay as they are. Also what a queue stores as its run-time overrides: the
 * fields changed at run time, which win over the configured limits until the queue is reset.
 *
 * @param maxConcurrency most tasks of the queue running at once (0 = unlimited), or null
 * @param maxConcurrencyPerKey most running per concurrency key (0 = unlimited), or null
 * @param ratePerSecond task starts per second (0 = unlimited), or null
 * @param burst the token bucket's capacity (0 = one second's worth), or null
 * @param paused whether the queue is paused, or null
 */
public record QueueUpdate(
    Integer maxConcurrency,
    Integer maxConcurrencyPerKey,
    Double ratePerSecond,
    Integer burst,
    Boolean paused)
    implements TaskerSerializable {

  /** Changes nothing. */
  public static final QueueUpdate NONE = new QueueUpdate(null, null, null, null, null);

  /** @throws ValidationException naming the offending field */
  public QueueUpdate {
    // QueueLimits checks the ranges (the parameters: fields are not assigned yet in here)
    new QueueLimits(
        maxConcurrency != null ? maxConcurrency : 0,
        maxConcurrencyPerKey != null ? maxConcurrencyPerKey : 0,
        ratePerSecond != null ? ratePerSecond : 0,
        burst != null ? burst : 0);
  }

  /** @return an update that pauses the queue and changes nothing else */
  public static QueueUpdate pause() {
    return new QueueUpdate(null, null, null, null, true);
  }

  /** @return an update that resumes the queue and changes nothing else */
  public static QueueUpdate resume() {
    return new QueueUpdate(null, null, null, null, false);
  }

  /** @return an update that sets every field to the given limits */
  public static QueueUpdate of(QueueLimits limits) {
    return new QueueUpdate(limits.maxConcurrency(), limits.maxConcurrencyPerKey(),
        limits.ratePerSecond(), limits.burst(), limits.paused());
  }

  /** @return true if this update sets no field */
  public boolean isEmpty() {
    return equals(NONE);
  }

  /** @return {@code limits} with this update's fields set */
  public QueueLimits applyTo(QueueLimits limits) {
    return new QueueLimits(
        maxConcurrency != null ? maxConcurrency : limits.maxConcurrency(),
        maxConcurrencyPerKey != null ? maxConcurrencyPerKey : limits.maxConcurrencyPerKey(),
        ratePerSecond != null ? ratePerSecond : limits.ratePerSecond(),
        burst != null ? burst : (ratePerSecond != null ? 0 : limits.burst()),
        paused != null ? paused : limits.paused());
  }

  /**
   * @return this update followed by {@code later}: the fields {@code later} sets, then the rest
   *     of this one's. A new rate without a burst sets the burst to its default (0, one second's
   *     worth), as {@link #applyTo} does.
   */
  public QueueUpdate then(QueueUpdate later) {
    return new QueueUpdate(
        later.maxConcurrency != null ? later.maxConcurrency : maxConcurrency,
        later.maxConcurrencyPerKey != null ? later.maxConcurrencyPerKey : maxConcurrencyPerKey,
        later.ratePerSecond != null ? later.ratePerSecond : ratePerSecond,
        later.burst != null ? later.burst : (later.ratePerSecond != null ? Integer.valueOf(0) : burst),
        later.paused != null ? later.paused : paused);
  }
}
