package io.tasker.gateway;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.tasker.node.internal.PekkoSettings;
import io.tasker.node.Tasker;
import io.tasker.node.TaskerNode;
import io.tasker.node.internal.TaskerSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.settings.ServerSettings;
import org.apache.pekko.stream.Materializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves the HTTP API from a node's actor system. Unbinds and drains on the node's coordinated
 * shutdown (SIGTERM), so requests in flight are answered before the node leaves.
 */
public final class HttpGateway implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(HttpGateway.class);
  private static final Duration DRAIN = Duration.ofSeconds(10);

  private final ServerBinding binding;
  private final String devKey;

  private HttpGateway(ServerBinding binding, String devKey) {
    this.binding = binding;
    this.devKey = devKey;
  }

  /**
   * Serves {@code node}'s API from its own actor system, with the {@code tasker.http} settings
   * of the configuration the node was started with: one call to embed the API in an application.
   */
  public static HttpGateway start(TaskerNode node) {
    return start(node, node.system().settings().config());
  }

  /** Serves {@code node}'s API with the {@code tasker.http} settings of {@code config}. */
  public static HttpGateway start(TaskerNode node, Config config) {
    TaskerSettings nodeSettings = TaskerSettings.create(config);
    return start(node.system(), node, config, nodeSettings.dataDir, Clock.systemUTC());
  }

  /**
   * Serves {@code tasker}'s API from {@code system}.
   *
   * @param dataDir where a generated development key is kept
   */
  public static HttpGateway start(
      ActorSystem<?> system, Tasker tasker, Config config, Path dataDir, Clock clock) {
    GatewaySettings settings = GatewaySettings.create(config);
    String devKey = null;
    Map<String, ApiKeys.Caller> extra = Map.of();
    if (settings.authEnabled && settings.keys.isEmpty() && settings.envKeys.isBlank()
        && settings.devKey) {
      devKey = developmentKey(dataDir);
      extra = Map.of(devKey, new ApiKeys.Caller("development", EnumSet.allOf(Scope.class)));
    }
    ApiKeys keys = ApiKeys.from(settings, extra);
    if (!settings.authEnabled) {
      log.warn("HTTP authentication is DISABLED (tasker.http.auth.enabled = off)");
    } else if (keys.isEmpty()) {
      log.warn("no API keys are configured: every request will be refused with 401");
    }
    PrometheusScrape metrics = tasker instanceof TaskerNode node
        ? PrometheusScrape.of(node.meterRegistry()) : PrometheusScrape.NONE;
    TaskerRoutes routes = new TaskerRoutes(
        tasker, keys, settings, Materializer.matFromSystem(system), clock, metrics);
    try {
      ServerBinding binding = Http.get(system)
          .newServerAt(settings.host, settings.port)
          .withSettings(serverSettings(system))
          .bind(routes.routes())
          .toCompletableFuture()
          .get(30, TimeUnit.SECONDS)
          .addToCoordinatedShutdown(DRAIN, system);
      log.info("Tasker HTTP API listening on http://{}:{}", settings.host,
          binding.localAddress().getPort());
      return new HttpGateway(binding, devKey);
    } catch (Exception e) {
      if (addressInUse(e)) {
        throw new IllegalStateException("port " + settings.port + " is in use: set"
            + " TASKER_HTTP_PORT (tasker.http.port) to a free port, or stop what listens there",
            e);
      }
      throw new IllegalStateException(
          "cannot listen on " + settings.host + ":" + settings.port + ": " + e.getMessage(), e);
    }
  }

  /**
   * Pekko HTTP's server settings with Tasker's parsing error handler, so requests too malformed
   * to route get the same JSON error body as all others, and an idle timeout above the longest
   * wait of {@code GET /v1/tasks/{id}/result}; set here rather than in a
   * {@code reference.conf}, where it would compete with Pekko HTTP's own by class-path order.
   * An application that configures its own handler keeps it (see {@link PekkoSettings}).
   */
  static ServerSettings serverSettings(ActorSystem<?> system) {
    Config required = ConfigFactory.parseMap(Map.of(
        "pekko.http.server.parsing.error-handler", JsonParsingErrorHandler.class.getName(),
        // above the longest result wait: the idle timeout would close a connection waiting
        "pekko.http.server.idle-timeout",
        ResultWait.REQUEST_TIMEOUT.plusSeconds(15).toSeconds() + "s"));
    return ServerSettings.create(PekkoSettings.applyTo(system.settings().config(), required));
  }

  private static boolean addressInUse(Throwable failure) {
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      if (cause instanceof java.net.BindException) {
        return true;
      }
    }
    return false;
  }

  /** @return the port the gateway listens on */
  public int port() {
    return binding.localAddress().getPort();
  }

  /** @return the generated development key, when no keys were configured */
  public Optional<String> developmentKey() {
    return Optional.ofNullable(devKey);
  }

  @Override
  public void close() {
    binding.terminate(DRAIN).toCompletableFuture().join();
  }

  private static String developmentKey(Path dataDir) {
    Path file = dataDir.resolve("dev-api-key");
    try {
      if (Files.exists(file)) {
        return Files.readString(file, StandardCharsets.UTF_8).trim();
      }
      Files.createDirectories(dataDir);
      String key = ApiKeys.newKey();
      Files.writeString(file, key + "\n", StandardCharsets.UTF_8);
      return key;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot keep the development API key in " + file, e);
    }
  }
}
