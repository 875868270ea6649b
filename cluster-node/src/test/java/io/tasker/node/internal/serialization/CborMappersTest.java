package io.tasker.node.internal.serialization;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.util.ClassUtil;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.datatype.jsr310.DecimalUtils;
import com.fasterxml.jackson.module.blackbird.BlackbirdModule;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.tasker.node.internal.PekkoSettings;
import io.tasker.node.task.AttemptResult;
import io.tasker.node.task.TaskEntity;
import io.tasker.protocol.AttemptOutcome;
import io.tasker.protocol.Backoff;
import io.tasker.protocol.TaskSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.apache.pekko.serialization.jackson.JacksonObjectMapperProvider;
import org.apache.pekko.testkit.javadsl.TestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Tasker's CBOR mapper writes every event byte for byte as Pekko's own mapper with Tasker's
 * settings does, and reads back what it wrote: events stored before it and after it read the
 * same, and nodes with and without it understand each other.
 */
class CborMappersTest {
  private static ActorSystem plain;
  private static ActorSystem tasker;

  @BeforeAll
  static void start() {
    Config required = PekkoSettings.required();
    Config config = required.withOnlyPath("pekko.actor.serialization-bindings")
        .withFallback(required.withOnlyPath("pekko.serialization"))
        .withFallback(ConfigFactory.load());
    plain = ActorSystem.create("plain", config);
    tasker = ActorSystem.create("tasker", CborMappers.actorSystemSetup(config));
  }

  @AfterAll
  static void stop() {
    TestKit.shutdownActorSystem(plain);
    TestKit.shutdownActorSystem(tasker);
  }

  @Test
  void theCborBindingHasTheModulesAndJsonHasNot() {
    JacksonObjectMapperProvider mappers = JacksonObjectMapperProvider.get(tasker);
    Set<Object> cbor = mappers.getOrCreate(CborMappers.BINDING, Optional.empty())
        .getRegisteredModuleIds();
    assertTrue(cbor.contains("tasker-decimal-times"), cbor.toString());
    assertTrue(cbor.contains(new BlackbirdModule().getTypeId()), cbor.toString());
    assertFalse(mappers.getOrCreate("jackson-json", Optional.empty()).getRegisteredModuleIds()
        .contains("tasker-decimal-times"));
  }

  @Test
  void timesHaveAStandardSerializerThatBlackbirdReadsWithoutReflection() throws Exception {
    com.fasterxml.jackson.databind.ObjectMapper cbor = JacksonObjectMapperProvider.get(tasker)
        .getOrCreate(CborMappers.BINDING, Optional.empty());
    for (Class<?> time : List.of(Instant.class, Duration.class)) {
      Object serializer = cbor.getSerializerProviderInstance().findValueSerializer(time);
      assertTrue(serializer.getClass().getName().startsWith(DecimalTimes.class.getName()),
          serializer.getClass().getName());
      assertTrue(ClassUtil.isJacksonStdImpl(serializer), time.getName());
    }
  }

  @Test
  void decimalsAreTheJavaTimeModulesOwn() {
    SplittableRandom random = new SplittableRandom(18);
    List<long[]> cases = new java.util.ArrayList<>(List.of(
        new long[] {0, 0}, new long[] {0, 1}, new long[] {1, 0}, new long[] {0, 999_999_999},
        new long[] {1_780_000_000, 100}, new long[] {9_223_372_035L, 999_999_999}));
    for (int i = 0; i < 10_000; i++) {
      cases.add(new long[] {random.nextLong(0, 9_223_372_036L), random.nextInt(1_000_000_000)});
      cases.add(new long[] {random.nextLong(0, 4_000_000_000L), random.nextInt(1000) * 1_000_000});
    }
    for (long[] c : cases) {
      // BigDecimal.equals compares the scale too, which is what CBOR writes
      assertEquals(DecimalUtils.toBigDecimal(c[0], (int) c[1]),
          DecimalTimes.decimal(c[0], (int) c[1]), c[0] + "." + c[1]);
    }
    assertNull(DecimalTimes.decimal(-1, 5), "left to the JavaTimeModule");
    assertNull(DecimalTimes.decimal(9_223_372_036L, 0), "beyond a long of nanoseconds");
  }

  @Test
  void writesEveryEventAsPekkosMapperDoesAndReadsItBack() throws Exception {
    ObjectNode payload = JsonNodeFactory.instance.objectNode().put("to", "a@b.c").put("n", 7);
    payload.putArray("list").add(1.5).add("x");
    Instant at = Instant.parse("2026-11-30T21:30:00.123456789Z");
    TaskSpec spec = TaskSpec.of("email", "default", payload, 3, at.plusMillis(1500), 5,
        Backoff.exponential(Duration.ofMillis(250), 2.0, Duration.ofMinutes(5)),
        Duration.ofSeconds(30), "key-1", "tenant-7", Map.of("trace", "abc"));
    AttemptResult failure = new AttemptResult(AttemptOutcome.FAILED, null,
        "java.io.IOException", "connection reset", true);
    List<Object> messages = List.of(
        spec,
        new TaskEntity.Enqueued(spec, at, "request-1"),
        new TaskEntity.Enqueued(TaskSpec.of("email", "default", null, 0, Instant.EPOCH, 1,
            Backoff.fixed(Duration.ZERO), Duration.ofSeconds(1), null, null, null),
            Instant.ofEpochSecond(1), null),
        new TaskEntity.AttemptStarted(1, "node-a:2552", at, at.plusSeconds(30)),
        new TaskEntity.LeaseExtended(1, at, at.plusNanos(1)),
        new TaskEntity.AttemptSucceeded(1, at, payload),
        new TaskEntity.AttemptFailed(2, at, failure, at.plusSeconds(2)),
        new TaskEntity.DeadLettered(5, at, failure, "attempts exhausted"),
        new TaskEntity.Cancelled(Instant.parse("1969-12-31T23:59:59.5Z")),
        new TaskEntity.Rescheduled(at.plusSeconds(3600), -2, at),
        new TaskEntity.Requeued(at, at));
    Serialization before = SerializationExtension.get(plain);
    Serialization after = SerializationExtension.get(tasker);
    for (Object message : messages) {
      byte[] expected = before.serialize(message).get();
      byte[] written = after.serialize(message).get();
      assertArrayEquals(expected, written, message.getClass().getSimpleName());
      String manifest = Serializers.manifestFor(after.findSerializerFor(message), message);
      int serializer = after.findSerializerFor(message).identifier();
      Object read = after.deserialize(written, serializer, manifest).get();
      assertEquals(before.deserialize(written, serializer, manifest).get(), read);
      // a JSON null reads back as a NullNode, hence the text
      assertEquals(message.toString(), read.toString());
    }
  }
}
