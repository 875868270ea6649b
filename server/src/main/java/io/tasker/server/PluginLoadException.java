package io.tasker.server;

/** A plugin that cannot be loaded or registered: the server does not start. */
final class PluginLoadException extends RuntimeException {
  PluginLoadException(String message, Throwable cause) {
    super(message, cause);
  }
}
