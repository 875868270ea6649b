package io.tasker.node.internal.serialization;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.annotation.JacksonStdImpl;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import com.fasterxml.jackson.datatype.jsr310.ser.DurationSerializer;
import com.fasterxml.jackson.datatype.jsr310.ser.InstantSerializer;
import java.io.IOException;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.function.ToIntFunction;
import java.util.function.ToLongFunction;

/**
 * {@code Instant} and {@code Duration} as decimal seconds with nine fraction digits, exactly as
 * the {@code JavaTimeModule} writes them when timestamps in nanoseconds are on (the same {@code
 * BigDecimal}: value and scale), but built from the long it is rather than parsed from the
 * text the {@code JavaTimeModule} formats first. Any other case, e.g. a time before
 * 1970 or timestamps off, is left to the {@code JavaTimeModule}'s serializer.
 */
final class DecimalTimes {
  private static final long NANOS_PER_SECOND = 1_000_000_000L;
  private static final long MAX_EXACT_SECONDS = Long.MAX_VALUE / NANOS_PER_SECOND - 1;
  private static final BigDecimal ZERO = BigDecimal.ZERO.setScale(1);

  private DecimalTimes() {}

  static SimpleModule module() {
    SimpleModule module = new SimpleModule("tasker-decimal-times");
    module.addSerializer(Instant.class, new AsDecimal<>(Instant.class,
        SerializationFeature.WRITE_DATES_AS_TIMESTAMPS, Instant::getEpochSecond, Instant::getNano,
        InstantSerializer.INSTANCE));
    module.addSerializer(Duration.class, new AsDecimal<>(Duration.class,
        SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS, Duration::getSeconds,
        Duration::getNano, DurationSerializer.INSTANCE));
    return module;
  }

  /**
   * @return the decimal {@code com.fasterxml.jackson.datatype.jsr310.DecimalUtils.toBigDecimal}
   *     gives for these, or null where this does not compute it (negative or huge seconds)
   */
  static BigDecimal decimal(long seconds, int nanos) {
    if (seconds < 0 || seconds > MAX_EXACT_SECONDS) {
      return null;
    }
    if (nanos == 0) {
      return seconds == 0 ? ZERO : BigDecimal.valueOf(seconds * NANOS_PER_SECOND, 9);
    }
    return BigDecimal.valueOf(seconds * NANOS_PER_SECOND + nanos, 9);
  }

  /**
   * A time as decimal seconds where the features ask for that, else as {@code otherwise} does.
   * Marked a standard serializer for Blackbird, which reads a property with any other serializer
   * through reflection (each task's events have five times: reflection was a third of their
   * serialization); the mark changes nothing else for a type that is not a string or number.
   */
  @JacksonStdImpl
  private static final class AsDecimal<T> extends StdSerializer<T> {
    private final SerializationFeature asNumber;
    private final ToLongFunction<T> seconds;
    private final ToIntFunction<T> nanos;
    private final JsonSerializer<T> otherwise;

    AsDecimal(Class<T> type, SerializationFeature asNumber, ToLongFunction<T> seconds,
        ToIntFunction<T> nanos, JsonSerializer<T> otherwise) {
      super(type);
      this.asNumber = asNumber;
      this.seconds = seconds;
      this.nanos = nanos;
      this.otherwise = otherwise;
    }

    @Override
    public void serialize(T value, JsonGenerator generator, SerializerProvider provider)
        throws IOException {
      BigDecimal decimal = provider.isEnabled(asNumber)
              && provider.isEnabled(SerializationFeature.WRITE_DATE_TIMESTAMPS_AS_NANOSECONDS)
          ? decimal(seconds.applyAsLong(value), nanos.applyAsInt(value)) : null;
      if (decimal != null) {
        generator.writeNumber(decimal);
      } else {
        otherwise.serialize(value, generator, provider);
      }
    }
  }
}
