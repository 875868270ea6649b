package io.tasker.gateway;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/** The {@code tasker.http} section of the configuration. */
public final class GatewaySettings {
  /** A configured API key: a name for logs, its SHA-256 hex, its scopes. */
  public record HashedKey(String name, String sha256, Set<Scope> scopes) {}

  public final String host;
  public final int port;
  public final long maxBodyBytes;
  public final int maxBatch;
  public final Duration retryAfter;
  public final boolean authEnabled;
  public final List<HashedKey> keys;
  public final String envKeys;
  public final boolean devKey;
  public final double ratePerKey;
  public final int burstPerKey;
  public final boolean metricsPublic;

  private GatewaySettings(Config http) {
    host = http.getString("host");
    port = http.getInt("port");
    maxBodyBytes = http.getBytes("max-body-size");
    maxBatch = http.getInt("max-batch");
    retryAfter = http.getDuration("retry-after");
    authEnabled = http.getBoolean("auth.enabled");
    List<HashedKey> configured = new ArrayList<>();
    for (Config key : http.getConfigList("auth.keys")) {
      configured.add(new HashedKey(
          key.getString("name"),
          key.getString("sha256").toLowerCase(java.util.Locale.ROOT),
          key.getStringList("scopes").stream().map(Scope::parse).collect(Collectors.toSet())));
    }
    keys = List.copyOf(configured);
    envKeys = http.getString("auth.env-keys");
    devKey = http.getBoolean("auth.dev-key");
    ratePerKey = http.getDouble("rate-limit.per-key");
    burstPerKey = http.getInt("rate-limit.burst");
    metricsPublic = http.getBoolean("metrics.public");
  }

  public static GatewaySettings create(Config config) {
    return new GatewaySettings(config.getConfig("tasker.http"));
  }
}
