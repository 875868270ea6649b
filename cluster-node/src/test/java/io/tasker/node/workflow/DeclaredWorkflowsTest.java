package io.tasker.node.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.tasker.node.WorkflowDefinition;
import io.tasker.protocol.Backoff;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class DeclaredWorkflowsTest {

  @Test
  void readsTheIssuesFormatFromHocon() {
    List<WorkflowDefinition> read = DeclaredWorkflows.read(ConfigFactory.parseString("""
        order-processing {
          version = 3, timeout = 30m
          tasks = [
            { name = validate-order, input { order_id = "{{input.order_id}}" },
              retry { max_attempts = 3, backoff { type = linear, initial = 1s, step = 2s } } }
            { name = process-payment, type = charge-card, depends-on = [validate-order],
              error_handling { retry_on = [TransientError], max_attempts = 5 } }
            { name = pack, depends_on = [process-payment], for_each = "{{input.items}}",
              parallelism = 4, optional = true }
          ]
          error_handling { type = compensating_actions, actions = [
            { task = process-payment, type = refund-payment, input { id = "{{input.order_id}}" } }
          ] }
        }
        """));
    WorkflowDefinition definition = read.get(0);
    assertEquals("order-processing", definition.name());
    assertEquals(3, definition.version());
    assertEquals(Duration.ofMinutes(30), definition.timeout());
    WorkflowDefinition.Step validate = definition.step("validate-order");
    assertEquals("validate-order", validate.type());
    assertEquals(3, validate.maxAttempts());
    assertEquals(Backoff.Kind.LINEAR, validate.backoff().kind());
    assertEquals(2.0, validate.backoff().factor()); // 1s, 3s, 5s: initial + step × (n − 1)
    assertEquals("{{input.order_id}}", validate.input().get("order_id").textValue());
    WorkflowDefinition.Step payment = definition.step("process-payment");
    assertEquals(List.of("validate-order"), payment.dependsOn());
    assertEquals(List.of("TransientError"), payment.retryOn());
    assertEquals(5, payment.maxAttempts());
    assertEquals("refund-payment", payment.compensation().type());
    assertNull(payment.compensation().maxAttempts());
    WorkflowDefinition.Step pack = definition.step("pack");
    assertEquals("{{input.items}}", pack.forEach());
    assertEquals(4, pack.parallelism());
    assertTrue(pack.optional());
    assertNull(pack.maxAttempts());
  }

  @Test
  void namesTheSettingAtFault() {
    IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () ->
        DeclaredWorkflows.read(ConfigFactory.parseString("""
            w { tasks = [ { name = a } ], error_handling.actions = [ { task = b, type = undo } ] }
            """)));
    assertTrue(unknown.getMessage().startsWith("tasker.workflows.w.steps.b.compensation:"),
        unknown.getMessage());
    IllegalArgumentException badBackoff = assertThrows(IllegalArgumentException.class, () ->
        DeclaredWorkflows.read(ConfigFactory.parseString(
            "w { tasks = [ { name = a, retry.backoff.type = sometimes } ] }")));
    assertTrue(badBackoff.getMessage().contains("backoff.type"), badBackoff.getMessage());
  }
}
