package io.tasker.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

/**
 * Named connections in a properties file: {@code <profile>.url} and {@code <profile>.key}; the
 * profile {@code default} is used when none is named. The file is {@code $TASKER_CLI_CONFIG},
 * else {@code $XDG_CONFIG_HOME/tasker/cli.properties}, else {@code
 * ~/.config/tasker/cli.properties}; a missing file is no profiles.
 */
final class Profiles {
  static final String DEFAULT = "default";

  private final Path file;
  private final Properties properties = new Properties();

  private Profiles(Path file) {
    this.file = file;
    if (file != null && Files.isRegularFile(file)) {
      try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
        properties.load(reader);
      } catch (IOException e) {
        throw new CliException(CliException.ExitCode.USAGE,
            "cannot read the profiles file " + file + ": " + e.getMessage());
      }
    }
  }

  static Profiles load(Map<String, String> env) {
    String explicit = env.get("TASKER_CLI_CONFIG");
    if (explicit != null && !explicit.isBlank()) {
      Path path = Path.of(explicit);
      if (!Files.isRegularFile(path)) {
        throw new CliException(CliException.ExitCode.USAGE,
            "TASKER_CLI_CONFIG names " + path + ", which is not a file");
      }
      return new Profiles(path);
    }
    String xdg = env.get("XDG_CONFIG_HOME");
    Path dir = xdg != null && !xdg.isBlank() ? Path.of(xdg)
        : Path.of(System.getProperty("user.home"), ".config");
    return new Profiles(dir.resolve("tasker").resolve("cli.properties"));
  }

  boolean has(String profile) {
    return properties.containsKey(profile + ".url") || properties.containsKey(profile + ".key");
  }

  String get(String profile, String field) {
    String value = properties.getProperty(profile + "." + field);
    return value == null || value.isBlank() ? null : value.trim();
  }

  Path file() {
    return file;
  }
}
