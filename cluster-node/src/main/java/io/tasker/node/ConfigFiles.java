package io.tasker.node;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigOriginFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads a configuration file: HOCON ({@code .conf}) as Typesafe Config does, YAML ({@code .yaml},
 * {@code .yml}) into the same tree, so the keys of {@code reference.conf} work in both with no
 * second list of keys. As in HOCON, a dotted YAML key is a path ({@code tasker.queues: ...} is
 * {@code tasker: {queues: ...}}). Every YAML value keeps its file and line, so a value of the
 * wrong type is reported with them when it is read.
 */
final class ConfigFiles {
  private static final YAMLFactory YAML = new YAMLFactory();

  private ConfigFiles() {}

  /**
   * @throws ConfigException.Parse naming the file and line of invalid YAML or HOCON
   * @throws ConfigException.IO if the file cannot be read
   * @throws IllegalArgumentException for another file extension
   */
  static Config parse(Path file) {
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    if (name.endsWith(".conf")) {
      return ConfigFactory.parseFile(file.toFile(), ConfigParseOptions.defaults().setAllowMissing(false));
    }
    if (!name.endsWith(".yaml") && !name.endsWith(".yml")) {
      throw new IllegalArgumentException(
          "configuration file " + file + ": must end in .yaml, .yml or .conf");
    }
    ConfigOrigin origin = ConfigOriginFactory.newFile(file.toString());
    if (!Files.isReadable(file)) {
      throw new ConfigException.IO(origin, "cannot read " + file);
    }
    try (JsonParser parser = YAML.createParser(file.toFile())) {
      JsonToken first = parser.nextToken();
      if (first == null) {
        return ConfigFactory.empty(file.toString());
      }
      if (first != JsonToken.START_OBJECT) {
        throw new ConfigException.Parse(at(origin, parser), "the top level must be a mapping");
      }
      return ((ConfigObject) read(parser, origin)).toConfig();
    } catch (JsonProcessingException invalid) {
      ConfigOrigin where = invalid.getLocation() == null
          ? origin : origin.withLineNumber(invalid.getLocation().getLineNr());
      throw new ConfigException.Parse(where, "invalid YAML: " + invalid.getOriginalMessage(), invalid);
    } catch (IOException e) {
      throw new ConfigException.IO(origin, e.getMessage(), e);
    }
  }

  /** Reads the value at the parser's current token, and everything inside it. */
  private static ConfigValue read(JsonParser parser, ConfigOrigin file) throws IOException {
    ConfigOrigin origin = at(file, parser);
    switch (parser.currentToken()) {
      case START_OBJECT -> {
        Map<String, ConfigValue> entries = new LinkedHashMap<>();
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
          List<String> path = ConfigUtil.splitPath(parser.currentName());
          parser.nextToken();
          ConfigValue value = read(parser, file);
          for (int i = path.size() - 1; i > 0; i--) {
            value = ConfigValueFactory.fromMap(Map.of(path.get(i), value)).withOrigin(origin);
          }
          ConfigValue earlier = entries.get(path.get(0));
          entries.put(path.get(0), earlier == null ? value : value.withFallback(earlier));
        }
        return ConfigValueFactory.fromMap(entries).withOrigin(origin);
      }
      case START_ARRAY -> {
        List<ConfigValue> items = new ArrayList<>();
        while (parser.nextToken() != JsonToken.END_ARRAY) {
          items.add(read(parser, file));
        }
        return ConfigValueFactory.fromIterable(items).withOrigin(origin);
      }
      case VALUE_STRING -> {
        return ConfigValueFactory.fromAnyRef(parser.getText()).withOrigin(origin);
      }
      case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> {
        return ConfigValueFactory.fromAnyRef(parser.getNumberValue()).withOrigin(origin);
      }
      case VALUE_TRUE, VALUE_FALSE -> {
        return ConfigValueFactory.fromAnyRef(parser.getBooleanValue()).withOrigin(origin);
      }
      case VALUE_NULL -> {
        return ConfigValueFactory.fromAnyRef(null).withOrigin(origin);
      }
      default -> throw new ConfigException.Parse(origin,
          "unexpected YAML content " + parser.currentToken());
    }
  }

  private static ConfigOrigin at(ConfigOrigin file, JsonParser parser) {
    return file.withLineNumber(parser.currentTokenLocation().getLineNr());
  }
}
