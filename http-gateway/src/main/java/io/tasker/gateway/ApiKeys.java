package io.tasker.gateway;

import io.tasker.node.queue.TokenBucket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Checks {@code Authorization: Bearer <key>}: keys are known only by their SHA-256, each has
 * scopes, and each has its own request rate limit.
 */
final class ApiKeys {
  /** Who a request authenticated as. */
  record Caller(String name, Set<Scope> scopes) {}

  /** Everyone, when keys are switched off. */
  static final Caller ANONYMOUS = new Caller("anonymous", EnumSet.allOf(Scope.class));

  private final boolean enabled;
  private final Map<String, Caller> byHash = new HashMap<>();
  private final Map<String, TokenBucket> buckets = new HashMap<>();
  private final double ratePerKey;
  private final int burstPerKey;

  ApiKeys(boolean enabled, Map<String, Caller> byHash, double ratePerKey, int burstPerKey) {
    this.enabled = enabled;
    this.byHash.putAll(byHash);
    this.ratePerKey = ratePerKey;
    this.burstPerKey = burstPerKey;
  }

  static ApiKeys from(GatewaySettings settings, Map<String, Caller> extraClearKeys) {
    Map<String, Caller> byHash = new HashMap<>();
    settings.keys.forEach(k -> byHash.put(k.sha256(), new Caller(k.name(), k.scopes())));
    parseClearKeys(settings.envKeys).forEach((key, caller) -> byHash.put(sha256(key), caller));
    extraClearKeys.forEach((key, caller) -> byHash.put(sha256(key), caller));
    return new ApiKeys(settings.authEnabled, byHash, settings.ratePerKey, settings.burstPerKey);
  }

  /** Parses {@code "<key>=<scope>,<scope>;<key>=<scope>"}. */
  static Map<String, Caller> parseClearKeys(String spec) {
    Map<String, Caller> keys = new HashMap<>();
    if (spec == null || spec.isBlank()) {
      return keys;
    }
    int n = 0;
    for (String entry : spec.split(";")) {
      if (entry.isBlank()) {
        continue;
      }
      int eq = entry.indexOf('=');
      if (eq <= 0 || eq == entry.length() - 1) {
        throw new IllegalArgumentException(
            "TASKER_API_KEYS entries look like <key>=<scope>,<scope>; found '" + entry.trim() + "'");
      }
      Set<Scope> scopes = EnumSet.noneOf(Scope.class);
      for (String scope : entry.substring(eq + 1).split(",")) {
        scopes.add(Scope.parse(scope));
      }
      keys.put(entry.substring(0, eq).trim(), new Caller("env-key-" + (++n), scopes));
    }
    return keys;
  }

  boolean isEmpty() {
    return byHash.isEmpty();
  }

  /**
   * @return who sent the request: the caller its key names, or {@link #ANONYMOUS} when keys are
   *     switched off
   * @throws HttpProblem 401 without a known key
   */
  Caller authenticate(Optional<String> authorization) {
    if (!enabled) {
      return ANONYMOUS;
    }
    String header = authorization.orElseThrow(() -> HttpProblem.unauthorized(
        "send an API key as 'Authorization: Bearer <key>'"));
    if (!header.regionMatches(true, 0, "Bearer ", 0, 7) || header.length() <= 7) {
      throw HttpProblem.unauthorized("send an API key as 'Authorization: Bearer <key>'");
    }
    Caller caller = byHash.get(sha256(header.substring(7).trim()));
    if (caller == null) {
      throw HttpProblem.unauthorized("unknown API key");
    }
    return caller;
  }

  /** @throws HttpProblem 403 without the scope, 429 over the key's rate */
  void authorize(Caller caller, Scope needed) {
    if (!enabled) {
      return;
    }
    if (!caller.scopes().contains(needed)) {
      throw HttpProblem.forbidden("this API key lacks the scope " + needed.label());
    }
    throttle(caller);
  }

  private void throttle(Caller caller) {
    if (ratePerKey <= 0) {
      return;
    }
    long now = System.nanoTime();
    synchronized (buckets) {
      TokenBucket bucket = buckets.computeIfAbsent(
          caller.name(), name -> new TokenBucket(ratePerKey, burstPerKey, now));
      if (!bucket.tryAcquire(now)) {
        long waitSeconds = Math.max(1, (long) Math.ceil(bucket.nanosUntilNextToken(now) / 1e9));
        throw HttpProblem.rateLimited(Duration.ofSeconds(waitSeconds));
      }
    }
  }

  static String sha256(String key) {
    try {
      return HexFormat.of().formatHex(
          MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static String newKey() {
    byte[] bytes = new byte[24];
    new SecureRandom().nextBytes(bytes);
    return "tsk_" + HexFormat.of().formatHex(bytes);
  }
}
