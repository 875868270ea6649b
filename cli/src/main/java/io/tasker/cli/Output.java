package io.tasker.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** Writes a command's answer: the API's JSON as is ({@code -o json}), or a plain table. */
final class Output {
  private final PrintWriter out;
  private final Connection.Format format;

  Output(PrintWriter out, Connection.Format format) {
    this.out = out;
    this.format = format;
  }

  boolean json() {
    return format == Connection.Format.json;
  }

  void print(JsonNode json) {
    try {
      out.println(ApiClient.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(json));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    out.flush();
  }

  /** One row per element of {@code items}; a column is a header and how to get its cell. */
  void table(JsonNode items, List<Column> columns) {
    List<List<String>> rows = new ArrayList<>();
    rows.add(columns.stream().map(Column::header).toList());
    for (JsonNode item : items) {
      rows.add(columns.stream().map(c -> c.cell().apply(item)).toList());
    }
    int[] widths = new int[columns.size()];
    for (List<String> row : rows) {
      for (int i = 0; i < row.size(); i++) {
        widths[i] = Math.max(widths[i], row.get(i).length());
      }
    }
    for (List<String> row : rows) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < row.size(); i++) {
        line.append(i == row.size() - 1 ? row.get(i) : pad(row.get(i), widths[i] + 2));
      }
      out.println(line.toString().stripTrailing());
    }
    out.flush();
  }

  /** Name and value, one per line, for one object. */
  void fields(JsonNode item, String... names) {
    int width = 0;
    for (String name : names) {
      width = Math.max(width, name.length());
    }
    for (String name : names) {
      out.println(pad(name + ":", width + 2) + text(item.path(name)));
    }
    out.flush();
  }

  void line(String text) {
    out.println(text);
    out.flush();
  }

  /** @return the cell text of a JSON value: strings bare, absent or null as "-" */
  static String text(JsonNode value) {
    if (value == null || value.isMissingNode() || value.isNull()) {
      return "-";
    }
    return value.isValueNode() ? value.asText() : value.toString();
  }

  private static String pad(String text, int width) {
    return text.length() >= width ? text + " " : text + " ".repeat(width - text.length());
  }

  /** A table column. */
  record Column(String header, Function<JsonNode, String> cell) {
    static Column of(String header, String field) {
      return new Column(header, item -> text(item.path(field)));
    }
  }
}
