package io.tasker.sample;

import com.fasterxml.jackson.databind.json.JsonMapper;
import io.tasker.node.Tasker;
import io.tasker.protocol.TaskId;
import io.tasker.protocol.TaskStatus;
import io.tasker.protocol.TaskView;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * {@code ./tasker demo}: a node on a temporary journal with the sample handlers; enqueues a mix
 * of tasks, shows them run, retry, time out, dead-letter and cancel, then exits.
 */
public final class SampleDemo {
  private static final JsonMapper JSON = new JsonMapper();

  private SampleDemo() {}

  public static void main(String[] args) throws Exception {
    // a throwaway journal, so the demo runs beside a node that holds ./data
    Path journal = Files.createTempDirectory("tasker-demo-");
    try (Tasker tasker = Tasker.builder().plugin(new SampleHandlers()).dataDir(journal).start()) {
      List<String> labels = new ArrayList<>();
      List<TaskId> ids = new ArrayList<>();
      labels.add("echo, runs at once");
      ids.add(join(tasker.enqueue(SampleHandlers.ECHO.with(
          JSON.valueToTree(Map.of("hello", "world"))))));
      labels.add("echo, delayed 2s");
      ids.add(join(tasker.enqueue(SampleHandlers.ECHO.with(
          JSON.valueToTree(Map.of("later", true))).delay(Duration.ofSeconds(2)))));
      labels.add("flaky, fails twice then succeeds");
      ids.add(join(tasker.enqueue(SampleHandlers.FLAKY.with(new SampleHandlers.Flaky(2)))));
      labels.add("fail, retried then dead-lettered");
      ids.add(join(tasker.enqueue(SampleHandlers.FAIL.with(
          new SampleHandlers.Fail("upstream unavailable", true)).maxAttempts(3))));
      labels.add("fail, non-retryable: dead at once");
      ids.add(join(tasker.enqueue(SampleHandlers.FAIL.with(
          new SampleHandlers.Fail("invalid address", false)))));
      labels.add("sleep 60s, cancelled while running");
      TaskId sleeper = join(tasker.enqueue(
          SampleHandlers.SLEEP.with(new SampleHandlers.Sleep(60_000))));
      ids.add(sleeper);
      labels.add("sleep 100ms with a 50ms timeout");
      ids.add(join(tasker.enqueue(SampleHandlers.SLEEP.with(new SampleHandlers.Sleep(100))
          .timeout(Duration.ofMillis(50)).maxAttempts(2))));

      awaitStatus(tasker, sleeper, TaskStatus.RUNNING);
      join(tasker.cancel(sleeper));

      Instant deadline = Instant.now().plusSeconds(60);
      List<TaskView> views = new ArrayList<>();
      while (Instant.now().isBefore(deadline)) {
        views.clear();
        for (TaskId id : ids) {
          views.add(join(tasker.get(id)));
        }
        if (views.stream().allMatch(v -> v.status().isTerminal())) {
          break;
        }
        Thread.sleep(200);
      }
      System.out.println();
      System.out.printf("%-38s %-10s %-8s %s%n", "task", "status", "attempts", "what");
      for (int i = 0; i < views.size(); i++) {
        TaskView v = views.get(i);
        System.out.printf("%-38s %-10s %-8d %s%n", v.id(), v.status(), v.attempts(), labels.get(i));
      }
      System.out.println();
    }
  }

  private static void awaitStatus(Tasker tasker, TaskId id, TaskStatus status)
      throws InterruptedException {
    Instant deadline = Instant.now().plusSeconds(30);
    while (join(tasker.get(id)).status() != status && Instant.now().isBefore(deadline)) {
      Thread.sleep(50);
    }
  }

  private static <T> T join(CompletionStage<T> stage) {
    return stage.toCompletableFuture().join();
  }
}
