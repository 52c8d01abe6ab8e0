package io.flashsale.config;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * The whole configuration of one server process.
 *
 * <p>Sources, later ones winning: the defaults packed in the jar ({@code
 * conf/flashsale.properties}), the file named by {@code FLASHSALE_CONFIG} or else {@code
 * ./conf/flashsale.properties}, then environment variables ({@code FLASHSALE_} + key, upper case,
 * '.' and '-' as '_').
 */
public record AppConfig(
    int httpPort,
    int httpInstances,
    boolean httpAccessLog,
    String redisUrl,
    String redisMode,
    int redisPoolSize,
    String pgUrl,
    int pgPoolSize,
    Duration storeDeadline,
    String jwtSecret,
    int jwtLeewaySeconds,
    boolean demo,
    ClusterConfig cluster,
    PaymentConfig payment,
    NotificationConfig notifications,
    LifecycleConfig lifecycle,
    Duration checkoutSweep,
    ReservationConfig reservations,
    WaitingRoomConfig waitingRoom,
    AntibotConfig antibot,
    AuditConfig audit,
    AuthConfig auth,
    TracingConfig tracing,
    Duration endedSaleMetricsGrace) {

  public static final String ENV_PREFIX = "FLASHSALE_";
  private static final String DEFAULTS_RESOURCE = "conf/flashsale.properties";

  /**
   * Clustered mode. {@code discovery} is "tcp" ({@code members}, host:port each) or "kubernetes"
   * (endpoints of {@code kubernetesService}); an empty {@code host} lets Hazelcast pick the
   * interface.
   */
  public record ClusterConfig(
      boolean enabled,
      String discovery,
      List<String> members,
      int port,
      int eventBusPort,
      String host,
      String kubernetesService,
      String kubernetesNamespace) {}

  /** Group commit of direct purchases: see conf/flashsale.properties. */
  public record ReservationConfig(
      long batchWindowMillis, int batchSize, int batchesInFlight, int mostWaiting) {
    public ReservationConfig {
      if (batchWindowMillis < 0 || batchSize < 1 || batchesInFlight < 1 || mostWaiting < 1) {
        throw new IllegalArgumentException(
            "reservations.batch-window-ms must be >= 0, and reservations.batch-size, "
                + "batches-in-flight and most-waiting >= 1");
      }
    }
  }

  /** {@code shuffleSeed} empty: the pre-queue is drawn with a SecureRandom. */
  public record WaitingRoomConfig(
      int tickMillis,
      Duration prequeueWindow,
      long livePushMillis,
      int admissionTokenSeconds,
      String shuffleSeed,
      boolean presence,
      Duration presenceWindow,
      Duration presenceGrace,
      long joinWindowMillis,
      int joinBatchSize,
      int lineShards,
      int rehearsalRequests) {
    public WaitingRoomConfig {
      if (joinWindowMillis < 0 || joinBatchSize < 1) {
        throw new IllegalArgumentException(
            "waitingroom.join-window-ms must be >= 0 and waitingroom.join-batch-size >= 1");
      }
      if (lineShards < 1 || lineShards > 64) {
        throw new IllegalArgumentException("waitingroom.line-shards must be between 1 and 64");
      }
      if (rehearsalRequests < 0 || rehearsalRequests > 10_000_000) {
        throw new IllegalArgumentException(
            "waitingroom.rehearsal-requests must be between 0 and 10000000");
      }
    }
  }

  /** {@code gateway} is "simulated" or "http"; the http* settings matter only for the latter. */
  public record PaymentConfig(
      String gateway,
      Duration simulatedLatency,
      double simulatedDeclineRate,
      double simulatedTimeoutRate,
      Duration simulatedRetention,
      Duration timeout,
      int preauthConcurrency,
      Duration preauthLease,
      String httpUrl,
      String httpApiKey,
      Duration httpAttemptTimeout,
      int httpMaxAttempts,
      Duration httpInitialBackoff,
      int httpBreakerFailures,
      Duration httpBreakerReset) {}

  /** Empty host or URL: that channel is off. */
  public record NotificationConfig(
      String smtpHost,
      int smtpPort,
      String smtpFrom,
      String smtpUsername,
      String smtpPassword,
      String webhookUrl,
      Duration webhookTimeout) {}

  /** Rate limits are requests per second with a burst; a rate of 0 turns that limit off. */
  public record AntibotConfig(
      Duration powValidity,
      double userPerSecond,
      int userBurst,
      double ipPerSecond,
      int ipBurst,
      double devicePerSecond,
      int deviceBurst,
      String captchaVerifyUrl,
      String captchaSecret,
      Duration captchaTimeout,
      String captchaHostname,
      String captchaAction,
      Set<String> trustedProxies) {}

  /** {@code alertWebhookUrl} empty: discrepancies are logged and counted, not posted. */
  public record AuditConfig(
      Duration reconcileInterval,
      Duration inflightStaleAfter,
      Duration redisCheck,
      String alertWebhookUrl) {}

  /**
   * Tokens beside the HS256 secret: {@code oidcIssuer} empty means no OpenID provider; {@code
   * oidcJwksUrl} empty means the issuer's discovery document names it. {@code rolesClaim} is a
   * claim name or a dotted path.
   */
  public record AuthConfig(
      boolean acceptSecretTokens,
      String rolesClaim,
      String adminRole,
      String oidcIssuer,
      String oidcJwksUrl,
      String oidcAudience,
      Duration jwksRefresh,
      Duration unknownKeyRefetch) {
    public AuthConfig {
      if (!oidcIssuer.isBlank() && oidcAudience.isBlank()) {
        throw new IllegalArgumentException(
            "oidc.audience must be set with oidc.issuer: tokens meant for other "
                + "services of the shop would be taken otherwise");
      }
      if (!acceptSecretTokens && oidcIssuer.isBlank()) {
        throw new IllegalArgumentException(
            "jwt.accept-secret-tokens=false needs oidc.issuer: no token could be verified");
      }
      if (rolesClaim.isBlank() || adminRole.isBlank()) {
        throw new IllegalArgumentException("jwt.roles-claim and jwt.admin-role must not be empty");
      }
      if (jwksRefresh.toSeconds() < 1 || unknownKeyRefetch.isNegative()) {
        throw new IllegalArgumentException(
            "oidc.jwks-refresh-seconds must be >= 1 and oidc.unknown-key-refetch-ms >= 0");
      }
    }

    public boolean oidc() {
      return !oidcIssuer.isBlank();
    }
  }

  /** OpenTelemetry: {@code otlpEndpoint} empty means tracing is off. */
  public record TracingConfig(String otlpEndpoint, double sampleRatio, String serviceName) {
    public TracingConfig {
      if (sampleRatio < 0 || sampleRatio > 1) {
        throw new IllegalArgumentException("tracing.sample-ratio must be between 0 and 1");
      }
    }

    public boolean enabled() {
      return !otlpEndpoint.isBlank();
    }
  }

  /** How long before a sale's start its warm-up and its two countdown notices are due. */
  public record LifecycleConfig(
      Duration tick, Duration warmUpLead, Duration firstNoticeLead, Duration lastNoticeLead) {}

  public AppConfig {
    if (storeDeadline.isNegative() || storeDeadline.isZero()) {
      throw new IllegalArgumentException("stores.deadline-ms must be positive");
    }
    if (jwtSecret == null || jwtSecret.length() < 32) {
      throw new IllegalArgumentException("jwt.secret must be at least 32 characters (HS256 key)");
    }
    if (jwtLeewaySeconds < 0 || jwtLeewaySeconds > 300) {
      throw new IllegalArgumentException("jwt.leeway-seconds must be between 0 and 300");
    }
    if (endedSaleMetricsGrace.isNegative()) {
      throw new IllegalArgumentException("metrics.ended-sale-grace-ms must not be negative");
    }
  }

  /** Loads from the environment of this process. */
  public static AppConfig load() {
    return load(System.getenv());
  }

  /** Loads with {@code environment} as the override layer; tests pass their own map. */
  public static AppConfig load(Map<String, String> environment) {
    Properties merged = new Properties();
    try (InputStream defaults =
        AppConfig.class.getClassLoader().getResourceAsStream(DEFAULTS_RESOURCE)) {
      if (defaults == null) {
        throw new IllegalStateException(DEFAULTS_RESOURCE + " missing from the classpath");
      }
      merged.load(defaults);
      Path file =
          Path.of(environment.getOrDefault(ENV_PREFIX + "CONFIG", "conf/flashsale.properties"));
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
        s.bool("http.access-log"),
        s.text("redis.url"),
        s.choice("redis.mode", "standalone", "cluster"),
        s.integer("redis.pool-size"),
        s.text("pg.url"),
        s.integer("pg.pool-size"),
        Duration.ofMillis(s.integer("stores.deadline-ms")),
        s.text("jwt.secret"),
        s.integer("jwt.leeway-seconds"),
        s.bool("demo"),
        new ClusterConfig(
            s.bool("cluster"),
            s.choice("cluster.discovery", "tcp", "kubernetes"),
            s.list("cluster.members"),
            s.integer("cluster.port"),
            s.integer("cluster.eventbus-port"),
            s.text("cluster.host"),
            s.text("cluster.kubernetes.service-name"),
            s.text("cluster.kubernetes.namespace")),
        new PaymentConfig(
            s.choice("payment.gateway", "simulated", "http"),
            Duration.ofMillis(s.integer("payment.simulated.latency-ms")),
            s.decimal("payment.simulated.decline-rate"),
            s.decimal("payment.simulated.timeout-rate"),
            Duration.ofSeconds(s.integer("payment.simulated.retention-seconds")),
            Duration.ofMillis(s.integer("payment.timeout-ms")),
            s.integer("payment.preauth-concurrency"),
            Duration.ofMillis(s.integer("payment.preauth-lease-ms")),
            s.text("payment.http.url"),
            s.text("payment.http.api-key"),
            Duration.ofMillis(s.integer("payment.http.attempt-timeout-ms")),
            s.integer("payment.http.max-attempts"),
            Duration.ofMillis(s.integer("payment.http.initial-backoff-ms")),
            s.integer("payment.http.breaker-failures"),
            Duration.ofMillis(s.integer("payment.http.breaker-reset-ms"))),
        new NotificationConfig(
            s.text("notifications.smtp.host"),
            s.integer("notifications.smtp.port"),
            s.text("notifications.smtp.from"),
            s.text("notifications.smtp.username"),
            s.text("notifications.smtp.password"),
            s.text("notifications.webhook-url"),
            Duration.ofMillis(s.integer("notifications.webhook-timeout-ms"))),
        new LifecycleConfig(
            Duration.ofMillis(s.integer("lifecycle.tick-ms")),
            Duration.ofSeconds(s.integer("lifecycle.warm-up-seconds")),
            Duration.ofSeconds(s.integer("lifecycle.first-notice-seconds")),
            Duration.ofSeconds(s.integer("lifecycle.last-notice-seconds"))),
        Duration.ofMillis(s.integer("checkout.sweep-ms")),
        new ReservationConfig(
            s.integer("reservations.batch-window-ms"),
            s.integer("reservations.batch-size"),
            s.integer("reservations.batches-in-flight"),
            s.integer("reservations.most-waiting")),
        new WaitingRoomConfig(
            s.integer("waitingroom.tick-ms"),
            Duration.ofSeconds(s.integer("waitingroom.prequeue-seconds")),
            s.integer("waitingroom.live-push-ms"),
            s.integer("waitingroom.admission-token-seconds"),
            s.text("waitingroom.shuffle-seed"),
            s.bool("waitingroom.presence"),
            Duration.ofSeconds(s.integer("waitingroom.presence-window-seconds")),
            Duration.ofSeconds(s.integer("waitingroom.presence-grace-seconds")),
            s.integer("waitingroom.join-window-ms"),
            s.integer("waitingroom.join-batch-size"),
            s.integer("waitingroom.line-shards"),
            s.integer("waitingroom.rehearsal-requests")),
        new AntibotConfig(
            Duration.ofSeconds(s.integer("antibot.pow.validity-seconds")),
            s.decimal("antibot.rate.user-per-second"),
            s.integer("antibot.rate.user-burst"),
            s.decimal("antibot.rate.ip-per-second"),
            s.integer("antibot.rate.ip-burst"),
            s.decimal("antibot.rate.device-per-second"),
            s.integer("antibot.rate.device-burst"),
            s.text("antibot.captcha.verify-url"),
            s.text("antibot.captcha.secret"),
            Duration.ofMillis(s.integer("antibot.captcha.timeout-ms")),
            s.text("antibot.captcha.hostname"),
            s.text("antibot.captcha.action"),
            Set.copyOf(s.list("http.trusted-proxies"))),
        new AuditConfig(
            Duration.ofMillis(s.integer("audit.reconcile-interval-ms")),
            Duration.ofMillis(s.integer("audit.inflight-stale-ms")),
            Duration.ofMillis(s.integer("audit.redis-check-ms")),
            s.text("audit.alert-webhook-url")),
        new AuthConfig(
            s.bool("jwt.accept-secret-tokens"),
            s.text("jwt.roles-claim"),
            s.text("jwt.admin-role"),
            s.text("oidc.issuer"),
            s.text("oidc.jwks-url"),
            s.text("oidc.audience"),
            Duration.ofSeconds(s.integer("oidc.jwks-refresh-seconds")),
            Duration.ofMillis(s.integer("oidc.unknown-key-refetch-ms"))),
        new TracingConfig(
            s.text("tracing.otlp-endpoint"),
            s.decimal("tracing.sample-ratio"),
            s.text("tracing.service-name")),
        Duration.ofMillis(s.integer("metrics.ended-sale-grace-ms")));
  }

  /** Same settings with Redis and PostgreSQL pointed elsewhere (used once embedded servers run). */
  public AppConfig withStores(String redis, String pg) {
    return new AppConfig(
        httpPort,
        httpInstances,
        httpAccessLog,
        redis,
        redisMode,
        redisPoolSize,
        pg,
        pgPoolSize,
        storeDeadline,
        jwtSecret,
        jwtLeewaySeconds,
        demo,
        cluster,
        payment,
        notifications,
        lifecycle,
        checkoutSweep,
        reservations,
        waitingRoom,
        antibot,
        audit,
        auth,
        tracing,
        endedSaleMetricsGrace);
  }

  public int effectiveHttpInstances() {
    return httpInstances > 0 ? httpInstances : Runtime.getRuntime().availableProcessors();
  }

  private record Settings(Map<String, String> values) {
    String text(String key) {
      String value = values.get(key);
      if (value == null) {
        throw new IllegalStateException(
            "configuration key " + key + " has no default in " + DEFAULTS_RESOURCE);
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

    /** Comma-separated, blanks dropped. */
    List<String> list(String key) {
      return Arrays.stream(text(key).split(","))
          .map(String::trim)
          .filter(v -> !v.isEmpty())
          .toList();
    }

    double decimal(String key) {
      try {
        return Double.parseDouble(text(key));
      } catch (NumberFormatException e) {
        throw invalid(key, "a number");
      }
    }

    String choice(String key, String... allowed) {
      String value = text(key);
      if (!Arrays.asList(allowed).contains(value)) {
        throw invalid(key, "one of " + String.join(", ", allowed));
      }
      return value;
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
