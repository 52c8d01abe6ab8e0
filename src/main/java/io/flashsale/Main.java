package io.flashsale;

import io.flashsale.config.AppConfig;
import io.flashsale.infra.Clustering;
import io.flashsale.infra.EmbeddedStores;
import io.flashsale.loadtest.LiveGapBenchmark;
import io.flashsale.loadtest.LoadTest;
import io.flashsale.loadtest.PowBenchmark;
import io.flashsale.sale.FlashSale;
import io.flashsale.sale.NewSale;
import io.flashsale.sale.QueuePolicy;
import java.time.Duration;
import java.time.Instant;
import io.vertx.core.Future;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/** Reads the configuration, starts embedded stores when no URL is set, and runs the engine. */
public final class Main {

  private static final Logger LOG = Logger.getLogger(Main.class.getName());

  private Main() {}

  private static void printDemo(FlashSaleApp app, FlashSale sale) {
    String base = "http://localhost:" + app.config().httpPort();
    String buyer = app.services().auth().issue("demo-buyer", false, 86_400);
    String admin = app.services().auth().issue("demo-admin", true, 86_400);
    LOG.info(String.join(System.lineSeparator(),
        "Demo sale " + sale.saleId() + ": " + sale.quantityAvailable() + " x " + sale.productName(),
        "  buyer token: " + buyer,
        "  admin token: " + admin,
        "  try: curl -s -X POST -H 'Authorization: Bearer " + buyer + "' -H 'Content-Type: application/json'"
            + " -d '{\"quantity\":1}' " + base + "/api/sales/" + sale.saleId() + "/purchase",
        "  web: " + base + "/ (sign in with any name; tick 'admin' for the dashboard at " + base + "/admin)"));
  }

  /**
   * A second demo sale that goes through the waiting room, starting a few minutes after the
   * server so the countdowns, the pre-queue and a slowly moving line can be seen on the web page.
   */
  private static Future<FlashSale> createQueuedDemoSale(FlashSaleApp app) {
    Instant start = Instant.now().plus(Duration.ofMinutes(3));
    return app.services().timeline().create(new NewSale("SKU-DEMO-2", "Demo console, queued launch", 100, 29_900,
            "EUR", start, start.plus(Duration.ofHours(1)), 1, 5, 120, true, QueuePolicy.RANDOMIZED_PREQUEUE, 14,
            false))
        .onSuccess(sale -> LOG.info("Demo queued sale " + sale.saleId() + ": " + sale.quantityAvailable() + " x "
            + sale.productName() + ", starts " + sale.startTime() + ", 5 buyers let in per second, proof of work 14 bits"));
  }

  public static void main(String[] args) {
    if (args.length > 0 && args[0].equals("loadtest")) {
      System.exit(LoadTest.run(java.util.Arrays.copyOfRange(args, 1, args.length)));
    }
    if (args.length > 0 && args[0].equals("live-bench")) {
      System.exit(LiveGapBenchmark.run(java.util.Arrays.copyOfRange(args, 1, args.length)));
    }
    if (args.length > 0 && args[0].equals("pow-bench")) {
      System.exit(PowBenchmark.run(java.util.Arrays.copyOfRange(args, 1, args.length)));
    }
    if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
      System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tF %1$tT.%1$tL %4$-7s [%3$s] %5$s%6$s%n");
    }
    AppConfig configured = AppConfig.load();
    EmbeddedStores embedded = new EmbeddedStores();
    AppConfig config = configured.withStores(
        configured.redisUrl().isBlank() ? embedded.startRedis() : configured.redisUrl(),
        configured.pgUrl().isBlank() ? embedded.startPostgres() : configured.pgUrl());

    PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    VertxOptions options = new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true));
    VertxBuilder builder = Vertx.builder().withMetrics(new MicrometerMetricsFactory(metrics));
    Future<Vertx> vertx = config.cluster().enabled()
        ? builder.with(Clustering.eventBus(options, config.cluster()))
            .withClusterManager(Clustering.manager(config.cluster()))
            .buildClustered()
            .onSuccess(joined -> LOG.info("joined the cluster (" + config.cluster().discovery() + " discovery)"))
        : Future.succeededFuture(builder.with(options).build());
    vertx.compose(ready -> run(ready, config, metrics, embedded))
        .onSuccess(started -> LOG.info("Flash Sale Engine listening on http://localhost:" + config.httpPort()))
        .onFailure(e -> {
          e.printStackTrace();
          System.exit(1);
        });
  }

  /** Starts the engine on {@code vertx}; a JVM shutdown stops it gracefully, then the embedded stores. */
  private static Future<FlashSaleApp> run(Vertx vertx, AppConfig config, PrometheusMeterRegistry metrics,
                                          EmbeddedStores embedded) {
    FlashSaleApp app = new FlashSaleApp(vertx, config, metrics);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      LOG.info("shutting down");
      CountDownLatch stopped = new CountDownLatch(1);
      app.stop().eventually(vertx::close).onComplete(done -> stopped.countDown());
      try {
        stopped.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      embedded.close();
    }, "flashsale-shutdown"));
    return app.start()
        .compose(started -> config.demo()
            ? app.createDemoSale().onSuccess(sale -> printDemo(app, sale))
                .compose(direct -> createQueuedDemoSale(app)).map(started)
            : Future.succeededFuture(started));
  }
}
