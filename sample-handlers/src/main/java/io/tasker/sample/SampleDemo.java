package io.tasker.sample;

import com.fasterxml.jackson.databind.json.JsonMapper;
import io.tasker.node.Tasker;
import io.tasker.node.WorkflowDefinition;
import io.tasker.node.WorkflowExecution;
import io.tasker.sample.SampleHandlers.Item;
import io.tasker.protocol.TaskId;
import io.tasker.protocol.TaskStatus;
import io.tasker.protocol.TaskView;
import java.nio.file.Files;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * {@code ./tasker demo}: a node on a temporary journal with the sample handlers; enqueues a mix
 * of tasks, shows them run, retry, time out, dead-letter and cancel; then runs an order workflow
 * twice, once to success and once to a failed fulfilment whose payment is refunded; then exits.
 */
public final class SampleDemo {
  private static final JsonMapper JSON = new JsonMapper();

  /** validate-order → charge-card → fulfil-order; a charge is refunded if a later step fails. */
  public static final WorkflowDefinition ORDERS = WorkflowDefinition.define("sample-order")
      .version(1)
      .timeout(Duration.ofMinutes(5))
      .step("validate-order", s -> s.type(SampleHandlers.VALIDATE_ORDER)
          .input(Map.of("orderId", "{{input.orderId}}", "items", "{{input.items}}")))
      .step("charge-card", s -> s.type(SampleHandlers.CHARGE_CARD).dependsOn("validate-order")
          .input(Map.of("orderId", "{{input.orderId}}",
              "amountCents", "{{tasks.validate-order.output.amountCents}}"))
          .compensate(SampleHandlers.REFUND_PAYMENT.name(), Map.of(
              "paymentId", "{{tasks.charge-card.output.paymentId}}",
              "amountCents", "{{tasks.charge-card.output.amountCents}}")))
      .step("fulfil-order", s -> s.type(SampleHandlers.FULFIL_ORDER).dependsOn("charge-card")
          .input(Map.of("orderId", "{{input.orderId}}", "items", "{{input.items}}")))
      .build();

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
      runOrders(tasker, System.out);
    }
  }

  /**
   * Defines {@link #ORDERS}, runs it for an order in stock and for one with an item out of stock,
   * and prints every step and the compensation trail.
   *
   * @return the two executions once ended: the first SUCCEEDED, the second COMPENSATED
   */
  public static List<WorkflowExecution> runOrders(Tasker tasker, PrintStream out) {
    tasker.defineWorkflow(ORDERS);
    Map<String, Object> inStock = Map.of("orderId", "order-1", "items", List.of(
        new Item("book", 2, 1500, false), new Item("pen", 1, 250, false)));
    Map<String, Object> outOfStock = Map.of("orderId", "order-2", "items", List.of(
        new Item("lamp", 1, 4000, true)));
    String first = join(tasker.startWorkflow(ORDERS.name(), inStock));
    String second = join(tasker.startWorkflow(ORDERS.name(), outOfStock));
    List<WorkflowExecution> done = List.of(
        join(tasker.awaitWorkflow(first, Duration.ofSeconds(60))),
        join(tasker.awaitWorkflow(second, Duration.ofSeconds(60))));
    out.println();
    out.println("workflow " + ORDERS.name() + ": validate-order -> charge-card -> fulfil-order"
        + " (charge-card is undone by refund-payment)");
    List<String> labels = List.of("in stock", "lamp out of stock");
    for (int i = 0; i < done.size(); i++) {
      WorkflowExecution execution = done.get(i);
      out.printf("%n%s, %s: %s%n", execution.input().path("orderId").asText(), labels.get(i),
          execution.status());
      for (WorkflowExecution.StepRun step : execution.steps()) {
        out.printf("  %-16s %-10s %s%n", step.name(), step.status(),
            step.error() != null ? step.error() : step.output());
      }
      for (WorkflowExecution.CompensationRun undo : execution.compensations()) {
        out.printf("  compensation of %s: %s %s with %s%n", undo.step(),
            ORDERS.step(undo.step()).compensation().type(), undo.status(), undo.input());
      }
    }
    out.println();
    return done;
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
