package io.flashsale.infra;

import io.vertx.pgclient.PgConnectOptions;

/** Turns the configured {@code postgresql://} URL into what each client wants. */
public final class PgUrls {

  private PgUrls() {}

  public static PgConnectOptions connectOptions(String url) {
    return PgConnectOptions.fromUri(url);
  }

  /** The JDBC form Flyway needs; user and password travel separately. */
  public static String jdbcUrl(PgConnectOptions options) {
    return "jdbc:postgresql://"
        + options.getHost()
        + ":"
        + options.getPort()
        + "/"
        + options.getDatabase();
  }
}
