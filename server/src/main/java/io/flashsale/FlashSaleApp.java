package io.flashsale;

import io.flashsale.Deployments.Name;
import io.flashsale.checkout.OverdueHolds;
import io.flashsale.checkout.PreauthorizationVerticle;
import io.flashsale.config.AppConfig;
import io.flashsale.events.SaleChanged;
import io.flashsale.events.SaleEvents;
import io.flashsale.http.HttpServerVerticle;
import io.flashsale.infra.EventLoopLag;
import io.flashsale.infra.MetricHelp;
import io.flashsale.infra.Migrations;
import io.flashsale.infra.PeriodicVerticle;
import io.flashsale.infra.RedisMemory;
import io.flashsale.infra.Stores;
import io.flashsale.inventory.ReservationMessages;
import io.flashsale.inventory.ReservationVerticle;
import io.flashsale.sale.SaleFigures;
import io.flashsale.waitingroom.AdmissionTicker;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Deployable;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import java.time.Clock;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts one engine on a given Vert.x: migrations, stores, {@link Wiring#wire the services},
 * scripts, timers, verticles. {@link Main} runs it for real; tests start several against their own
 * databases. What it started is the {@link RunningEngine} it returns, which also stops it.
 */
public final class FlashSaleApp {

  private static final Logger LOG = LoggerFactory.getLogger(FlashSaleApp.class);

  private FlashSaleApp() {}

  /**
   * A registry with the engine's filters, configured before any meter is registered (as Micrometer
   * asks).
   */
  public static PrometheusMeterRegistry newRegistry() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    registry.config().meterFilter(new MetricHelp());
    return registry;
  }

  /**
   * Migrates the schema, connects, wires, loads scripts and stock, then deploys the verticles in
   * {@link Name} order. {@code metrics}: made by {@link #newRegistry()} before Vert.x, whose own
   * meters it also holds; {@code clock}: the one every service reads the time from.
   */
  public static Future<RunningEngine> start(
      Vertx vertx, AppConfig config, PrometheusMeterRegistry metrics, Clock clock) {
    return vertx
        .executeBlocking(() -> Migrations.migrate(config.pgUrl()))
        .compose(
            migrated -> {
              LOG.info(
                  "schema at version "
                      + migrated.targetSchemaVersion
                      + " ("
                      + migrated.migrationsExecuted
                      + " applied now)");
              List<Runnable> watchers = new ArrayList<>(bindProcessMetrics(metrics));
              Stores stores =
                  Stores.connect(
                      vertx,
                      config.redisUrl(),
                      config.redisMode(),
                      config.redisPoolSize(),
                      config.pgUrl(),
                      config.pgPoolSize(),
                      config.storeDeadline());
              Services services = Wiring.wire(vertx, config, stores, clock, metrics);
              watchers.addAll(watch(vertx, services));
              return start(vertx, services, watchers);
            });
  }

  private static Future<RunningEngine> start(
      Vertx vertx, Services services, List<Runnable> watchers) {
    AppConfig config = services.config();
    Map<Name, String> deployed = new EnumMap<>(Name.class);
    Deployer deployer = new Deployer(vertx, deployed);
    Rehearsal[] rehearsal = new Rehearsal[1];
    // Before anything can send or publish: the codecs, once per Vert.x.
    SaleEvents.registerCodecs(vertx.eventBus());
    ReservationMessages.registerCodec(vertx.eventBus());
    return Future.all(
            List.of(
                services.stockGate().loadScripts(),
                services.api().waitingRoom().loadScripts(),
                services.admissions().loadScripts(),
                services.prequeue().loadScripts(),
                services.preauthorizations().loadScripts(),
                services.reconciliation().loadScripts()))
        .compose(
            loaded -> {
              MessageConsumer<SaleChanged> saleChanged =
                  vertx
                      .eventBus()
                      .consumer(
                          SaleChanged.ADDRESS,
                          changed ->
                              services
                                  .api()
                                  .catalog()
                                  .forget(UUID.fromString(changed.body().saleId())));
              watchers.add(saleChanged::unregister);
              return saleChanged.completion();
            })
        .compose(
            listening ->
                services.oidcKeys().map(keys -> keys.start()).orElse(Future.succeededFuture()))
        .compose(keys -> services.api().timeline().warmUp())
        .compose(
            warm ->
                deployer.deploy(
                    Name.RESERVATIONS,
                    () ->
                        new ReservationVerticle(
                            services.reservationDesk().address(),
                            services.reservations(),
                            new ReservationVerticle.Settings(
                                config.reservations().batchWindowMillis(),
                                config.reservations().batchSize(),
                                config.reservations().batchesInFlight(),
                                config.reservations().mostWaiting()),
                            services.metrics()),
                    1))
        .compose(
            done ->
                deployer.deploy(
                    Name.SALE_TIMELINE,
                    () ->
                        new PeriodicVerticle(
                            "sale timeline",
                            config.lifecycle().tick(),
                            services.api().timeline()::tick),
                    1))
        .compose(
            done ->
                deployer.deploy(
                    Name.ADMISSION_TICKER,
                    () ->
                        new AdmissionTicker(
                            services.openSales(),
                            services.admissions(),
                            services.prequeue(),
                            services.clock(),
                            config.waitingRoom().tickMillis()),
                    1))
        .compose(
            done ->
                deployer.deploy(
                    Name.PREAUTHORIZATIONS,
                    () ->
                        new PreauthorizationVerticle(
                            services.openSales(),
                            services.preauthorizations(),
                            config.waitingRoom().prequeueWindow(),
                            services.clock(),
                            config.payment().preauthConcurrency(),
                            config.waitingRoom().tickMillis()),
                    1))
        .compose(
            done ->
                deployer.deploy(
                    Name.HOLD_EXPIRY,
                    () ->
                        new PeriodicVerticle(
                            "hold expiry", config.checkoutSweep(), services.holdExpiry()::sweep),
                    1))
        .compose(
            done ->
                deployer.deploy(
                    Name.AUTHORIZATION_VOIDS,
                    () ->
                        new PeriodicVerticle(
                            "authorisation voids", config.checkoutSweep(), services.voids()::sweep),
                    1))
        .compose(
            done ->
                deployer.deploy(
                    Name.REDIS_RECOVERY,
                    () ->
                        new PeriodicVerticle(
                            "redis recovery",
                            config.audit().redisCheck(),
                            services.recovery()::check),
                    1))
        .compose(
            done ->
                deployer.deploy(
                    Name.RECONCILIATION,
                    () ->
                        new PeriodicVerticle(
                            "reconciliation",
                            config.audit().reconcileInterval(),
                            services.reconciliation()::round),
                    1))
        .compose(
            done -> {
              // Before the HTTP servers listen: readiness is held from their first answer.
              rehearsal[0] = Rehearsal.begin(vertx, services);
              return HttpServerVerticle.loadContract(vertx);
            })
        .compose(
            contract ->
                deployer.deploy(
                    Name.HTTP,
                    () ->
                        new HttpServerVerticle(
                            services.api(), contract, config.httpPort(), config.httpAccessLog()),
                    config.effectiveHttpInstances()))
        .map(
            done -> {
              rehearsal[0].run();
              return new RunningEngine(
                  vertx, services, new Deployments(deployed), watchers, rehearsal[0]);
            });
  }

  /** The on-call figures' timers outside verticles; each entry stops one. */
  private static List<Runnable> watch(Vertx vertx, Services services) {
    PrometheusMeterRegistry metrics = services.metrics();
    return List.of(
        RedisMemory.watch(vertx, services.stores().redis(), metrics),
        EventLoopLag.watch(vertx, metrics),
        SaleFigures.watch(vertx, services.openSales(), services.clock(), metrics),
        services.saleMeters().watch(vertx, services.openSales(), services.clock()),
        OverdueHolds.watch(vertx, services.stores().pg(), metrics));
  }

  /**
   * JVM and process figures next to the engine's own: heap and non-heap memory, GC pauses, threads,
   * loaded classes, CPU, open file descriptors and uptime (Micrometer's binders). Returns what
   * stops the one binder that runs something (the GC listener).
   */
  private static List<Runnable> bindProcessMetrics(PrometheusMeterRegistry metrics) {
    new JvmMemoryMetrics().bindTo(metrics);
    JvmGcMetrics gcMetrics = new JvmGcMetrics();
    gcMetrics.bindTo(metrics);
    new JvmThreadMetrics().bindTo(metrics);
    new ClassLoaderMetrics().bindTo(metrics);
    new ProcessorMetrics().bindTo(metrics);
    new FileDescriptorMetrics().bindTo(metrics);
    new UptimeMetrics().bindTo(metrics);
    return List.of(gcMetrics::close);
  }

  /** Deploys a verticle and notes its id under its name. */
  private record Deployer(Vertx vertx, Map<Name, String> deployed) {
    Future<Void> deploy(Name name, Supplier<Deployable> verticle, int instances) {
      return vertx
          .deployVerticle(verticle, new DeploymentOptions().setInstances(instances))
          .onSuccess(id -> deployed.put(name, id))
          .mapEmpty();
    }
  }
}
