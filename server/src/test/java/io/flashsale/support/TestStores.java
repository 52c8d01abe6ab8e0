package io.flashsale.support;

import io.flashsale.infra.EmbeddedStores;
import io.vertx.pgclient.PgConnectOptions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import java.util.logging.Logger;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.PostgreSQLContainer;

/**
 * Where the tests' Redis and PostgreSQL come from, decided once per JVM: {@code
 * FLASHSALE_REDIS_URL} / {@code FLASHSALE_PG_URL} when set, else Testcontainers when a Docker
 * engine answers, else the same embedded servers the product starts. Each test then gets its own
 * database; Redis data is isolated by the fresh sale ids in every key.
 */
public final class TestStores {

  private static final Logger LOG = Logger.getLogger(TestStores.class.getName());
  private static final TestStores INSTANCE = new TestStores();

  private final String redisUrl;
  private final String pgAdminUrl;

  private TestStores() {
    String redis = System.getenv("FLASHSALE_REDIS_URL");
    String pg = System.getenv("FLASHSALE_PG_URL");
    boolean docker = (isBlank(redis) || isBlank(pg)) && dockerAnswers();
    EmbeddedStores embedded = new EmbeddedStores();
    if (isBlank(redis)) {
      redis = docker ? redisContainer() : embedded.startRedis();
    }
    if (isBlank(pg)) {
      pg = docker ? postgresContainer() : embedded.startPostgres();
    }
    Runtime.getRuntime().addShutdownHook(new Thread(embedded::close));
    this.redisUrl = redis;
    this.pgAdminUrl = pg;
    LOG.info("tests use Redis " + redisUrl + " and PostgreSQL " + pgAdminUrl);
  }

  public static TestStores get() {
    return INSTANCE;
  }

  public String redisUrl() {
    return redisUrl;
  }

  /** Creates an empty database of its own for one test and returns its postgresql:// URL. */
  public String freshDatabase() {
    String name = "fs_test_" + UUID.randomUUID().toString().replace("-", "");
    try (Connection admin = jdbc(pgAdminUrl);
        Statement statement = admin.createStatement()) {
      statement.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      throw new IllegalStateException("could not create test database " + name, e);
    }
    PgConnectOptions options = PgConnectOptions.fromUri(pgAdminUrl);
    String credentials =
        options.getUser() + (isBlank(options.getPassword()) ? "" : ":" + options.getPassword());
    return "postgresql://"
        + credentials
        + "@"
        + options.getHost()
        + ":"
        + options.getPort()
        + "/"
        + name;
  }

  /** A blocking JDBC connection, for tests that check invariants straight from the database. */
  public static Connection jdbc(String pgUrl) throws SQLException {
    PgConnectOptions options = PgConnectOptions.fromUri(pgUrl);
    return DriverManager.getConnection(
        "jdbc:postgresql://"
            + options.getHost()
            + ":"
            + options.getPort()
            + "/"
            + options.getDatabase(),
        options.getUser(),
        options.getPassword());
  }

  private static boolean dockerAnswers() {
    try {
      return DockerClientFactory.instance().isDockerAvailable();
    } catch (RuntimeException | LinkageError e) {
      return false;
    }
  }

  @SuppressWarnings("resource") // stopped by Testcontainers' reaper when the JVM exits
  private static String redisContainer() {
    GenericContainer<?> redis = new GenericContainer<>("redis:7-alpine").withExposedPorts(6379);
    redis.start();
    return "redis://" + redis.getHost() + ":" + redis.getMappedPort(6379);
  }

  @SuppressWarnings("resource")
  private static String postgresContainer() {
    PostgreSQLContainer<?> postgres = new PostgreSQLContainer<>("postgres:16-alpine");
    postgres.start();
    return "postgresql://"
        + postgres.getUsername()
        + ":"
        + postgres.getPassword()
        + "@"
        + postgres.getHost()
        + ":"
        + postgres.getMappedPort(5432)
        + "/"
        + postgres.getDatabaseName();
  }

  private static boolean isBlank(String value) {
    return value == null || value.isBlank();
  }
}
