package io.tasker.server;

import io.tasker.node.TaskerBuilder;
import io.tasker.node.TaskerPlugin;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.MalformedURLException;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Loads the server's plugins: every jar in the plugin directory goes into one class loader (so
 * a plugin's own libraries can sit beside it), whose parent is the server's, and each {@link
 * TaskerPlugin} the {@link ServiceLoader} finds there or on the class path registers on the
 * builder. Whatever goes wrong is a {@link PluginLoadException} naming the jar.
 */
final class Plugins {
  private static final String SERVICES = "META-INF/services/" + TaskerPlugin.class.getName();

  private Plugins() {}

  /**
   * @param dir the plugin directory; missing means no plugin jars
   * @return the plugins applied to {@code builder}, in the order they registered
   * @throws PluginLoadException when a jar cannot be read, a declared plugin cannot be
   *     created, or a plugin's registration throws
   */
  static List<LoadedPlugin> apply(Path dir, ClassLoader parent, TaskerBuilder builder) {
    List<Path> jars = jarsIn(dir);
    Map<String, Path> declaredBy = new LinkedHashMap<>();
    for (Path jar : jars) {
      declaredPlugins(jar).forEach(plugin -> declaredBy.putIfAbsent(plugin, jar));
    }
    // never closed: the plugins' classes are used as long as the server runs
    ClassLoader loader = new URLClassLoader("tasker-plugins", urls(jars), parent);
    List<LoadedPlugin> loaded = new ArrayList<>();
    Iterator<TaskerPlugin> found = ServiceLoader.load(TaskerPlugin.class, loader).iterator();
    while (true) {
      TaskerPlugin plugin;
      try {
        if (!found.hasNext()) {
          return loaded;
        }
        plugin = found.next();
      } catch (ServiceConfigurationError e) {
        throw new PluginLoadException(sourceOf(e, declaredBy) + ": " + describe(e), e);
      }
      loaded.add(register(plugin, builder));
    }
  }

  private static LoadedPlugin register(TaskerPlugin plugin, TaskerBuilder builder) {
    String name = plugin.getClass().getName();
    String source = sourceOf(plugin.getClass());
    Set<String> before = builder.taskTypes();
    try {
      builder.plugin(plugin);
    } catch (RuntimeException | LinkageError e) {
      throw new PluginLoadException(
          "plugin " + name + " from " + source + " failed to register: " + describe(e), e);
    }
    Set<String> added = new LinkedHashSet<>(builder.taskTypes());
    added.removeAll(before);
    return new LoadedPlugin(name, source, added);
  }

  private static List<Path> jarsIn(Path dir) {
    if (!Files.exists(dir)) {
      return List.of();
    }
    if (!Files.isDirectory(dir)) {
      throw new PluginLoadException("plugin directory " + dir + " is not a directory", null);
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(f -> f.getFileName().toString().endsWith(".jar")).sorted().toList();
    } catch (IOException e) {
      throw new PluginLoadException("cannot list plugin directory " + dir + ": " + e, e);
    }
  }

  /** Reads the jar's service declaration: proves it is a jar, and says which plugins it holds. */
  private static List<String> declaredPlugins(Path jar) {
    try (JarFile file = new JarFile(jar.toFile())) {
      JarEntry services = file.getJarEntry(SERVICES);
      if (services == null) {
        return List.of();
      }
      try (BufferedReader reader = new BufferedReader(
          new InputStreamReader(file.getInputStream(services), StandardCharsets.UTF_8))) {
        return reader.lines()
            .map(line -> line.replaceFirst("#.*", "").trim())
            .filter(line -> !line.isEmpty())
            .toList();
      }
    } catch (IOException e) {
      throw new PluginLoadException("plugin jar " + jar + " cannot be read: " + e.getMessage(), e);
    }
  }

  private static URL[] urls(List<Path> jars) {
    URL[] urls = new URL[jars.size()];
    for (int i = 0; i < urls.length; i++) {
      try {
        urls[i] = jars.get(i).toUri().toURL();
      } catch (MalformedURLException e) {
        throw new PluginLoadException("plugin jar " + jars.get(i) + ": " + e.getMessage(), e);
      }
    }
    return urls;
  }

  /** The failing plugin's jar: the ServiceLoader's message names the provider class only. */
  private static String sourceOf(ServiceConfigurationError e, Map<String, Path> declaredBy) {
    String message = String.valueOf(e.getMessage());
    return declaredBy.entrySet().stream()
        .filter(declared -> Pattern.compile("(?<![\\w.$])" + Pattern.quote(declared.getKey())
            + "(?![\\w.$])").matcher(message).find())
        .map(declared -> "plugin jar " + declared.getValue())
        .findFirst()
        .orElse("a plugin on the class path");
  }

  private static String sourceOf(Class<?> type) {
    CodeSource code = type.getProtectionDomain().getCodeSource();
    if (code == null || code.getLocation() == null) {
      return "the class path";
    }
    try {
      return Path.of(code.getLocation().toURI()).toString();
    } catch (URISyntaxException | IllegalArgumentException e) {
      return code.getLocation().toString();
    }
  }

  private static String describe(Throwable e) {
    StringBuilder text = new StringBuilder(String.valueOf(e.getMessage()));
    for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
      text.append("; caused by ").append(cause);
    }
    return text.toString();
  }
}
