package io.tasker.examples.hello;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.tasker.node.InlineTasker;
import io.tasker.node.Tasker;
import io.tasker.protocol.QueueLimits;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every Java code block of the README is compiled code: the block follows a line {@code <!--
 * snippet: name -->} and equals, but for indentation, the region {@code // tag::name[]} ...
 * {@code // end::name[]} of the sources of one of the examples (this one, the plugin, the Spring
 * Boot application).
 */
class ReadmeSnippetsTest {
  private static final Path README = Path.of("../../README.md");
  private static final Path EXAMPLES = Path.of("..");
  private static final Pattern MARKER = Pattern.compile("<!-- snippet: ([a-z0-9-]+) -->");
  private static final Pattern TAG = Pattern.compile("\\s*// tag::([a-z0-9-]+)\\[]");

  @Test
  void everyJavaBlockOfTheReadmeIsATaggedRegionOfCompiledCode() throws IOException {
    Map<String, String> regions = regions();
    Map<String, String> blocks = readmeBlocks();
    assertFalse(blocks.isEmpty(), "no Java blocks found in " + README);
    List<String> problems = new ArrayList<>();
    blocks.forEach((name, block) -> {
      if (!regions.containsKey(name)) {
        problems.add("README snippet '" + name + "' has no region // tag::" + name + "[] in "
            + EXAMPLES.toAbsolutePath().normalize() + "/*/src/main/java");
      } else if (!regions.get(name).equals(block)) {
        problems.add("README snippet '" + name + "' differs from its region:\n--- README\n"
            + block + "\n--- source\n" + regions.get(name));
      }
    });
    assertTrue(problems.isEmpty(), String.join("\n\n", problems));
  }

  /** @return the README's Java blocks by snippet name; fails on a block without a name */
  private static Map<String, String> readmeBlocks() throws IOException {
    List<String> lines = Files.readAllLines(README);
    Map<String, String> blocks = new LinkedHashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      if (!lines.get(i).strip().equals("```java")) {
        continue;
      }
      Matcher marker = i > 0 ? MARKER.matcher(lines.get(i - 1).strip()) : null;
      if (marker == null || !marker.matches()) {
        fail("README.md:" + (i + 1) + ": a Java block without <!-- snippet: name --> on the line"
            + " before it; put its code in a tagged region of examples/hello and name it");
      }
      int end = i + 1;
      while (!lines.get(end).strip().equals("```")) {
        end++;
      }
      if (blocks.put(marker.group(1), normalized(lines.subList(i + 1, end))) != null) {
        fail("README.md:" + (i + 1) + ": snippet " + marker.group(1) + " is shown twice");
      }
      i = end;
    }
    return blocks;
  }

  /** @return every tagged region of the examples' sources, by name */
  private static Map<String, String> regions() throws IOException {
    Map<String, String> regions = new LinkedHashMap<>();
    List<Path> files;
    try (Stream<Path> walk = Files.walk(EXAMPLES)) {
      files = walk.filter(p -> p.toString().endsWith(".java"))
          .filter(p -> p.toString().contains("/src/main/java/")).sorted().toList();
    }
    for (Path file : files) {
      List<String> lines = Files.readAllLines(file);
      for (int i = 0; i < lines.size(); i++) {
        Matcher tag = TAG.matcher(lines.get(i));
        if (tag.matches()) {
          String end = "// end::" + tag.group(1) + "[]";
          int j = i + 1;
          while (!lines.get(j).strip().equals(end)) {
            j++;
          }
          if (regions.put(tag.group(1), normalized(lines.subList(i + 1, j))) != null) {
            fail(file + ": region " + tag.group(1) + " is tagged twice in the examples");
          }
        }
      }
    }
    return regions;
  }

  /** Without the indentation all lines share and trailing blanks. */
  private static String normalized(List<String> lines) {
    int indent = lines.stream().filter(l -> !l.isBlank())
        .mapToInt(l -> l.length() - l.stripLeading().length()).min().orElse(0);
    return lines.stream()
        .map(l -> l.isBlank() ? "" : l.substring(indent).stripTrailing())
        .collect(Collectors.joining("\n"));
  }

  @Test
  void theYamlExampleOfTheReadmeConfiguresTasker(@TempDir Path dir) throws IOException {
    String readme = Files.readString(README);
    int start = readme.indexOf("```yaml\n", readme.indexOf("### A YAML file"));
    assertTrue(start >= 0 && readme.contains("### A YAML file"),
        "no YAML block under '### A YAML file' in the README");
    String yaml = readme.substring(start + 8, readme.indexOf("```", start + 8));
    Path file = Files.writeString(dir.resolve("tasker.yaml"), yaml);
    try (InlineTasker tasker = Tasker.builder().configFile(file).startInline()) {
      QueueLimits emails = tasker.queueStats("emails").toCompletableFuture().join().limits();
      assertEquals(new QueueLimits(5, 0, 10, 20), emails);
    }
  }

  @Test
  void normalizingIgnoresOnlyCommonIndentation() {
    assertEquals("a\n  b", normalized(List.of("    a", "      b  ")));
  }
}
