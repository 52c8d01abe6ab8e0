package io.flashsale;

import io.flashsale.antibot.Blacklist;
import io.flashsale.audit.Reconciliation;
import io.flashsale.audit.RedisRecovery;
import io.flashsale.audit.SaleAudit;
import io.vertx.ext.web.client.WebClient;
import io.flashsale.checkout.Checkout;
import io.flashsale.checkout.HoldExpiry;
import io.flashsale.checkout.OverdueHolds;
import io.flashsale.checkout.PreauthorizationVerticle;
import io.flashsale.checkout.Preauthorizations;
import io.flashsale.checkout.Voids;
import io.flashsale.config.AppConfig;
import io.flashsale.antibot.BotDefence;
import io.flashsale.antibot.CaptchaVerifier;
import io.flashsale.antibot.ProofOfWork;
import io.flashsale.antibot.RateLimits;
import io.flashsale.config.AppConfig.AuthConfig;
import io.flashsale.config.AppConfig.AntibotConfig;
import io.flashsale.config.AppConfig.NotificationConfig;
import io.flashsale.http.ClientAddress;
import io.flashsale.config.AppConfig.PaymentConfig;
import io.flashsale.config.AppConfig.WaitingRoomConfig;
import io.flashsale.lifecycle.MailNotifier;
import io.flashsale.lifecycle.Notifier;
import io.flashsale.lifecycle.WebhookNotifier;
import io.flashsale.operator.OperatorLog;
import io.flashsale.operator.SaleControls;
import io.flashsale.operator.SaleExport;
import io.flashsale.payment.HttpPaymentGateway;
import io.flashsale.http.ApiServices;
import io.flashsale.http.BearerAuth;
import io.flashsale.http.OidcKeys;
import io.flashsale.http.HttpServerVerticle;
import io.flashsale.http.WebPages;
import io.flashsale.infra.MetricHelp;
import io.flashsale.infra.EventLoopLag;
import io.flashsale.infra.Migrations;
import io.flashsale.infra.RedisMemory;
import io.flashsale.infra.PeriodicVerticle;
import io.flashsale.infra.Stores;
import io.flashsale.inventory.DirectPurchase;
import io.flashsale.inventory.ReservationDesk;
import io.flashsale.inventory.ReservationVerticle;
import io.flashsale.inventory.Reservations;
import io.flashsale.inventory.StockGate;
import io.flashsale.lifecycle.SaleTimeline;
import io.flashsale.payment.PaymentGateway;
import io.flashsale.payment.SimulatedPaymentGateway;
import io.flashsale.sale.AuthorizationRepository;
import io.flashsale.sale.FlashSale;
import io.flashsale.sale.NewSale;
import io.flashsale.sale.OpenSales;
import io.flashsale.sale.OrderRepository;
import io.flashsale.sale.QueuePolicy;
import io.flashsale.sale.SaleCatalog;
import io.flashsale.sale.SaleFigures;
import io.flashsale.sale.SaleMeters;
import io.flashsale.sale.SaleRepository;
import io.flashsale.waitingroom.AdmissionTicker;
import io.flashsale.waitingroom.AdmissionTokens;
import io.flashsale.waitingroom.AdmissionControl;
import io.flashsale.waitingroom.Admissions;
import io.flashsale.waitingroom.PrequeueShuffle;
import io.flashsale.waitingroom.Presence;
import io.flashsale.waitingroom.WaitingRoomAddresses;
import io.flashsale.waitingroom.WaitingRoom;
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
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.Random;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running engine on a given Vert.x instance: migrations, stores, services, verticles.
 * {@link Main} runs it for real; tests start several against their own databases.
 */
public final class FlashSaleApp {

  private static final Logger LOG = LoggerFactory.getLogger(FlashSaleApp.class);

  private final Vertx vertx;
  private static final int SIMULATED_GATEWAY_CONNECTIONS = 4;

  private final AppConfig config;
  private final PrometheusMeterRegistry metrics;
  private final Clock clock = Clock.systemUTC();
  private final List<String> deployments = new ArrayList<>();
  /** Stops the on-call figures' timers (Redis memory, event-loop lag, sale settings, overdue holds). */
  private final List<Runnable> watchers = new ArrayList<>();
  private Stores stores;
  private ApiServices services;
  private PaymentGateway gateway;
  /** The simulated gateway's own connections; null with the HTTP gateway. */
  private Pool gatewayPool;
  private StockGate stockGate;
  private Reservations reservations;
  private ReservationDesk reservationDesk;
  private Admissions admissions;
  private PrequeueShuffle prequeue;
  private Preauthorizations preauthorizations;
  private OpenSales openSales;
  private RateLimits rateLimits;
  private RedisRecovery recovery;
  private Reconciliation reconciliation;
  private HoldExpiry holdExpiry;
  private Voids voids;

