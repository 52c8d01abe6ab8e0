package io.flashsale.config;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * The whole configuration of one server process.
 *
 * <p>Sources, later ones winning: the defaults packed in the jar ({@code conf/flashsale.properties}),
 * the file named by {@code FLASHSALE_CONFIG} or else {@code ./conf/flashsale.properties},
 * then environment variables ({@code FLASHSALE_} + key, upper case, '.' and '-' as '_').
 */
public record AppConfig(
    int httpPort,
    int httpInstances,
    String redisUrl,
    int redisPoolSize,
    String pgUrl,
    int pgPoolSize,
    String jwtSecret,
    boolean demo,
    PaymentConfig payment,
    Duration lifecycleTick,
    WaitingRoomConfig waitingRoom) {

  public static final String ENV_PREFIX = "FLASHSALE_";
  private static final String DEFAULTS_RESOURCE = "conf/flashsale.properties";

  /** {@code shuffleSeed} empty: the pre-queue is drawn with a SecureRandom. */
  public record WaitingRoomConfig(int tickMillis, Duration prequeueWindow, long livePushMillis,
                                  int admissionTokenSeconds, String shuffleSeed) {}

  public record PaymentConfig(Duration simulatedLatency, double simulatedDeclineRate, Duration timeout) {}

  public AppConfig {
    if (jwtSecret == null || jwtSecret.length() < 32) {
      throw new IllegalArgumentException("jwt.secret must be at least 32 characters (HS256 key)");
    }
  }

  /** Loads from the environment of this process. */
  public static AppConfig load() {
    return load(System.getenv());
  }

  /** Loads with {@code environment} as the override layer; tests pass their own map. */
  public static AppConfig load(Map<String, String> environment) {
    Properties merged = new Properties();
    try (InputStream defaults = AppConfig.class.getClassLoader().getResourceAsStream(DEFAULTS_RESOURCE)) {
      if (defaults == null) {
        throw new IllegalStateException(DEFAULTS_RESOURCE + " missing from the classpath");
      }
      merged.load(defaults);
      Path file = Path.of(environment.getOrDefault(ENV_PREFIX + "CONFIG", "conf/flashsale.properties"));
      if (Files.isRegularFile(file)) {
        try (Reader reader = Files.newBufferedReader(file)) {
          merged.load(reader);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Map<String, String> values = new HashMap<>();
    for (String key : merged.stringPropertyNames()) {
      String override = environment.get(envName(key));
      values.put(key, override != null ? override : merged.getProperty(key).trim());
    }
    return fromValues(values);
  }

  /** The environment variable that overrides {@code key}. */
  public static String envName(String key) {
    return ENV_PREFIX + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
  }

  private static AppConfig fromValues(Map<String, String> values) {
    Settings s = new Settings(values);
    return new AppConfig(
        s.integer("http.port"),
        s.integer("http.instances"),
        s.text("redis.url"),
        s.integer("redis.pool-size"),
        s.text("pg.url"),
        s.integer("pg.pool-size"),
        s.text("jwt.secret"),
        s.bool("demo"),
        new PaymentConfig(
            Duration.ofMillis(s.integer("payment.simulated.latency-ms")),
            s.decimal("payment.simulated.decline-rate"),
            Duration.ofMillis(s.integer("payment.timeout-ms"))),
        Duration.ofMillis(s.integer("lifecycle.tick-ms")),
        new WaitingRoomConfig(
            s.integer("waitingroom.tick-ms"),
            Duration.ofSeconds(s.integer("waitingroom.prequeue-seconds")),
            s.integer("waitingroom.live-push-ms"),
            s.integer("waitingroom.admission-token-seconds"),
            s.text("waitingroom.shuffle-seed")));
  }

  /** Same settings with Redis and PostgreSQL pointed elsewhere (used once embedded servers run). */
  public AppConfig withStores(String redis, String pg) {
    return new AppConfig(httpPort, httpInstances, redis, redisPoolSize, pg, pgPoolSize, jwtSecret,
        demo, payment, lifecycleTick, waitingRoom);
  }

  public int effectiveHttpInstances() {
    return httpInstances > 0 ? httpInstances : Runtime.getRuntime().availableProcessors();
  }

  private record Settings(Map<String, String> values) {
    String text(String key) {
      String value = values.get(key);
      if (value == null) {
        throw new IllegalStateException("configuration key " + key + " has no default in " + DEFAULTS_RESOURCE);
      }
      return value;
    }

    int integer(String key) {
      try {
        return Integer.parseInt(text(key));
      } catch (NumberFormatException e) {
        throw invalid(key, "an integer");
      }
    }

    double decimal(String key) {
      try {
        return Double.parseDouble(text(key));
      } catch (NumberFormatException e) {
        throw invalid(key, "a number");
      }
    }

    boolean bool(String key) {
      String value = text(key).toLowerCase(Locale.ROOT);
      if (!value.equals("true") && !value.equals("false")) {
        throw invalid(key, "true or false");
      }
      return Boolean.parseBoolean(value);
    }

    private IllegalArgumentException invalid(String key, String expected) {
      return new IllegalArgumentException(
          key + " (" + envName(key) + ") must be " + expected + ", got '" + values.get(key) + "'");
    }
  }
}
