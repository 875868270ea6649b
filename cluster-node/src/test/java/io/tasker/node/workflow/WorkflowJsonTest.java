package io.tasker.node.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import io.tasker.node.WorkflowDefinition;
import io.tasker.node.WorkflowDefinitionException;
import io.tasker.protocol.Backoff;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class WorkflowJsonTest {

  @Test
  void readsBackWhatItWrites() {
    WorkflowDefinition declared = DeclaredWorkflows.read(ConfigFactory.parseString("""
        order-processing {
          version = 3, timeout = 30m
          tasks = [
            { name = validate-order, input { order_id = "{{input.order_id}}", n = null },
              timeout = 1500ms,
              retry { max_attempts = 3, backoff { type = linear, initial = 1s, step = 2s } } }
            { name = process-payment, type = charge-card, depends-on = [validate-order],
              error_handling { retry_on = [TransientError], max_attempts = 5 } }
            { name = pack, depends_on = [process-payment], for_each = "{{input.items}}",
              parallelism = 4, optional = true,
              retry.backoff { type = exponential, initial = 2s, factor = 3, max = 1m } }
          ]
          error_handling { type = compensating_actions, actions = [
            { task = process-payment, type = refund-payment, input { id = "{{input.order_id}}" },
              max_attempts = 2, backoff { type = fixed, initial = 5s } }
          ] }
        }
        """)).get(0);
    assertEquals(declared, DeclaredWorkflows.fromJson("order-processing",
        WorkflowJson.write(declared)));
    WorkflowDefinition built = WorkflowDefinition.define("built").version(2)
        .step("a", s -> s.type("echo").retry(4, Backoff.exponential(
            Duration.ofMillis(100), 2.0, Duration.ofSeconds(5))))
        .build();
    assertEquals(built, DeclaredWorkflows.fromJson("built", WorkflowJson.write(built)));
  }

  @Test
  void namesTheFieldOfAnUnreadableDefinition() throws Exception {
    ObjectMapper json = new ObjectMapper();
    WorkflowDefinitionException noName = assertThrows(WorkflowDefinitionException.class,
        () -> DeclaredWorkflows.fromJson("w", json.readTree("{\"tasks\": [{\"type\": \"x\"}]}")));
    assertEquals("definition", noName.field());
    WorkflowDefinitionException backoff = assertThrows(WorkflowDefinitionException.class,
        () -> DeclaredWorkflows.fromJson("w", json.readTree(
            "{\"tasks\": [{\"name\": \"a\", \"retry\": {\"backoff\": {\"type\": \"odd\"}}}]}")));
    assertEquals("backoff.type", backoff.field());
  }
}
