package io.tasker.node;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/** Waiting on the Java API's answers in tests. */
final class Stages {
  private Stages() {}

  static <T> T join(CompletionStage<T> stage) {
    return stage.toCompletableFuture().join();
  }

  /** @return the typed failure the stage completed with */
  static <E extends Throwable> E failure(Class<E> type, CompletionStage<?> stage) {
    CompletionException thrown = assertThrows(CompletionException.class, () -> join(stage));
    return assertInstanceOf(type, thrown.getCause());
  }
}
