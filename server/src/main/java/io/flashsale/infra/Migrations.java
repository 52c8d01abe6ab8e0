package io.flashsale.infra;

import io.vertx.pgclient.PgConnectOptions;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;

/** Applies {@code src/main/resources/db/V*.sql} with Flyway. Blocking (JDBC). */
public final class Migrations {

  private Migrations() {}

  public static MigrateResult migrate(String pgUrl) {
    PgConnectOptions options = PgUrls.connectOptions(pgUrl);
    return Flyway.configure()
        .dataSource(PgUrls.jdbcUrl(options), options.getUser(), options.getPassword())
        .locations("classpath:db")
        .load()
        .migrate();
  }
}
