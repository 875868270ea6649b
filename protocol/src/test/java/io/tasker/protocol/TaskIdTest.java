package io.tasker.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class TaskIdTest {
  @Test
  void randomIdsAreTypeAndVersion7Uuid() {
    TaskId id = TaskId.random("email.send");
    assertEquals("email.send", id.type());
    assertEquals(id, TaskId.of(id.value()));
    String uuidText = id.value().substring("email.send:".length());
    UUID uuid = UUID.fromString(uuidText);
    assertEquals(uuidText, uuid.toString(), "canonical lower-case form");
    assertEquals(7, uuid.version());
    assertEquals(2, uuid.variant(), "RFC 9562 variant");
    long before = System.currentTimeMillis();
    long millis = uuidMillis(TaskId.random("t"));
    assertTrue(millis >= before && millis <= System.currentTimeMillis(),
        "the UUID starts with the time it was made");
  }

  @Test
  void idsOfLaterMillisecondsSortAfterEarlierOnesAsStrings() {
    List<String> made = new ArrayList<>();
    for (long millis : new long[] {0L, 1L, 255L, 256L, 65_535L, 1_700_000_000_000L,
        1_700_000_000_001L, 1_800_000_000_000L, (1L << 48) - 1}) {
      for (int i = 0; i < 100; i++) {
        made.add("t:" + TaskId.timeOrderedUuid(millis));
      }
    }
    for (int i = 100; i < made.size(); i += 100) {
      String lastOfEarlier = made.subList(i - 100, i).stream().max(String::compareTo).get();
      String firstOfLater = made.subList(i, i + 100).stream().min(String::compareTo).get();
      assertTrue(lastOfEarlier.compareTo(firstOfLater) < 0, lastOfEarlier + " < " + firstOfLater);
    }
    assertEquals(1_700_000_000_000L, UUID.fromString(made.get(500).substring(2))
        .getMostSignificantBits() >>> 16);
  }

  @Test
  void idsAreUniqueAcrossThreads() throws Exception {
    int threads = 4;
    int perThread = 50_000;
    Set<String> all = ConcurrentHashMap.newKeySet();
    CountDownLatch start = new CountDownLatch(1);
    List<CompletableFuture<Void>> makers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      makers.add(CompletableFuture.runAsync(() -> {
        try {
          start.await();
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
        Set<String> mine = new HashSet<>();
        for (int i = 0; i < perThread; i++) {
          mine.add(TaskId.random("t").value());
        }
        all.addAll(mine);
      }, runnable -> new Thread(runnable).start()));
    }
    start.countDown();
    CompletableFuture.allOf(makers.toArray(CompletableFuture[]::new)).get();
    assertEquals(threads * perThread, all.size());
  }

  private static long uuidMillis(TaskId id) {
    return UUID.fromString(id.value().substring(id.value().indexOf(':') + 1))
        .getMostSignificantBits() >>> 16;
  }
}
