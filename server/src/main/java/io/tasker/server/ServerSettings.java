package io.tasker.server;

import com.typesafe.config.Config;
import java.nio.file.Path;

/** The server's own settings ({@code tasker.plugins} in this module's reference.conf). */
final class ServerSettings {
  final Path pluginsDir;

  private ServerSettings(Path pluginsDir) {
    this.pluginsDir = pluginsDir;
  }

  static ServerSettings create(Config config) {
    return new ServerSettings(Path.of(config.getString("tasker.plugins.dir")));
  }
}
