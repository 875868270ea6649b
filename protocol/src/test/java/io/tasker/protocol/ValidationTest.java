package io.tasker.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ValidationTest {
  @Test
  void isNameAnswersAsTheNamePatternDoes() {
    List<String> names = new ArrayList<>(List.of("", "a", "Z", "0", "_a", ".a", "-a", "a_b.c-d",
        "a b", "é", "a/b", "a\u0000", "A".repeat(64), "A".repeat(65), "a" + "-".repeat(63),
        "a" + "-".repeat(64)));
    String alphabet = "aZ09_.-/ é\u0000";
    SplittableRandom random = new SplittableRandom(18);
    for (int i = 0; i < 20_000; i++) {
      StringBuilder name = new StringBuilder();
      int length = random.nextInt(4) == 0 ? random.nextInt(60, 70) : random.nextInt(6);
      for (int c = 0; c < length; c++) {
        name.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
      names.add(name.toString());
    }
    for (String name : names) {
      assertEquals(Validation.NAME.matcher(name).matches(), Validation.isName(name), name);
    }
    assertEquals(false, Validation.isName(null));
  }
}
