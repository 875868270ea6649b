package io.tasker.server;

import java.util.Set;

/**
 * A plugin the server applied.
 *
 * @param name the plugin's class
 * @param source the jar (or class path entry) it came from
 * @param taskTypes the task types it registered handlers for
 */
record LoadedPlugin(String name, String source, Set<String> taskTypes) {}
