package io.tasker.node.workflow;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Input templates: JSON values whose strings may hold expressions {@code {{input.a.b}}}, {@code
 * {{tasks.<step>.output.a}}} or {@code {{item.a}}} (the element of a map-over-list step). A
 * string that is exactly one expression is replaced by the referenced JSON value, keeping its
 * type; an expression inside a longer string is replaced by the value's text. Array elements are
 * reached by number ({@code {{input.items.0}}}). Pure functions, no state.
 */
public final class Templates {
  private static final Pattern EXPRESSION = Pattern.compile("\\{\\{(.*?)}}");
  private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9_.-]*");
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]+");

  private Templates() {}

  /** A template that cannot be parsed, or a value it references that is missing. */
  public static final class TemplateException extends RuntimeException {
    private final String path;

    TemplateException(String path, String message) {
      super(message);
      this.path = path;
    }

    /** @return the expression at fault, as written */
    public String path() {
      return path;
    }
  }

  /**
   * One parsed expression.
   *
   * @param root {@code input}, {@code item} or {@code tasks}
   * @param step the step named by a {@code tasks} expression, else {@code null}
   * @param fields the fields (or array indexes) below the root (below {@code output})
   */
  public record Reference(String text, String root, String step, List<String> fields) {}

  /**
   * @return every expression in {@code template}, in order
   * @throws TemplateException for the first malformed one
   */
  public static List<Reference> references(JsonNode template) {
    List<Reference> found = new ArrayList<>();
    collect(template, found);
    return found;
  }

  /** @return the steps {@code template} reads outputs of */
  public static Set<String> stepsReferenced(JsonNode template) {
    Set<String> steps = new LinkedHashSet<>();
    for (Reference reference : references(template)) {
      if (reference.step() != null) {
        steps.add(reference.step());
      }
    }
    return steps;
  }

  private static void collect(JsonNode node, List<Reference> found) {
    if (node == null) {
      return;
    }
    if (node.isTextual()) {
      String text = node.textValue();
      Matcher matcher = EXPRESSION.matcher(text);
      int end = 0;
      while (matcher.find()) {
        found.add(parse(matcher.group(1)));
        end = matcher.end();
      }
      if (text.indexOf("{{", end) >= 0) {
        throw new TemplateException(text, "'{{' without a closing '}}' in \"" + text + "\"");
      }
    } else if (node.isContainerNode()) {
      node.elements().forEachRemaining(child -> collect(child, found));
    }
  }

  static Reference parse(String expression) {
    String text = expression.trim();
    if (text.isEmpty() || !SEGMENT.matcher(text).matches()) {
      throw new TemplateException(text,
          "bad expression '{{" + expression + "}}': use input.<field>, item.<field> or"
              + " tasks.<step>.output.<field>");
    }
    String[] parts = text.split("\\.", -1);
    for (String part : parts) {
      if (!NAME.matcher(part).matches()) {
        throw new TemplateException(text, "bad expression '{{" + expression
            + "}}': an empty field name");
      }
    }
    List<String> rest = List.of(parts).subList(1, parts.length);
    return switch (parts[0]) {
      case "input", "item" -> new Reference(text, parts[0], null, rest);
      case "tasks" -> {
        if (parts.length < 3 || !"output".equals(parts[2])) {
          throw new TemplateException(text, "bad expression '{{" + expression
              + "}}': a step's value is read as tasks.<step>.output[.<field>...]");
        }
        yield new Reference(text, "tasks", parts[1], List.of(parts).subList(3, parts.length));
      }
      default -> throw new TemplateException(text, "bad expression '{{" + expression
          + "}}': it must start with input, item or tasks");
    };
  }

  /**
   * What expressions read.
   *
   * @param outputs the outputs of finished steps, by step name
   * @param item the current element of a map-over-list step, or {@code null}
   */
  public record Scope(JsonNode input, Map<String, JsonNode> outputs, JsonNode item) {}

  /**
   * @return {@code template} with its expressions replaced
   * @throws TemplateException naming the first expression whose value is missing
   */
  public static JsonNode render(JsonNode template, Scope scope) {
    if (template == null || template.isNull() || template.isMissingNode()) {
      return template;
    }
    if (template.isTextual()) {
      return renderText(template.textValue(), scope);
    }
    if (template.isArray()) {
      ArrayNode copy = JsonNodeFactory.instance.arrayNode();
      template.elements().forEachRemaining(e -> copy.add(render(e, scope)));
      return copy;
    }
    if (template.isObject()) {
      ObjectNode copy = JsonNodeFactory.instance.objectNode();
      Iterator<Map.Entry<String, JsonNode>> fields = template.fields();
      while (fields.hasNext()) {
        Map.Entry<String, JsonNode> field = fields.next();
        copy.set(field.getKey(), render(field.getValue(), scope));
      }
      return copy;
    }
    return template;
  }

  private static JsonNode renderText(String text, Scope scope) {
    Matcher matcher = EXPRESSION.matcher(text);
    if (matcher.matches()) {
      return resolve(parse(matcher.group(1)), scope);
    }
    StringBuilder out = new StringBuilder();
    int last = 0;
    matcher.reset();
    while (matcher.find()) {
      out.append(text, last, matcher.start());
      JsonNode value = resolve(parse(matcher.group(1)), scope);
      out.append(value.isValueNode() ? value.asText() : value.toString());
      last = matcher.end();
    }
    if (last == 0) {
      return TextNode.valueOf(text);
    }
    out.append(text, last, text.length());
    return TextNode.valueOf(out.toString());
  }

  private static JsonNode resolve(Reference reference, Scope scope) {
    JsonNode node = switch (reference.root()) {
      case "input" -> scope.input();
      case "item" -> scope.item();
      default -> scope.outputs().get(reference.step());
    };
    if (node == null || node.isMissingNode()) {
      throw new TemplateException(reference.text(), "'" + reference.text() + "' is missing"
          + ("tasks".equals(reference.root()) ? ": step " + reference.step() + " has no output"
              : ""));
    }
    StringBuilder at = new StringBuilder(reference.root().equals("tasks")
        ? "tasks." + reference.step() + ".output" : reference.root());
    for (String field : reference.fields()) {
      at.append('.').append(field);
      JsonNode next = node.isArray() && field.chars().allMatch(Character::isDigit)
          ? node.get(Integer.parseInt(field))
          : node.get(field);
      if (next == null || next.isMissingNode()) {
        throw new TemplateException(reference.text(),
            "'" + reference.text() + "' is missing: there is no " + at);
      }
      node = next;
    }
    return node;
  }
}
