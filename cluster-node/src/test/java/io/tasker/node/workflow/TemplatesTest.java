package io.tasker.node.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TemplatesTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static JsonNode json(String text) throws Exception {
    return JSON.readTree(text.replace('\'', '"'));
  }

  private static Templates.Scope scope() throws Exception {
    return new Templates.Scope(json("{'orderId': 7, 'items': [1, 2], 'name': 'Ada'}"),
        Map.of("validate", json("{'amount': 42.5, 'customer': {'tier': 'gold'}}")),
        json("{'sku': 'x-1'}"));
  }

  @Test
  void aWholeValueExpressionKeepsItsJsonType() throws Exception {
    JsonNode out = Templates.render(json("{'id': '{{input.orderId}}', 'items': '{{input.items}}',"
        + " 'c': '{{ tasks.validate.output.customer }}', 'sku': '{{item.sku}}'}"), scope());
    assertEquals(json("{'id': 7, 'items': [1, 2], 'c': {'tier': 'gold'}, 'sku': 'x-1'}"), out);
  }

  @Test
  void expressionsInsideTextAreInterpolated() throws Exception {
    JsonNode out = Templates.render(json("['Hi {{input.name}}, tier {{tasks.validate.output"
        + ".customer.tier}}, first {{input.items.0}}', 3, null]"), scope());
    assertEquals(json("['Hi Ada, tier gold, first 1', 3, null]"), out);
  }

  @Test
  void aMissingFieldNamesThePath() {
    Templates.TemplateException missing = assertThrows(Templates.TemplateException.class, () ->
        Templates.render(json("{'a': '{{tasks.validate.output.customer.address.city}}'}"),
            scope()));
    assertTrue(missing.getMessage().contains("tasks.validate.output.customer.address"),
        missing.getMessage());
    assertThrows(Templates.TemplateException.class,
        () -> Templates.render(json("'{{tasks.other.output}}'"), scope()));
  }

  @Test
  void badSyntaxIsRejected() {
    for (String bad : new String[] {"'{{input.a'", "'{{}}'", "'{{output.a}}'",
        "'{{tasks.a.result}}'", "'{{input..a}}'", "'{{input.a b}}'"}) {
      assertThrows(Templates.TemplateException.class,
          () -> Templates.references(json(bad)), bad);
    }
  }

  @Test
  void findsTheStepsATemplateReads() throws Exception {
    assertEquals(Set.of("a", "b"), Templates.stepsReferenced(json(
        "{'x': ['{{tasks.a.output.v}} and {{tasks.b.output}}'], 'y': '{{input.z}}'}")));
  }
}
