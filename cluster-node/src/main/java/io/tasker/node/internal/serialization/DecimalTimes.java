package io.tasker.node.internal.serialization;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import com.fasterxml.jackson.datatype.jsr310.ser.DurationSerializer;
import com.fasterxml.jackson.datatype.jsr310.ser.InstantSerializer;
import java.io.IOException;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;

/**
 * {@code Instant} and {@code Duration} as decimal seconds with nine fraction digits, exactly as
 * the {@code JavaTimeModule} writes them when timestamps in nanoseconds are on (the same {@code
 * BigDecimal}: value and scale), but built from the long it is rather than parsed from text,
 * which was a quarter of serializing a new task's event. Any other case, e.g. a time before
 * 1970 or timestamps off, is left to the {@code JavaTimeModule}'s serializer.
 */
final class DecimalTimes {
  private static final long NANOS_PER_SECOND = 1_000_000_000L;
  private static final long MAX_EXACT_SECONDS = Long.MAX_VALUE / NANOS_PER_SECOND - 1;
  private static final BigDecimal ZERO = BigDecimal.ZERO.setScale(1);

  private DecimalTimes() {}

  static SimpleModule module() {
    SimpleModule module = new SimpleModule("tasker-decimal-times");
    module.addSerializer(Instant.class, new InstantAsDecimal());
    module.addSerializer(Duration.class, new DurationAsDecimal());
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

  private static boolean asNanoseconds(SerializerProvider provider, SerializationFeature asNumber) {
    return provider.isEnabled(asNumber)
        && provider.isEnabled(SerializationFeature.WRITE_DATE_TIMESTAMPS_AS_NANOSECONDS);
  }

  private static final class InstantAsDecimal extends StdSerializer<Instant> {
    InstantAsDecimal() {
      super(Instant.class);
    }

    @Override
    public void serialize(Instant value, JsonGenerator generator, SerializerProvider provider)
        throws IOException {
      BigDecimal decimal = asNanoseconds(provider, SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          ? decimal(value.getEpochSecond(), value.getNano()) : null;
      if (decimal != null) {
        generator.writeNumber(decimal);
      } else {
        InstantSerializer.INSTANCE.serialize(value, generator, provider);
      }
    }
  }

  private static final class DurationAsDecimal extends StdSerializer<Duration> {
    DurationAsDecimal() {
      super(Duration.class);
    }

    @Override
    public void serialize(Duration value, JsonGenerator generator, SerializerProvider provider)
        throws IOException {
      BigDecimal decimal =
          asNanoseconds(provider, SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS)
              ? decimal(value.getSeconds(), value.getNano()) : null;
      if (decimal != null) {
        generator.writeNumber(decimal);
      } else {
        DurationSerializer.INSTANCE.serialize(value, generator, provider);
      }
    }
  }
}
