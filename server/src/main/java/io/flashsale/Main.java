package io.flashsale;

import io.flashsale.config.AppConfig;
import io.flashsale.infra.Clustering;
import io.flashsale.infra.EmbeddedStores;
import io.flashsale.infra.Tracing;
import io.flashsale.sale.FlashSale;
import io.flashsale.sale.NewSale;
import io.flashsale.sale.QueuePolicy;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Reads the configuration, starts embedded stores when no URL is set, and runs the engine. */
public final class Main {

  private static final Logger LOG = LoggerFactory.getLogger(Main.class);

  private Main() {}

  private static void printDemo(RunningEngine engine, FlashSale sale) {
    String base = "http://localhost:" + engine.services().config().httpPort();
    String buyer = engine.services().api().auth().issue("demo-buyer", false, 86_400);
    String admin = engine.services().api().auth().issue("demo-admin", true, 86_400);
    // For the person at the terminal, not a log line.
    System.out.println(
        String.join(
            System.lineSeparator(),
            "Demo sale "
                + sale.saleId()
                + ": "
                + sale.quantityAvailable()
                + " x "
                + sale.productName(),
            "  buyer token: " + buyer,
            "  admin token: " + admin,
            "  try: curl -s -X POST -H 'Authorization: Bearer "
                + buyer
                + "' -H 'Content-Type: application/json'"
                + " -d '{\"quantity\":1}' "
                + base
                + "/api/sales/"
                + sale.saleId()
                + "/purchase",
            "  web: "
                + base
                + "/ (sign in with any name; tick 'admin' for the dashboard at "
                + base
                + "/admin)"));
  }

  /** A sale open now for an hour: 1,000 units, one per buyer, no waiting room. */
  private static Future<FlashSale> createDemoSale(RunningEngine engine) {
    Instant now = engine.services().clock().instant();
    return engine
        .services()
        .api()
        .timeline()
        .create(
            new NewSale(
                "SKU-DEMO-1",
                "Demo sneakers, limited run",
                1_000,
                4_999,
                "EUR",
                now,
                now.plus(Duration.ofHours(1)),
                1,
                500,
                600,
                false,
                QueuePolicy.RANDOMIZED_PREQUEUE,
                0,
                false,
                0));
  }

  /**
   * A second demo sale that goes through the waiting room, starting a few minutes after the server
   * so the countdowns, the pre-queue and a slowly moving line can be seen on the web page.
   */
  private static Future<FlashSale> createQueuedDemoSale(RunningEngine engine) {
    Instant start = engine.services().clock().instant().plus(Duration.ofMinutes(3));
    return engine
        .services()
        .api()
        .timeline()
        .create(
            new NewSale(
                "SKU-DEMO-2",
                "Demo console, queued launch",
                100,
                29_900,
                "EUR",
                start,
                start.plus(Duration.ofHours(1)),
                1,
                5,
                120,
                true,
                QueuePolicy.RANDOMIZED_PREQUEUE,
                14,
                false,
                0))
        .onSuccess(
            sale ->
                LOG.info(
                    "Demo queued sale "
                        + sale.saleId()
                        + ": "
                        + sale.quantityAvailable()
                        + " x "
                        + sale.productName()
                        + ", starts "
                        + sale.startTime()
                        + ", 5 buyers let in per second, proof of work 14 bits"));
  }

  static final String USAGE =
      """
      Usage: java -jar flash-sale.jar [COMMAND] [OPTIONS]

      Commands:
        server     (the default) runs the engine: HTTP API, pages, WebSocket, /health, /metrics;
                   with no redis.url / pg.url it starts an embedded Redis and PostgreSQL
        help       prints this (also -h, --help)

      The load test and the benchmarks (loadtest, pow-bench, live-bench) have a jar of their own,
      built with this one: java -jar loadtest/target/flash-sale-loadtest.jar --help

      Configuration: conf/flashsale.properties (or the file named by FLASHSALE_CONFIG); every key
      can be overridden by an environment variable: FLASHSALE_ + the key in upper case with '.'
      and '-' turned into '_' (http.port -> FLASHSALE_HTTP_PORT). See README.md.
      """;

  public static void main(String[] args) {
    String command = args.length == 0 ? "server" : args[0];
    String[] rest = args.length == 0 ? args : Arrays.copyOfRange(args, 1, args.length);
    switch (command) {
      case "help", "-h", "--help" -> {
        System.out.print(USAGE);
        System.exit(0);
      }
      case "server" -> {
        if (rest.length > 0) {
          refuse(
              "the server takes no arguments (configure it in conf/ or with FLASHSALE_* variables): "
                  + String.join(" ", rest));
        }
        server();
      }
      default -> refuse("unknown command '" + command + "'");
    }
  }

