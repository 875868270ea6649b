package io.tasker.sample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tasker.node.Tasker;
import io.tasker.node.WorkflowExecution;
import io.tasker.node.WorkflowExecution.StepStatus;
import io.tasker.node.WorkflowStatus;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo's order workflow on a real node (H2 journal) with the sample handlers plugin. */
class SampleDemoTest {

  @Test
  void oneOrderSucceedsAndOneIsRefunded(@TempDir Path journal) {
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    List<WorkflowExecution> done;
    try (Tasker tasker = Tasker.builder().plugin(new SampleHandlers()).dataDir(journal).start()) {
      done = SampleDemo.runOrders(tasker, new PrintStream(printed, true, StandardCharsets.UTF_8));
    }

    WorkflowExecution shipped = done.get(0);
    assertEquals(WorkflowStatus.SUCCEEDED, shipped.status());
    assertEquals(3250, shipped.step("validate-order").output().path("amountCents").asLong());
    assertEquals("pay-order-1", shipped.step("charge-card").output().path("paymentId").asText());
    assertEquals("ship-order-1", shipped.step("fulfil-order").output().path("shipment").asText());
    assertTrue(shipped.compensations().isEmpty());

    WorkflowExecution refunded = done.get(1);
    assertEquals(WorkflowStatus.COMPENSATED, refunded.status());
    assertEquals(StepStatus.SUCCEEDED, refunded.step("charge-card").status());
    assertEquals(StepStatus.FAILED, refunded.step("fulfil-order").status());
    assertTrue(refunded.step("fulfil-order").error().contains("lamp is out of stock"),
        refunded.step("fulfil-order").error());
    assertEquals(1, refunded.compensations().size());
    WorkflowExecution.CompensationRun refund = refunded.compensations().get(0);
    assertEquals("charge-card", refund.step());
    assertEquals(StepStatus.SUCCEEDED, refund.status());
    assertEquals("pay-order-2", refund.input().path("paymentId").asText());
    assertEquals(4000, refund.input().path("amountCents").asLong());

    String text = printed.toString(StandardCharsets.UTF_8);
    System.out.print(text); // what ./tasker demo shows
    assertTrue(text.contains("order-1, in stock: SUCCEEDED"), text);
    assertTrue(text.contains("order-2, lamp out of stock: COMPENSATED"), text);
    assertTrue(text.contains("compensation of charge-card: refund-payment SUCCEEDED"), text);
  }
}
