package io.tasker.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

/**
 * A fresh PostgreSQL database for one workload of one system, and the connection budget every
 * system gets on it.
 *
 * @param jdbcUrl its JDBC URL (with {@code reWriteBatchedInserts=true})
 * @param user the user (no password: embedded PostgreSQL trusts local connections)
 * @param poolSize connections a system may hold on it
 */
public record BenchDb(String jdbcUrl, String user, int poolSize) {

  /** @return a HikariCP pool of {@code poolSize} connections (the peers' pool) */
  public HikariDataSource dataSource(String name) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(jdbcUrl);
    config.setUsername(user);
    config.setPassword("");
    config.setMaximumPoolSize(poolSize);
    config.setMinimumIdle(poolSize);
    config.setPoolName(name);
    return new HikariDataSource(config);
  }
}