  private static void refuse(String problem) {
    System.err.println(problem);
    System.err.print(USAGE);
    System.exit(64);
  }

  private static void server() {
    AppConfig configured = AppConfig.load();
    // Before anything starts: a taken port is one line and an exit, not a stack trace after the
    // stores.
    if (portTaken(configured.httpPort())) {
      exitPortInUse(configured.httpPort());
    }
    EmbeddedStores embedded = new EmbeddedStores();
    AppConfig config =
        configured.withStores(
            configured.redisUrl().isBlank() ? embedded.startRedis() : configured.redisUrl(),
            configured.pgUrl().isBlank() ? embedded.startPostgres() : configured.pgUrl());

    PrometheusMeterRegistry metrics = FlashSaleApp.newRegistry();
    // HTTP requests are timed by the router (http/RequestTimings), at a fraction of the cost.
    VertxOptions options =
        new VertxOptions()
            .setMetricsOptions(
                new MicrometerMetricsOptions()
                    .setEnabled(true)
                    .addDisabledMetricsCategory(MetricsDomain.HTTP_SERVER));
    OpenTelemetrySdk tracing = Tracing.sdk(config.tracing());
    VertxBuilder builder =
        Tracing.install(
            Vertx.builder().withMetrics(new MicrometerMetricsFactory(metrics)), options, tracing);
    Future<Vertx> vertx;
    if (config.cluster().enabled()) {
      HazelcastClusterManager cluster = Clustering.manager(config.cluster());
      vertx =
          builder
              .with(Clustering.eventBus(options, config.cluster()))
              .withClusterManager(cluster)
              .buildClustered()
              .onSuccess(
                  joined -> {
                    Clustering.registerMembers(metrics, cluster);
                    LOG.info(
                        "joined the cluster ({} discovery): {} member(s)",
                        config.cluster().discovery(),
                        cluster.getNodes().size());
                  });
    } else {
      vertx = Future.succeededFuture(builder.with(options).build());
    }
    AtomicReference<RunningEngine> started = new AtomicReference<>();
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  RunningEngine engine = started.get();
                  if (engine != null) {
                    LOG.info("shutting down");
                    CountDownLatch stopped = new CountDownLatch(1);
                    engine
                        .stop()
                        .eventually(engine.vertx()::close)
                        .onComplete(done -> stopped.countDown());
                    try {
                      stopped.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                      Thread.currentThread().interrupt();
                    }
                  }
                  if (tracing != null) {
                    tracing.close();
                  }
                  embedded.close();
                },
                "flashsale-shutdown"));
    vertx
        .compose(ready -> run(ready, config, metrics))
        .onSuccess(
            engine -> {
              started.set(engine);
              LOG.info("Flash Sale Engine listening on http://localhost:" + config.httpPort());
            })
        .onFailure(
            e -> {
              // A start that failed has nothing in flight to drain: the hook only stops the
              // embedded stores.
              if (bindFailure(e)) {
                exitPortInUse(config.httpPort());
              }
              LOG.error("the engine did not start", e);
              System.exit(1);
            });
  }

  private static boolean portTaken(int port) {
    try (ServerSocket probe = new ServerSocket()) {
      probe.setReuseAddress(true);
      probe.bind(new InetSocketAddress(port));
      return false;
    } catch (IOException e) {
      return true;
    }
  }

  private static boolean bindFailure(Throwable failure) {
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      if (cause instanceof BindException) {
        return true;
      }
    }
    return false;
  }

  private static void exitPortInUse(int port) {
    LOG.error("port " + port + " is already in use (set FLASHSALE_HTTP_PORT or http.port)");
    System.exit(2);
  }

  /**
   * Starts the engine on {@code vertx}; once started, a JVM shutdown stops it gracefully, then the
   * embedded stores.
   */
  private static Future<RunningEngine> run(
      Vertx vertx, AppConfig config, PrometheusMeterRegistry metrics) {
    return FlashSaleApp.start(vertx, config, metrics, Clock.systemUTC())
        .compose(
            started ->
                config.demo()
                    ? createDemoSale(started)
                        .onSuccess(sale -> printDemo(started, sale))
                        .compose(direct -> createQueuedDemoSale(started))
                        .map(started)
                    : Future.succeededFuture(started));
  }
}
