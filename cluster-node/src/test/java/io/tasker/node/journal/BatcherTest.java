package io.tasker.node.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class BatcherTest {

  private record Request(String value, CompletableFuture<String> answer) {
    Request(String value) {
      this(value, new CompletableFuture<>());
    }
  }

  @Test
  void aBatchWhoseHandlerThrowsAnErrorIsFailedAndTheThreadGoesOn() throws Exception {
    CountDownLatch firstBatchTaken = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    try (Batcher<Request> batcher = new Batcher<>("batcher-test", 1, 10, batch -> {
      if (batch.stream().anyMatch(request -> request.value().equals("poison"))) {
        firstBatchTaken.countDown();
        await(release);
        throw new StackOverflowError("deep in a driver");
      }
      batch.forEach(request -> request.answer().complete(request.value().toUpperCase()));
    }, (request, failure) -> request.answer().completeExceptionally(failure))) {
      Request poison = new Request("poison");
      batcher.offer(poison);
      firstBatchTaken.await(10, TimeUnit.SECONDS);
      Request queuedBehind = new Request("later");
      batcher.offer(queuedBehind);
      release.countDown();

      ExecutionException failed =
          assertThrows(ExecutionException.class, () -> poison.answer().get(10, TimeUnit.SECONDS));
      assertInstanceOf(StackOverflowError.class, failed.getCause());
      assertEquals("LATER", queuedBehind.answer().get(10, TimeUnit.SECONDS));
    }
  }

  @Test
  void requestsThatArriveDuringARoundTripShareTheNextBatch() throws Exception {
    CountDownLatch firstBatchTaken = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    List<Integer> batchSizes = new java.util.concurrent.CopyOnWriteArrayList<>();
    try (Batcher<Request> batcher = new Batcher<>("batcher-test", 1, 10, batch -> {
      batchSizes.add(batch.size());
      firstBatchTaken.countDown();
      await(release);
      batch.forEach(request -> request.answer().complete(request.value()));
    }, (request, failure) -> request.answer().completeExceptionally(failure))) {
      Request first = new Request("first");
      batcher.offer(first);
      firstBatchTaken.await(10, TimeUnit.SECONDS);
      List<Request> waiting = List.of(new Request("a"), new Request("b"), new Request("c"));
      waiting.forEach(batcher::offer);
      release.countDown();

      for (Request request : waiting) {
        assertEquals(request.value(), request.answer().get(10, TimeUnit.SECONDS));
      }
      assertEquals(List.of(1, 3), batchSizes);
    }
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
