package io.flashsale;

import io.flashsale.antibot.Blacklist;
import io.flashsale.antibot.BotDefence;
import io.flashsale.antibot.CaptchaVerifier;
import io.flashsale.antibot.ProofOfWork;
import io.flashsale.antibot.RateLimitSketch;
import io.flashsale.antibot.RateLimits;
import io.flashsale.audit.Reconciliation;
import io.flashsale.audit.RedisRecovery;
import io.flashsale.audit.SaleAudit;
import io.flashsale.checkout.Checkout;
import io.flashsale.checkout.HoldExpiry;
import io.flashsale.checkout.Preauthorizations;
import io.flashsale.checkout.Voids;
import io.flashsale.config.AppConfig;
import io.flashsale.config.AppConfig.AntibotConfig;
import io.flashsale.config.AppConfig.AuthConfig;
import io.flashsale.config.AppConfig.NotificationConfig;
import io.flashsale.config.AppConfig.PaymentConfig;
import io.flashsale.config.AppConfig.WaitingRoomConfig;
import io.flashsale.http.ApiServices;
import io.flashsale.http.BearerAuth;
import io.flashsale.http.ClientAddress;
import io.flashsale.http.OidcKeys;
import io.flashsale.http.Readiness;
import io.flashsale.http.WebPages;
import io.flashsale.infra.Stores;
import io.flashsale.inventory.DirectPurchase;
import io.flashsale.inventory.ReservationDesk;
import io.flashsale.inventory.Reservations;
import io.flashsale.inventory.StockGate;
import io.flashsale.lifecycle.MailNotifier;
import io.flashsale.lifecycle.Notifier;
import io.flashsale.lifecycle.SaleTimeline;
import io.flashsale.lifecycle.WebhookNotifier;
import io.flashsale.operator.OperatorLog;
import io.flashsale.operator.SaleControls;
import io.flashsale.operator.SaleExport;
import io.flashsale.payment.HttpPaymentGateway;
import io.flashsale.payment.PaymentGateway;
import io.flashsale.payment.SimulatedPaymentGateway;
import io.flashsale.sale.AuthorizationRepository;
import io.flashsale.sale.OpenSales;
import io.flashsale.sale.OrderRepository;
import io.flashsale.sale.SaleCatalog;
import io.flashsale.sale.SaleMeters;
import io.flashsale.sale.SaleRepository;
import io.flashsale.waitingroom.AdmissionControl;
import io.flashsale.waitingroom.AdmissionTokens;
import io.flashsale.waitingroom.Admissions;
import io.flashsale.waitingroom.PrequeueShuffle;
import io.flashsale.waitingroom.Presence;
import io.flashsale.waitingroom.SalePulses;
import io.flashsale.waitingroom.WaitingRoom;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.ext.web.client.WebClient;
import io.vertx.sqlclient.Pool;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root: builds every service of one engine from its configuration, its stores and
 * its clock. Building starts nothing: no timer, no event-bus consumer or codec, no deployment;
 * {@link FlashSaleApp#start} does that with the {@link Services} this returns.
 */
public final class Wiring {

  private static final Logger LOG = LoggerFactory.getLogger(Wiring.class);
  private static final int SIMULATED_GATEWAY_CONNECTIONS = 4;

  private Wiring() {}

  /** {@code clock}: the one every service reads the time from. */
  public static Services wire(
      Vertx vertx, AppConfig config, Stores stores, Clock clock, PrometheusMeterRegistry metrics) {
    SaleRepository sales = new SaleRepository();
    OrderRepository orders = new OrderRepository();
    AuthorizationRepository authorizations = new AuthorizationRepository();
    RateLimits rateLimits = rateLimits(stores, config, clock);
    StockGate stockGate = new StockGate(stores.redis(), rateLimits);
    Reservations reservations = new Reservations(stores.pg(), stockGate, sales, orders, metrics);
    // Patience: a batch waits for its store calls, each bounded by the deadline (up to 4 times
    // it while a store is busy), and may queue behind the batches already on their way.
    ReservationDesk reservationDesk =
        new ReservationDesk(vertx.eventBus(), config.storeDeadline().multipliedBy(12));
    SaleCatalog catalog = new SaleCatalog(stores.pg(), sales, clock, 1_000);
    OpenSales openSales = new OpenSales(stores.pg(), sales, clock, 1_000);
    SaleMeters saleMeters = new SaleMeters(metrics, config.endedSaleMetricsGrace());
    Optional<Pool> gatewayPool =
        config.payment().gateway().equals("http")
            ? Optional.empty()
            // Its own pool, as a real gateway is its own service: a checkout holds one of the
            // engine's
            // connections while it calls the gateway, so a gateway drawing on the same pool would
            // starve
            // under a herd of checkouts, each waiting for a connection another one holds.
            : Optional.of(
                Stores.pgPool(
                    vertx,
                    config.pgUrl(),
                    SIMULATED_GATEWAY_CONNECTIONS,
                    "simulated-gateway",
                    config.storeDeadline()));
    PaymentGateway gateway = paymentGateway(vertx, config.payment(), gatewayPool, clock);
    WaitingRoomConfig room = config.waitingRoom();
    AdmissionTokens admissionTokens =
        new AdmissionTokens(vertx, config.jwtSecret(), room.admissionTokenSeconds());
    Presence presence =
        new Presence(
            stores.redis(),
            new Presence.Settings(room.presence(), room.presenceWindow(), room.presenceGrace()));
    AdmissionControl admissionControl = new AdmissionControl(stores.redis());
    OperatorLog operatorLog = new OperatorLog(metrics);
    Admissions admissions =
        new Admissions(
            stores.redis(),
            stores.pg(),
            authorizations,
            presence.settings(),
            reservationDesk,
            vertx.eventBus(),
            metrics,
            saleMeters,
            stockGate,
            room.tickMillis());
    PrequeueShuffle prequeue =
        new PrequeueShuffle(
            stores.redis(),
            room.shuffleSeed().isBlank()
                ? new SecureRandom()
                : new Random(Long.parseLong(room.shuffleSeed())));
    Preauthorizations preauthorizations =
        new Preauthorizations(
            stores.redis(),
            stores.pg(),
            gateway,
            authorizations,
            vertx,
            metrics,
            config.payment().preauthLease());
    HoldExpiry holdExpiry =
        new HoldExpiry(
            stores.pg(),
            orders,
            authorizations,
            reservations,
            reservationDesk,
            vertx.eventBus(),
            metrics);
    Voids voids = new Voids(stores.pg(), authorizations, gateway, metrics);
    Blacklist blacklist = new Blacklist(stores.pg(), stores.redis(), sales);
    RedisRecovery recovery =
        new RedisRecovery(stores.pg(), stores.redis(), openSales, blacklist, clock, metrics);
    AuthConfig auth = config.auth();
    Optional<OidcKeys> oidcKeys =
        auth.oidc()
            ? Optional.of(
                new OidcKeys(
                    vertx,
                    new OidcKeys.Settings(
                        auth.oidcIssuer(),
                        auth.oidcJwksUrl(),
                        auth.oidcAudience(),
                        config.jwtLeewaySeconds(),
                        auth.jwksRefresh(),
                        auth.unknownKeyRefetch())))
            : Optional.empty();
    Reconciliation reconciliation =
        new Reconciliation(
            stores.pg(),
            stores.redis(),
            openSales,
            WebClient.create(vertx),
            vertx.eventBus(),
            new Reconciliation.Settings(
                config.audit().inflightStaleAfter(),
                config.audit().reconcileInterval(),
                config.audit().alertWebhookUrl()),
            clock,
            metrics,
            saleMeters);
    ApiServices api =
        new ApiServices(
            new BearerAuth(
                vertx,
                new BearerAuth.Settings(
                    config.jwtSecret(),
                    config.jwtLeewaySeconds(),
                    config.auth().acceptSecretTokens(),
                    config.auth().rolesClaim(),
                    config.auth().adminRole()),
                oidcKeys.orElse(null)),
            stores.pg(),
            stores.redis(),
            sales,
            catalog,
            orders,
            new SaleTimeline(
                stores.pg(),
                sales,
                stockGate,
                blacklist,
                recovery,
                admissionControl,
                notifier(vertx, config.notifications()),
                new SaleTimeline.Leads(
                    config.lifecycle().warmUpLead(),
                    config.lifecycle().firstNoticeLead(),
                    config.lifecycle().lastNoticeLead()),
                config.waitingRoom().lineShards(),
                clock),
            new DirectPurchase(reservationDesk, clock),
            new Checkout(
                stores.pg(),
                orders,
                sales,
                authorizations,
                reservations,
                reservationDesk,
                gateway,
                config.payment().timeout(),
                vertx.eventBus(),
                clock,
                metrics),
            new WaitingRoom(
                stores.redis(),
                stores.pg(),
                catalog,
                orders,
                authorizations,
                admissionTokens,
                presence,
                rateLimits,
                vertx,
                room.prequeueWindow(),
                clock,
                metrics,
                room.joinWindowMillis(),
                room.joinBatchSize()),
            admissionTokens,
            blacklist,
            botDefence(vertx, config, stores, rateLimits, clock, metrics),
            new ClientAddress(config.antibot().trustedProxies()),
            new SaleAudit(stores.pg(), stores.redis()),
            presence,
            new SaleControls(
                stores.pg(), sales, catalog, admissionControl, operatorLog, vertx.eventBus()),
            operatorLog,
            new SaleExport(stores.pg(), stores.redis(), operatorLog),
            new SalePulses(vertx, stores.redis(), room.livePushMillis()),
            metrics,
            new WebPages.Settings(config.demo(), room.prequeueWindow()),
            new Readiness(),
            clock);
    return new Services(
        config,
        clock,
        metrics,
        stores,
        api,
        gateway,
        gatewayPool,
        stockGate,
        reservations,
        reservationDesk,
        openSales,
        saleMeters,
        admissions,
        prequeue,
        preauthorizations,
        recovery,
        reconciliation,
        holdExpiry,
        voids,
        oidcKeys);
  }

  /** {@code ownPool}: the simulated gateway's connections; empty for the HTTP gateway. */
  private static PaymentGateway paymentGateway(
      Vertx vertx, PaymentConfig payment, Optional<Pool> ownPool, Clock clock) {
    return ownPool
        .<PaymentGateway>map(
            pool ->
                new SimulatedPaymentGateway(
                    vertx,
                    pool,
                    payment.simulatedLatency(),
                    payment.simulatedDeclineRate(),
                    payment.simulatedTimeoutRate(),
                    payment.simulatedRetention(),
                    clock))
        .orElseGet(
            () ->
                new HttpPaymentGateway(
                    vertx,
                    new HttpPaymentGateway.Settings(
                        payment.httpUrl(),
                        payment.httpApiKey(),
                        payment.httpAttemptTimeout(),
                        payment.httpMaxAttempts(),
                        payment.httpInitialBackoff(),
                        payment.httpBreakerFailures(),
                        payment.httpBreakerReset())));
  }

  /** The sketch's hash key comes from the server secret: every instance places a subject alike. */
  private static RateLimits rateLimits(Stores stores, AppConfig config, Clock clock) {
    AntibotConfig antibot = config.antibot();
    return new RateLimits(
        stores.redis(),
        new RateLimits.Settings(
            new RateLimits.Limit(antibot.userPerSecond(), antibot.userBurst()),
            new RateLimits.Limit(antibot.ipPerSecond(), antibot.ipBurst()),
            new RateLimits.Limit(antibot.devicePerSecond(), antibot.deviceBurst())),
        new RateLimitSketch(config.jwtSecret(), clock));
  }

  private static BotDefence botDefence(
      Vertx vertx,
      AppConfig config,
      Stores stores,
      RateLimits rateLimits,
      Clock clock,
      PrometheusMeterRegistry metrics) {
    AntibotConfig antibot = config.antibot();
    return new BotDefence(
        stores.redis(),
        rateLimits,
        new ProofOfWork(config.jwtSecret(), antibot.powValidity(), clock),
        new CaptchaVerifier(
            vertx,
            new CaptchaVerifier.Settings(
                antibot.captchaVerifyUrl(),
                antibot.captchaSecret(),
                antibot.captchaTimeout(),
                antibot.captchaHostname(),
                antibot.captchaAction())),
        metrics);
  }

  private static Notifier notifier(Vertx vertx, NotificationConfig notifications) {
    List<Notifier> channels = new ArrayList<>();
    if (!notifications.smtpHost().isBlank()) {
      channels.add(
          new MailNotifier(
              vertx,
              new MailNotifier.Settings(
                  notifications.smtpHost(),
                  notifications.smtpPort(),
                  notifications.smtpFrom(),
                  blankAsNull(notifications.smtpUsername()),
                  blankAsNull(notifications.smtpPassword()))));
    }
    if (!notifications.webhookUrl().isBlank()) {
      channels.add(
          new WebhookNotifier(vertx, notifications.webhookUrl(), notifications.webhookTimeout()));
    }
    if (channels.isEmpty()) {
      LOG.info(
          "no notification channel configured (notifications.smtp.host, notifications.webhook-url): "
              + "countdown notices are recorded but not sent");
    }
    return Notifier.all(channels);
  }

  private static String blankAsNull(String value) {
    return value.isBlank() ? null : value;
  }
}
