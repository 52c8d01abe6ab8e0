package io.flashsale.checkout;

import io.flashsale.events.BuyerOutcome;
import io.flashsale.events.SaleEvents;
import io.flashsale.inventory.ReservationDesk;
import io.flashsale.inventory.Reservations;
import io.flashsale.payment.AuthorizationUnknownException;
import io.flashsale.payment.HttpPaymentGateway.GatewayUnavailableException;
import io.flashsale.payment.PaymentGateway;
import io.flashsale.payment.PaymentGateway.AuthorizationRequest;
import io.flashsale.payment.UnexpectedAnswerException;
import io.flashsale.sale.AuthorizationRepository;
import io.flashsale.sale.AuthorizationRepository.StoredAuthorization;
import io.flashsale.sale.ErrorCode;
import io.flashsale.sale.FlashSaleException;
import io.flashsale.sale.OrderRepository;
import io.flashsale.sale.OrderStatus;
import io.flashsale.sale.SaleOrder;
import io.flashsale.sale.SaleRepository;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import java.time.Clock;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Paying for and cancelling holds. Checkout is one call with no card data: it captures the amount
 * pre-authorised while the buyer waited (or, for a sale without a waiting room, authorises and
 * captures at once). Each runs in one transaction holding the order's and the authorisation's row
 * locks, so a retried or concurrent checkout waits and then sees PAID, and the gateway, called with
 * keys derived from the order id, never charges twice. Nothing is charged once the sale has ended:
 * the transaction checks the sale row before the gateway is called, and an early end waits for the
 * checkouts already past that check.
 *
 * <p>A decline, or a gateway that does not answer, cancels the order and returns the unit. A
 * gateway that answers without an outcome (it does not know the authorisation, or says something
 * unreadable) cancels nothing: the transaction rolls back, the order stays RESERVED with its unit,
 * and the buyer is told to try again ({@link ErrorCode#PAYMENT_UNAVAILABLE}). Such an answer says
 * the engine and the gateway disagree, not that the card was refused.
 */
public final class Checkout {

  private static final Logger LOG = LoggerFactory.getLogger(Checkout.class);

  /** The buyer's default saved card, for sales that did not pre-authorise one. */
  private static final String DEFAULT_PAYMENT_METHOD = "default";

  /**
   * A transaction's result: the order as committed, whether its units go back, and the refusal to
   * report.
   */
  private record Settled(SaleOrder order, boolean released, FlashSaleException refusal) {}

  /** The gateway gave no outcome; the hold stands and the buyer may check out again shortly. */
  public static final class PaymentUnavailableException extends FlashSaleException {
    PaymentUnavailableException(String detail) {
      super(ErrorCode.PAYMENT_UNAVAILABLE, detail);
    }

    @Override
    public Integer retryAfterSeconds() {
      return 2;
    }
  }

  /** What the gateway said to a capture: the capture id, or why there is none. */
  private record Charge(String authorizationId, String captureId, String failure) {}

  private final Pool pool;
  private final OrderRepository orders;
  private final SaleRepository sales;
  private final AuthorizationRepository authorizations;
  private final Reservations reservations;
  private final ReservationDesk desk;
  private final PaymentGateway gateway;
  private final Duration gatewayTimeout;
  private final EventBus eventBus;
  private final Clock clock;
  private final MeterRegistry metrics;

  public Checkout(
      Pool pool,
      OrderRepository orders,
      SaleRepository sales,
      AuthorizationRepository authorizations,
      Reservations reservations,
      ReservationDesk desk,
      PaymentGateway gateway,
      Duration gatewayTimeout,
      EventBus eventBus,
      Clock clock,
      MeterRegistry metrics) {
    this.pool = pool;
    this.orders = orders;
    this.sales = sales;
    this.authorizations = authorizations;
    this.reservations = reservations;
    this.desk = desk;
    this.gateway = gateway;
    this.gatewayTimeout = gatewayTimeout;
    this.eventBus = eventBus;
    this.clock = clock;
    this.metrics = metrics;
  }

  public Future<SaleOrder> checkout(String userId, UUID orderId) {
    return pool.withTransaction(
            conn ->
                lockOpenOrder(conn, userId, orderId)
                    .compose(
                        order ->
                            order.status() == OrderStatus.PAID
                                ? Future.succeededFuture(new Settled(order, false, null))
                                : pay(conn, order)))
        .compose(this::finish)
        .onComplete(
            result ->
                metrics
                    .counter(
                        "flashsale.checkouts",
                        "outcome",
                        result.succeeded() ? "PAID" : outcomeOf(result.cause()))
                    .increment());
  }

  public Future<SaleOrder> cancel(String userId, UUID orderId) {
    return pool.withTransaction(
            conn ->
                orders
                    .lockOwn(conn, orderId, userId)
                    .compose(
                        found -> {
                          SaleOrder order = found.orElseThrow(() -> notFound(orderId));
                          return switch (order.status()) {
                            case CANCELLED ->
                                Future.succeededFuture(new Settled(order, false, null));
                            case PAID ->
                                Future.failedFuture(
                                    new FlashSaleException(ErrorCode.CONFLICT, "order is paid"));
                            case EXPIRED -> Future.failedFuture(expired(order));
                            case RESERVED -> release(conn, order, null);
                          };
                        }))
        .compose(this::finish);
  }

  /** The buyer's order, locked, if it is PAID or still held; any other state is refused. */
  private Future<SaleOrder> lockOpenOrder(SqlConnection conn, String userId, UUID orderId) {
    return orders
        .lockOwn(conn, orderId, userId)
        .compose(
            found -> {
              SaleOrder order = found.orElseThrow(() -> notFound(orderId));
              return switch (order.status()) {
                case PAID -> Future.succeededFuture(order);
                case CANCELLED ->
                    Future.failedFuture(
                        new FlashSaleException(ErrorCode.CONFLICT, "order was cancelled"));
                case EXPIRED -> Future.failedFuture(expired(order));
                case RESERVED ->
                    order.isHeldAt(clock.instant())
                        ? Future.succeededFuture(order)
                        : Future.failedFuture(expired(order));
              };
            });
  }

  /**
   * The sale must still be open, by the database, before any money moves: an ended sale is closed
   * to checkout at once, on every instance, whatever the sweeps have closed yet. Past this guard an
   * early end waits for this transaction, so no capture is left without its PAID and nothing is
   * paid after the end.
   */
  private Future<Settled> pay(SqlConnection conn, SaleOrder order) {
    UUID saleId = UUID.fromString(order.saleId());
    return sales
        .holdOpenForCheckout(conn, saleId)
        .compose(
            open ->
                open
                    ? charge(conn, order)
                    : Future.failedFuture(
                        new FlashSaleException(
                            ErrorCode.SALE_NOT_ACTIVE,
                            "the sale has ended; checkout is closed and nothing was charged")));
  }

  private Future<Settled> charge(SqlConnection conn, SaleOrder order) {
    UUID saleId = UUID.fromString(order.saleId());
    return authorizations
        .lock(conn, saleId, order.userId())
        .compose(
            preauthorized ->
                preauthorized.isPresent()
                    ? capturePreauthorized(order, preauthorized.get())
                    : authorizeAndCapture(order))
        .compose(
            charge ->
                charge.captureId() != null
                    ? authorizations
                        .recordCapture(
                            conn,
                            UUID.fromString(order.orderId()),
                            charge.authorizationId(),
                            charge.captureId(),
                            order.amountCents(),
                            order.currency())
                        .compose(
                            recorded ->
                                orders.markPaid(
                                    conn, UUID.fromString(order.orderId()), charge.captureId()))
                        .map(paid -> new Settled(paid, false, null))
                    : release(
                        conn,
                        order,
                        new FlashSaleException(
                            ErrorCode.PAYMENT_DECLINED,
                            charge.failure()
                                + "; the order is cancelled and the unit goes to the next buyer")));
  }

  private Future<Charge> capturePreauthorized(SaleOrder order, StoredAuthorization authorization) {
    if (!authorization.status().equals("AUTHORIZED")) {
      return Future.failedFuture(
          new FlashSaleException(
              ErrorCode.CONFLICT,
              "the card authorisation is "
                  + authorization.status().toLowerCase()
                  + "; nothing was charged"));
    }
    return capture(authorization.authorizationId(), order);
  }

  private Future<Charge> authorizeAndCapture(SaleOrder order) {
    String key = "order:" + order.orderId();
    return gateway
        .authorize(
            new AuthorizationRequest(
                key + ":authorize",
                order.userId(),
                DEFAULT_PAYMENT_METHOD,
                order.amountCents(),
                order.currency()))
        .timeout(gatewayTimeout.toMillis(), TimeUnit.MILLISECONDS)
        .transform(
            auth -> {
              if (auth.failed() && auth.cause() instanceof UnexpectedAnswerException unexpected) {
                return Future.failedFuture(unsettled(order, unexpected));
              }
              if (auth.failed() && noOutcome(auth.cause())) {
                return Future.failedFuture(unanswered(order, "authorisation", auth.cause()));
              }
              if (auth.failed()) {
                return Future.succeededFuture(
                    new Charge(null, null, "the payment gateway did not answer"));
              }
              if (!auth.result().approved()) {
                return Future.succeededFuture(new Charge(null, null, "the card was declined"));
              }
              String authorizationId = auth.result().authorizationId();
              return capture(authorizationId, order)
                  .compose(
                      charge ->
                          charge.captureId() != null
                              ? Future.succeededFuture(charge)
                              // Not stored for a void sweep: release this authorisation right here.
                              : gateway
                                  .voidAuthorization(authorizationId, key + ":void")
                                  .otherwiseEmpty()
                                  .map(charge));
            });
  }

  /**
   * A decline and a gateway error both end the hold: the unit must not wait on a card that will not
   * pay. A call that got no answer in time, or an answer without an outcome, fails the checkout
   * instead, so that its transaction rolls back and the hold stands: the gateway may have captured
   * after we stopped waiting, and the buyer's next checkout sends the same idempotency key, which
   * replays the gateway's first answer (PAID if it did capture) rather than charging again.
   */
  private Future<Charge> capture(String authorizationId, SaleOrder order) {
    return gateway
        .capture(authorizationId, order.amountCents(), "capture:" + order.orderId())
        .timeout(gatewayTimeout.toMillis(), TimeUnit.MILLISECONDS)
        .map(
            capture ->
                capture.approved()
                    ? new Charge(authorizationId, capture.captureId(), null)
                    : new Charge(authorizationId, null, "the card was declined"))
        .recover(
            unanswered -> {
              if (unanswered instanceof UnexpectedAnswerException unexpected) {
                return Future.failedFuture(unsettled(order, unexpected));
              }
              if (noOutcome(unanswered)) {
                return Future.failedFuture(unanswered(order, "capture", unanswered));
              }
              LOG.warn("capture for order " + order.orderId() + " failed: " + unanswered);
              return Future.succeededFuture(
                  new Charge(authorizationId, null, "the payment could not be completed"));
            });
  }

  /**
   * Closes the hold as CANCELLED in this transaction and asks for the card's authorisation to be
   * voided.
   */
  private Future<Settled> release(SqlConnection conn, SaleOrder order, FlashSaleException refusal) {
    return reservations
        .releaseInTransaction(conn, order, OrderStatus.CANCELLED)
        .compose(
            released ->
                authorizations
                    .requestVoid(conn, UUID.fromString(order.saleId()), order.userId())
                    .map(new Settled(released, true, refusal)));
  }

  /**
   * After commit: released units return to the pool, live feeds hear of it, then the buyer gets the
   * answer.
   */
  private Future<SaleOrder> finish(Settled settled) {
    SaleOrder order = settled.order();
    SaleEvents.publish(eventBus, BuyerOutcome.of(order));
    Future<Void> returned = settled.released() ? desk.release(order) : Future.succeededFuture();
    return returned.compose(
        done ->
            settled.refusal() != null
                ? Future.failedFuture(settled.refusal())
                : Future.succeededFuture(order));
  }

  /**
   * Reported at SEVERE: the engine and its gateway disagree, which no retry by the buyer alone will
   * mend if it lasts.
   */
  private static PaymentUnavailableException unsettled(
      SaleOrder order, UnexpectedAnswerException unexpected) {
    LOG.error(
        "payment gateway gave no outcome for order "
            + order.orderId()
            + "; the hold stands: "
            + unexpected.getMessage());
    String what =
        unexpected instanceof AuthorizationUnknownException
            ? "the payment gateway does not know this order's card authorisation"
            : "the payment gateway answered without an outcome";
    return new PaymentUnavailableException(
        what
            + "; the order is still held and nothing was recorded as paid: "
            + "try again shortly");
  }

  /**
   * No answer at all (our deadline, the gateway client's retries, an open breaker): the call may or
   * may not have taken effect.
   */
  private static boolean noOutcome(Throwable failure) {
    return failure instanceof TimeoutException || failure instanceof GatewayUnavailableException;
  }

  private static PaymentUnavailableException unanswered(
      SaleOrder order, String call, Throwable failure) {
    LOG.warn(
        "the payment gateway did not answer the "
            + call
            + " for order "
            + order.orderId()
            + " in time; the hold stands: "
            + failure.getMessage());
    return new PaymentUnavailableException(
        "the payment gateway did not answer in time; the order is still held and "
            + "nothing was recorded as paid: check out again to complete it (nothing is charged twice)");
  }

  private static FlashSaleException notFound(UUID orderId) {
    return new FlashSaleException(ErrorCode.NOT_FOUND, "no order " + orderId);
  }

  private static FlashSaleException expired(SaleOrder order) {
    return new FlashSaleException(
        ErrorCode.HOLD_EXPIRED, "the hold expired at " + order.expiresAt());
  }

  private static String outcomeOf(Throwable failure) {
    return failure instanceof FlashSaleException domain ? domain.code().name() : "ERROR";
  }
}
