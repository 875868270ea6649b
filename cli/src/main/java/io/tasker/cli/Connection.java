package io.tasker.cli;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The options every command takes: where the API is, the key, the output format. An option
 * wins over the environment ({@code TASKER_URL}, {@code TASKER_API_KEY}, {@code TASKER_PROFILE}),
 * which wins over the profile.
 */
final class Connection {
  static final String DEFAULT_URL = "http://127.0.0.1:8080";

  /** Output formats. */
  enum Format { table, json }

  @Option(names = "--url", paramLabel = "URL",
      description = "The node's HTTP API (env TASKER_URL; default " + DEFAULT_URL + ").")
  String url;

  // not --key: that is task enqueue's idempotency key
  @Option(names = "--api-key", paramLabel = "KEY",
      description = "The API key (env TASKER_API_KEY; ./tasker falls back to the development"
          + " key of a local node, data/dev-api-key).")
  String key;

  @Option(names = "--profile", paramLabel = "NAME",
      description = "A named connection of the profiles file (env TASKER_PROFILE; default:"
          + " 'default' if the file has it). The file: env TASKER_CLI_CONFIG, else"
          + " ~/.config/tasker/cli.properties, with lines NAME.url=... and NAME.key=...")
  String profile;

  @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "table",
      description = "table (for people) or json (the API's JSON, for scripts). Default: table.")
  Format output = Format.table;

  ApiClient client(Map<String, String> env) {
    Profiles profiles = Profiles.load(env);
    String name = profile != null ? profile : env.get("TASKER_PROFILE");
    if (name != null && !profiles.has(name)) {
      throw new CliException(CliException.ExitCode.USAGE,
          "no profile '" + name + "' in " + profiles.file());
    }
    String chosen = name != null ? name : Profiles.DEFAULT;
    String resolvedUrl = first(url, env.get("TASKER_URL"), profiles.get(chosen, "url"),
        DEFAULT_URL);
    String resolvedKey = first(key, env.get("TASKER_API_KEY"), profiles.get(chosen, "key"),
        developmentKey(env.get("TASKER_CLI_DEV_KEY_FILE")));
    URI uri;
    try {
      uri = URI.create(resolvedUrl);
    } catch (IllegalArgumentException e) {
      throw new CliException(CliException.ExitCode.USAGE, "not a URL: " + resolvedUrl);
    }
    if (uri.getScheme() == null || !uri.getScheme().matches("https?") || uri.getHost() == null) {
      throw new CliException(CliException.ExitCode.USAGE,
          "not an http(s) URL: " + resolvedUrl);
    }
    return new ApiClient(uri, resolvedKey);
  }

  /** The key a local node without configured keys generated (./tasker sets the file). */
  private static String developmentKey(String file) {
    if (file == null || file.isBlank() || !Files.isReadable(Path.of(file))) {
      return null;
    }
    try {
      return Files.readString(Path.of(file), StandardCharsets.UTF_8).trim();
    } catch (IOException e) {
      return null;
    }
  }

  private static String first(String... values) {
    for (String value : values) {
      if (value != null && !value.isBlank()) {
        return value;
      }
    }
    return null;
  }
}
