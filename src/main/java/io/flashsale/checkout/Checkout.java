package io.flashsale.checkout;

import io.flashsale.inventory.Reservations;
import io.flashsale.payment.PaymentGateway;
import io.flashsale.payment.PaymentGateway.AuthorizationRequest;
import io.flashsale.sale.ErrorCode;
import io.flashsale.sale.FlashSaleException;
import io.flashsale.sale.OrderRepository;
import io.flashsale.sale.OrderStatus;
import io.flashsale.sale.SaleOrder;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import java.time.Clock;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Paying for and cancelling holds. Each runs in one transaction that holds the order's row
 * lock, so a retried or concurrent checkout waits and then sees PAID: the gateway, called with
 * keys derived from the order id, never charges twice.
 */
public final class Checkout {

  /** A transaction's result: the order as committed, and whether its units must go back to the pool. */
  private record Settled(SaleOrder order, boolean released, FlashSaleException refusal) {}

  private final Pool pool;
  private final OrderRepository orders;
  private final Reservations reservations;
  private final PaymentGateway gateway;
  private final Duration gatewayTimeout;
  private final Clock clock;
  private final MeterRegistry metrics;

  public Checkout(Pool pool, OrderRepository orders, Reservations reservations, PaymentGateway gateway,
                  Duration gatewayTimeout, Clock clock, MeterRegistry metrics) {
    this.pool = pool;
    this.orders = orders;
    this.reservations = reservations;
    this.gateway = gateway;
    this.gatewayTimeout = gatewayTimeout;
    this.clock = clock;
    this.metrics = metrics;
  }

  public Future<SaleOrder> checkout(String userId, UUID orderId) {
    return pool.withTransaction(conn -> lockOpenOrder(conn, userId, orderId)
            .compose(order -> order.status() == OrderStatus.PAID
                ? Future.succeededFuture(new Settled(order, false, null))
                : charge(conn, order)))
        .compose(this::finish)
        .onComplete(result -> metrics.counter("flashsale.checkouts",
            "outcome", result.succeeded() ? "PAID" : outcomeOf(result.cause())).increment());
  }

  public Future<SaleOrder> cancel(String userId, UUID orderId) {
    return pool.withTransaction(conn -> orders.lockOwn(conn, orderId, userId)
            .compose(found -> {
              SaleOrder order = found.orElseThrow(() -> notFound(orderId));
              return switch (order.status()) {
                case CANCELLED -> Future.succeededFuture(new Settled(order, false, null));
                case PAID -> Future.failedFuture(new FlashSaleException(ErrorCode.CONFLICT, "order is paid"));
                case EXPIRED -> Future.failedFuture(expired(order));
                case RESERVED -> reservations.releaseInTransaction(conn, order, OrderStatus.CANCELLED)
                    .map(released -> new Settled(released, true, null));
              };
            }))
        .compose(this::finish);
  }

  /** The buyer's order, locked, if it is PAID or still held; any other state is refused. */
  private Future<SaleOrder> lockOpenOrder(SqlConnection conn, String userId, UUID orderId) {
    return orders.lockOwn(conn, orderId, userId).compose(found -> {
      SaleOrder order = found.orElseThrow(() -> notFound(orderId));
      return switch (order.status()) {
        case PAID -> Future.succeededFuture(order);
        case CANCELLED -> Future.failedFuture(new FlashSaleException(ErrorCode.CONFLICT, "order was cancelled"));
        case EXPIRED -> Future.failedFuture(expired(order));
        case RESERVED -> order.isHeldAt(clock.instant())
            ? Future.succeededFuture(order)
            : Future.failedFuture(expired(order));
      };
    });
  }

  private Future<Settled> charge(SqlConnection conn, SaleOrder order) {
    String key = "order:" + order.orderId();
    return gateway.authorize(new AuthorizationRequest(key + ":authorize", order.userId(), "default",
            order.amountCents(), order.currency()))
        .compose(auth -> auth.approved()
            ? gateway.capture(auth.authorizationId(), order.amountCents(), key + ":capture")
                .map(capture -> capture.approved() ? capture.captureId() : null)
            : Future.succeededFuture((String) null))
        .timeout(gatewayTimeout.toMillis(), TimeUnit.MILLISECONDS)
        .recover(unreachable -> Future.failedFuture(new FlashSaleException(ErrorCode.UNAVAILABLE,
            "payment gateway did not answer; the hold stands, retry checkout")))
        .compose(captureId -> captureId != null
            ? orders.markPaid(conn, UUID.fromString(order.orderId()), captureId).map(paid -> new Settled(paid, false, null))
            : reservations.releaseInTransaction(conn, order, OrderStatus.CANCELLED)
                .map(released -> new Settled(released, true,
                    new FlashSaleException(ErrorCode.PAYMENT_DECLINED, "the card was declined; the order is cancelled"))));
  }

  /** After commit: released units return to the pool, then the buyer gets the order or the refusal. */
  private Future<SaleOrder> finish(Settled settled) {
    Future<Void> returned = settled.released() ? reservations.returnToPool(settled.order()) : Future.succeededFuture();
    return returned.compose(done -> settled.refusal() != null
        ? Future.failedFuture(settled.refusal())
        : Future.succeededFuture(settled.order()));
  }

  private static FlashSaleException notFound(UUID orderId) {
    return new FlashSaleException(ErrorCode.NOT_FOUND, "no order " + orderId);
  }

  private static FlashSaleException expired(SaleOrder order) {
    return new FlashSaleException(ErrorCode.HOLD_EXPIRED, "the hold expired at " + order.expiresAt());
  }

  private static String outcomeOf(Throwable failure) {
    return failure instanceof FlashSaleException domain ? domain.code().name() : "ERROR";
  }
}
