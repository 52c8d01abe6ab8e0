package io.flashsale;

import io.flashsale.audit.Reconciliation;
import io.flashsale.audit.RedisRecovery;
import io.flashsale.checkout.HoldExpiry;
import io.flashsale.checkout.Preauthorizations;
import io.flashsale.checkout.Voids;
import io.flashsale.config.AppConfig;
import io.flashsale.http.ApiServices;
import io.flashsale.http.OidcKeys;
import io.flashsale.infra.Stores;
import io.flashsale.inventory.ReservationDesk;
import io.flashsale.inventory.Reservations;
import io.flashsale.inventory.StockGate;
import io.flashsale.payment.PaymentGateway;
import io.flashsale.sale.OpenSales;
import io.flashsale.sale.SaleMeters;
import io.flashsale.waitingroom.Admissions;
import io.flashsale.waitingroom.PrequeueShuffle;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.sqlclient.Pool;
import java.time.Clock;
import java.util.Optional;

/**
 * Every service of one engine, as {@link Wiring#wire} built them: nothing here is null, and nothing
 * here runs until {@link FlashSaleApp#start} starts it. {@code api} is what the HTTP verticles are
 * given; the rest is what the other verticles, the start and the stop need.
 *
 * @param gatewayPool the simulated gateway's own connections; empty with the HTTP gateway
 * @param oidcKeys the OpenID provider's keys; empty without a provider
 */
public record Services(
    AppConfig config,
    Clock clock,
    PrometheusMeterRegistry metrics,
    Stores stores,
    ApiServices api,
    PaymentGateway gateway,
    Optional<Pool> gatewayPool,
    StockGate stockGate,
    Reservations reservations,
    ReservationDesk reservationDesk,
    OpenSales openSales,
    SaleMeters saleMeters,
    Admissions admissions,
    PrequeueShuffle prequeue,
    Preauthorizations preauthorizations,
    RedisRecovery recovery,
    Reconciliation reconciliation,
    HoldExpiry holdExpiry,
    Voids voids,
    Optional<OidcKeys> oidcKeys) {}
