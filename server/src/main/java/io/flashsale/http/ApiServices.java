package io.flashsale.http;

import io.flashsale.antibot.Blacklist;
import io.flashsale.antibot.BotDefence;
import io.flashsale.audit.SaleAudit;
import io.flashsale.checkout.Checkout;
import io.flashsale.inventory.DirectPurchase;
import io.flashsale.lifecycle.SaleTimeline;
import io.flashsale.operator.OperatorLog;
import io.flashsale.operator.SaleControls;
import io.flashsale.operator.SaleExport;
import io.flashsale.sale.OrderRepository;
import io.flashsale.sale.SaleCatalog;
import io.flashsale.sale.SaleRepository;
import io.flashsale.waitingroom.AdmissionTokens;
import io.flashsale.waitingroom.Presence;
import io.flashsale.waitingroom.SalePulses;
import io.flashsale.waitingroom.WaitingRoom;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.redis.client.Redis;
import io.vertx.sqlclient.Pool;
import java.time.Clock;

/**
 * Everything the HTTP layer calls into, built once per process and shared by the server verticles.
 */
public record ApiServices(
    BearerAuth auth,
    Pool pool,
    Redis redis,
    SaleRepository sales,
    SaleCatalog catalog,
    OrderRepository orders,
    SaleTimeline timeline,
    DirectPurchase directPurchase,
    Checkout checkout,
    WaitingRoom waitingRoom,
    AdmissionTokens admissionTokens,
    Blacklist blacklist,
    BotDefence botDefence,
    ClientAddress clientAddress,
    SaleAudit audit,
    Presence presence,
    SaleControls controls,
    OperatorLog operatorLog,
    SaleExport export,
    SalePulses pulses,
    PrometheusMeterRegistry metrics,
    WebPages.Settings web,
    Readiness readiness,
    Clock clock) {}