  private JvmGcMetrics gcMetrics;
  /** Null without an OpenID provider. */
  private OidcKeys oidcKeys;

  /** {@code metrics}: made by {@link #newRegistry()} before Vert.x, whose own meters it also holds. */
  public FlashSaleApp(Vertx vertx, AppConfig config, PrometheusMeterRegistry metrics) {
    this.vertx = vertx;
    this.config = config;
    this.metrics = metrics;
  }

  public FlashSaleApp(Vertx vertx, AppConfig config) {
    this(vertx, config, newRegistry());
  }

  /** A registry with the engine's filters, configured before any meter is registered (as Micrometer asks). */
  public static PrometheusMeterRegistry newRegistry() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    registry.config().meterFilter(new MetricHelp());
    return registry;
  }

  /** Migrates the schema, connects, loads scripts and stock, then deploys the verticles. */
  public Future<FlashSaleApp> start() {
    return vertx.executeBlocking(() -> Migrations.migrate(config.pgUrl()))
        .compose(migrated -> {
          LOG.info("schema at version " + migrated.targetSchemaVersion + " (" + migrated.migrationsExecuted + " applied now)");
          wire();
          return Future.all(List.of(stockGate.loadScripts(), services.waitingRoom().loadScripts(),
              admissions.loadScripts(), prequeue.loadScripts(), preauthorizations.loadScripts(),
              rateLimits.loadScripts(), reconciliation.loadScripts()));
        })
        .compose(loaded -> vertx.eventBus().<JsonObject>consumer(WaitingRoomAddresses.SALE_CHANGED,
                changed -> services.catalog().forget(UUID.fromString(changed.body().getString("saleId"))))
            .completion())
        .compose(listening -> oidcKeys == null ? Future.succeededFuture() : oidcKeys.start())
        .compose(keys -> services.timeline().warmUp())
        .compose(warm -> deploy(() -> new ReservationVerticle(reservationDesk.address(), reservations,
            new ReservationVerticle.Settings(config.reservations().batchWindowMillis(), config.reservations().batchSize(),
                config.reservations().batchesInFlight(), config.reservations().mostWaiting()), metrics), 1))
        .compose(done -> deploy(() -> new PeriodicVerticle("sale timeline", config.lifecycle().tick(),
            services.timeline()::tick), 1))
        .compose(done -> deploy(() -> new AdmissionTicker(openSales, admissions, prequeue, clock,
            config.waitingRoom().tickMillis()), 1))
        .compose(done -> deploy(() -> new PreauthorizationVerticle(openSales, preauthorizations,
            config.waitingRoom().prequeueWindow(), clock, config.payment().preauthConcurrency(),
            config.waitingRoom().tickMillis()), 1))
        .compose(done -> deploy(() -> new PeriodicVerticle("hold expiry", config.checkoutSweep(), holdExpiry::sweep), 1))
        .compose(done -> deploy(() -> new PeriodicVerticle("authorisation voids", config.checkoutSweep(), voids::sweep), 1))
        .compose(done -> deploy(() -> new PeriodicVerticle("redis recovery", config.audit().redisCheck(),
            recovery::check), 1))
        .compose(done -> deploy(() -> new PeriodicVerticle("reconciliation", config.audit().reconcileInterval(),
            reconciliation::round), 1))
        .compose(done -> HttpServerVerticle.loadContract(vertx))
        .compose(contract -> deploy(() -> new HttpServerVerticle(services, contract, config.httpPort(),
            config.httpAccessLog()), config.effectiveHttpInstances()))
        .map(this);
  }

  private void wire() {
    bindProcessMetrics();
    stores = Stores.connect(vertx, config.redisUrl(), config.redisMode(), config.redisPoolSize(), config.pgUrl(), config.pgPoolSize(),
        config.storeDeadline());
    watchers.add(RedisMemory.watch(vertx, stores.redis(), metrics));
    watchers.add(EventLoopLag.watch(vertx, metrics));
    SaleRepository sales = new SaleRepository();
    OrderRepository orders = new OrderRepository();
    AuthorizationRepository authorizations = new AuthorizationRepository();
    stockGate = new StockGate(stores.redis());
    reservations = new Reservations(stores.pg(), stockGate, sales, orders, metrics);
    // Patience: a batch waits for its store calls, each bounded by the deadline (up to 4 times
    // it while a store is busy), and may queue behind the batches already on their way.
    reservationDesk = new ReservationDesk(vertx.eventBus(), config.storeDeadline().multipliedBy(12));
    SaleCatalog catalog = new SaleCatalog(stores.pg(), sales, clock, 1_000);
    openSales = new OpenSales(stores.pg(), sales, clock, 1_000);
    watchers.add(SaleFigures.watch(vertx, openSales, clock, metrics));
    SaleMeters saleMeters = new SaleMeters(metrics, config.endedSaleMetricsGrace());
    watchers.add(saleMeters.watch(vertx, openSales, clock));
    gateway = paymentGateway(config.payment());
    WaitingRoomConfig room = config.waitingRoom();
    AdmissionTokens admissionTokens = new AdmissionTokens(vertx, config.jwtSecret(), room.admissionTokenSeconds());
    Presence presence = new Presence(stores.redis(), new Presence.Settings(room.presence(), room.presenceWindow(),
        room.presenceGrace()));
    AdmissionControl admissionControl = new AdmissionControl(stores.redis());
    OperatorLog operatorLog = new OperatorLog(metrics);
    admissions = new Admissions(stores.redis(), stores.pg(), authorizations, presence.settings(), reservationDesk,
        vertx.eventBus(), metrics, saleMeters, room.tickMillis());
    prequeue = new PrequeueShuffle(stores.redis(),
        room.shuffleSeed().isBlank() ? new SecureRandom() : new Random(Long.parseLong(room.shuffleSeed())));
    preauthorizations = new Preauthorizations(stores.redis(), stores.pg(), gateway, authorizations, vertx,
        metrics, config.payment().preauthLease());
    holdExpiry = new HoldExpiry(stores.pg(), orders, authorizations, reservations, reservationDesk, vertx.eventBus(),
        metrics);
    watchers.add(OverdueHolds.watch(vertx, stores.pg(), metrics));
    voids = new Voids(stores.pg(), authorizations, gateway, metrics);
    Blacklist blacklist = new Blacklist(stores.pg(), stores.redis(), sales);
    recovery = new RedisRecovery(stores.pg(), stores.redis(), openSales, blacklist, clock, metrics);
    AuthConfig auth = config.auth();
    oidcKeys = auth.oidc() ? new OidcKeys(vertx, new OidcKeys.Settings(auth.oidcIssuer(), auth.oidcJwksUrl(),
        auth.oidcAudience(), config.jwtLeewaySeconds(), auth.jwksRefresh(), auth.unknownKeyRefetch())) : null;
    reconciliation = new Reconciliation(stores.pg(), stores.redis(), openSales, WebClient.create(vertx), vertx.eventBus(),
        new Reconciliation.Settings(config.audit().inflightStaleAfter(), config.audit().reconcileInterval(),
            config.audit().alertWebhookUrl()), clock, metrics, saleMeters);
    services = new ApiServices(
        new BearerAuth(vertx, new BearerAuth.Settings(config.jwtSecret(), config.jwtLeewaySeconds(),
            config.auth().acceptSecretTokens(), config.auth().rolesClaim(), config.auth().adminRole()), oidcKeys),
        stores.pg(),
        stores.redis(),
        sales,
        catalog,
        orders,
        new SaleTimeline(stores.pg(), sales, stockGate, blacklist, recovery, admissionControl,
            notifier(config.notifications()),
            new SaleTimeline.Leads(config.lifecycle().warmUpLead(), config.lifecycle().firstNoticeLead(),
                config.lifecycle().lastNoticeLead()), clock),
        new DirectPurchase(reservationDesk, clock),
        new Checkout(stores.pg(), orders, sales, authorizations, reservations, reservationDesk, gateway, config.payment().timeout(),
            vertx.eventBus(), clock, metrics),
        new WaitingRoom(stores.redis(), stores.pg(), catalog, orders, authorizations, admissionTokens, presence,
            vertx, room.prequeueWindow(), clock, metrics, room.joinWindowMillis(), room.joinBatchSize()),
        admissionTokens,
        blacklist,
        botDefence(config.antibot()),
        new ClientAddress(config.antibot().trustedProxies()),
        new SaleAudit(stores.pg(), stores.redis()),
        presence,
        new SaleControls(stores.pg(), sales, catalog, admissionControl, operatorLog, vertx.eventBus()),
        operatorLog,
        new SaleExport(stores.pg(), stores.redis(), operatorLog),
        room.livePushMillis(),
        metrics,
        new WebPages.Settings(config.demo(), room.prequeueWindow()));
  }

  private PaymentGateway paymentGateway(PaymentConfig payment) {
    if (payment.gateway().equals("http")) {
      return new HttpPaymentGateway(vertx, new HttpPaymentGateway.Settings(payment.httpUrl(), payment.httpApiKey(),
          payment.httpAttemptTimeout(), payment.httpMaxAttempts(), payment.httpInitialBackoff(),
          payment.httpBreakerFailures(), payment.httpBreakerReset()));
    }
    // Its own pool, as a real gateway is its own service: a checkout holds one of the engine's
    // connections while it calls the gateway, so a gateway drawing on the same pool would starve
    // under a herd of checkouts, each waiting for a connection another one holds.
    gatewayPool = Stores.pgPool(vertx, config.pgUrl(), SIMULATED_GATEWAY_CONNECTIONS, "simulated-gateway",
        config.storeDeadline());
    return new SimulatedPaymentGateway(vertx, gatewayPool, payment.simulatedLatency(), payment.simulatedDeclineRate(),
        payment.simulatedTimeoutRate(), payment.simulatedRetention());
  }

  private BotDefence botDefence(AntibotConfig antibot) {
    rateLimits = new RateLimits(stores.redis(), new RateLimits.Settings(
        new RateLimits.Limit(antibot.userPerSecond(), antibot.userBurst()),
        new RateLimits.Limit(antibot.ipPerSecond(), antibot.ipBurst()),
        new RateLimits.Limit(antibot.devicePerSecond(), antibot.deviceBurst())));
    return new BotDefence(stores.redis(), rateLimits, new ProofOfWork(config.jwtSecret(), antibot.powValidity(), clock),
        new CaptchaVerifier(vertx, new CaptchaVerifier.Settings(antibot.captchaVerifyUrl(), antibot.captchaSecret(),
            antibot.captchaTimeout(), antibot.captchaHostname(), antibot.captchaAction())),
        metrics);
  }

  private Notifier notifier(NotificationConfig notifications) {
    List<Notifier> channels = new ArrayList<>();
    if (!notifications.smtpHost().isBlank()) {
      channels.add(new MailNotifier(vertx, new MailNotifier.Settings(notifications.smtpHost(), notifications.smtpPort(),
          notifications.smtpFrom(), blankAsNull(notifications.smtpUsername()), blankAsNull(notifications.smtpPassword()))));
    }
    if (!notifications.webhookUrl().isBlank()) {
      channels.add(new WebhookNotifier(vertx, notifications.webhookUrl(), notifications.webhookTimeout()));
    }
    if (channels.isEmpty()) {
      LOG.info("no notification channel configured (notifications.smtp.host, notifications.webhook-url): "
          + "countdown notices are recorded but not sent");
    }
    return Notifier.all(channels);
  }

  private static String blankAsNull(String value) {
    return value.isBlank() ? null : value;
  }

  private Future<Void> deploy(Supplier<Deployable> verticle, int instances) {
    return vertx.deployVerticle(verticle, new DeploymentOptions().setInstances(instances))
        .onSuccess(deployments::add)
        .mapEmpty();
  }

  /** A sale open now for an hour: 1,000 units, one per buyer, no waiting room. */
  public Future<FlashSale> createDemoSale() {
    Instant now = Instant.now();
    return services.timeline().create(new NewSale("SKU-DEMO-1", "Demo sneakers, limited run", 1_000, 4_999, "EUR",
        now, now.plus(Duration.ofHours(1)), 1, 500, 600, false, QueuePolicy.RANDOMIZED_PREQUEUE, 0, false));
  }

  /**
   * Graceful stop: the HTTP servers drain first (requests in progress finish, reservations
   * included), then the tickers and sweeps stop, then the stores close.
   */
  /**
   * JVM and process figures next to the engine's own: heap and non-heap memory, GC pauses,
   * threads, loaded classes, CPU, open file descriptors and uptime (Micrometer's binders).
   */
  private void bindProcessMetrics() {
    new JvmMemoryMetrics().bindTo(metrics);
    gcMetrics = new JvmGcMetrics();
    gcMetrics.bindTo(metrics);
    new JvmThreadMetrics().bindTo(metrics);
    new ClassLoaderMetrics().bindTo(metrics);
    new ProcessorMetrics().bindTo(metrics);
    new FileDescriptorMetrics().bindTo(metrics);
    new UptimeMetrics().bindTo(metrics);
  }

  public Future<Void> stop() {
    watchers.forEach(Runnable::run);
    if (gcMetrics != null) {
      gcMetrics.close();
    }
    if (oidcKeys != null) {
      oidcKeys.close();
    }
    if (gateway instanceof SimulatedPaymentGateway simulated) {
      simulated.close();
    }
    List<String> http = deployments.isEmpty() ? List.of() : List.of(deployments.get(deployments.size() - 1));
    List<String> rest = deployments.isEmpty() ? List.of() : deployments.subList(0, deployments.size() - 1);
    return Future.join(http.stream().map(vertx::undeploy).toList())
        .transform(drained -> Future.join(rest.stream().map(vertx::undeploy).toList()))
        .transform(done -> stores == null ? Future.<Void>succeededFuture() : stores.close())
        .transform(done -> gatewayPool == null ? Future.<Void>succeededFuture() : gatewayPool.close());
  }

  public AppConfig config() {
    return config;
  }

  public Vertx vertx() {
    return vertx;
  }

  public ApiServices services() {
    return services;
  }

  public PaymentGateway gateway() {
    return gateway;
  }

  public StockGate stockGate() {
    return stockGate;
  }
}
