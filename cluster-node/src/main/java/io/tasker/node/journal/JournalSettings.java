package io.tasker.node.journal;

import com.typesafe.config.Config;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where the journal lives: PostgreSQL when a {@code jdbc:postgresql:} URL is configured,
 * otherwise an H2 file database under the data directory.
 *
 * @param url the JDBC URL
 * @param user the database user
 * @param password the database password
 * @param poolSize connections in the pool
 * @param migrate what a node does with the schema at start
 */
public record JournalSettings(
    String url, String user, String password, int poolSize, Migrate migrate) {

  /** What a node does with the schema at start ({@code tasker.journal.migrate}). */
  public enum Migrate {
    /** Applies pending migrations (see {@link SchemaMigrations}). */
    ON,
    /** Leaves the schema alone: its owner migrates it. */
    OFF,
    /** Fails the start unless the schema is at the version this Tasker expects. */
    VALIDATE;

    static Migrate parse(String value) {
      return switch (value.trim().toLowerCase(java.util.Locale.ROOT)) {
        case "on", "true", "yes" -> ON;
        case "off", "false", "no" -> OFF;
        case "validate" -> VALIDATE;
        default -> throw new IllegalArgumentException(
            "tasker.journal.migrate must be on, off or validate, was '" + value + "'");
      };
    }
  }

  /** The databases Tasker knows how to talk to. */
  public enum Dialect {
    H2("slick.jdbc.H2Profile$", "org.h2.Driver", "h2"),
    POSTGRES("slick.jdbc.PostgresProfile$", "org.postgresql.Driver", "postgresql");

    final String slickProfile;
    final String driver;
    /** The folder of this database's migrations under {@code db/migration/tasker/}. */
    final String migrations;

    Dialect(String slickProfile, String driver, String migrations) {
      this.slickProfile = slickProfile;
      this.driver = driver;
      this.migrations = migrations;
    }
  }

  /** Reads {@code tasker.journal}; an empty URL means H2 under {@code dataDir}. */
  public static JournalSettings create(Config journal, Path dataDir) {
    String url = journal.getString("url");
    if (url.isBlank()) {
      url = h2Url(dataDir);
    }
    if (journal.hasPath("create-schema")) {
      throw new IllegalArgumentException("tasker.journal.create-schema was replaced by"
          + " tasker.journal.migrate = on | off | validate");
    }
    return new JournalSettings(
        durable(url),
        journal.getString("user"),
        journal.getString("password"),
        journal.getInt("pool-size"),
        Migrate.parse(journal.getString("migrate")));
  }

  /** Reads the settings {@link #toPekkoConfig} gave the journal plugin. */
  static JournalSettings fromPluginConfig(Config plugin) {
    return new JournalSettings(plugin.getString("url"), plugin.getString("user"),
        plugin.getString("password"), plugin.getInt("pool-size"), Migrate.OFF);
  }

  /** @return a connection pool on this database */
  public HikariDataSource dataSource(String poolName, int size) {
    return new HikariDataSource(poolConfig(poolName, size));
  }

  /**
   * A pool for statements that each find their rows by key, as the journal's do: on PostgreSQL
   * its sessions never plan a sequential scan. A table younger than its first {@code ANALYZE}
   * (a new database, the first minutes of load) has no statistics, and a prepared look-up
   * planned while it was nearly empty kept its sequential scan as it grew: reading 17 tasks'
   * events took 2–36 ms at 5,000–30,000 journal rows instead of 0.1–0.2 ms (docs/benchmarks.md,
   * session 15).
   *
   * @return a connection pool on this database for keyed statements only
   */
  public HikariDataSource keyedDataSource(String poolName, int size) {
    HikariConfig config = poolConfig(poolName, size);
    if (dialect() == Dialect.POSTGRES) {
      config.setConnectionInitSql("SET enable_seqscan = off");
    }
    return new HikariDataSource(config);
  }

  private HikariConfig poolConfig(String poolName, int size) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(url);
    config.setUsername(user);
    config.setPassword(password);
    config.setMaximumPoolSize(size);
    config.setPoolName(poolName);
    return config;
  }

  /**
   * H2 acknowledges a commit before it is in the file unless {@code WRITE_DELAY} is 0 (measured:
   * {@code kill -9} after a burst lost the last 1,000–2,700 of ~30,000 single-row commits with
   * the default, none with 0). With 0 a commit is written, not synced: it survives the death of
   * the process, not of the machine. An H2 URL gets it unless it sets its own.
   */
  static String durable(String url) {
    boolean h2 = url.startsWith("jdbc:h2:") && !url.startsWith("jdbc:h2:mem:");
    return h2 && !url.toUpperCase(java.util.Locale.ROOT).contains(";WRITE_DELAY=")
        ? url + ";WRITE_DELAY=0"
        : url;
  }

  /** @return the URL of the embedded H2 journal under {@code dataDir} */
  public static String h2Url(Path dataDir) {
    return "jdbc:h2:file:" + dataDir.toAbsolutePath().resolve("journal")
        + ";DB_CLOSE_DELAY=-1;WRITE_DELAY=0";
  }

  public Dialect dialect() {
    if (url.startsWith("jdbc:postgresql:")) {
      return Dialect.POSTGRES;
    }
    if (url.startsWith("jdbc:h2:")) {
      return Dialect.H2;
    }
    throw new IllegalArgumentException(
        "tasker.journal.url must be a jdbc:postgresql: or jdbc:h2: URL, was " + url);
  }

  /** @return the persistence plugins' database settings for this journal */
  public Config toPekkoConfig() {
    Dialect dialect = dialect();
    return ConfigFactory.parseMap(
        Map.of(
            "tasker-journal.url", url,
            "tasker-journal.user", user,
            "tasker-journal.password", password,
            "tasker-journal.pool-size", poolSize))
        .withFallback(snapshotStoreConfig(dialect));
  }

  /** The snapshot store (only schedules take snapshots) stays pekko-persistence-jdbc's. */
  private Config snapshotStoreConfig(Dialect dialect) {
    return ConfigFactory.parseMap(
        Map.of(
            "pekko-persistence-jdbc.shared-databases.tasker.profile", dialect.slickProfile,
            "pekko-persistence-jdbc.shared-databases.tasker.db.url", url,
            "pekko-persistence-jdbc.shared-databases.tasker.db.user", user,
            "pekko-persistence-jdbc.shared-databases.tasker.db.password", password,
            "pekko-persistence-jdbc.shared-databases.tasker.db.driver", dialect.driver,
            "pekko-persistence-jdbc.shared-databases.tasker.db.numThreads", 2,
            "pekko-persistence-jdbc.shared-databases.tasker.db.maxConnections", 2,
            "pekko-persistence-jdbc.shared-databases.tasker.db.minConnections", 1));
  }
}
