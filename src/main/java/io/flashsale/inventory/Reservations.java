package io.flashsale.inventory;

import io.flashsale.sale.ErrorCode;
import io.flashsale.sale.FlashSale;
import io.flashsale.sale.FlashSaleException;
import io.flashsale.sale.OrderRepository;
import io.flashsale.sale.OrderStatus;
import io.flashsale.sale.SaleOrder;
import io.flashsale.sale.SaleRepository;
import io.flashsale.sale.SaleStatus;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Reserving and releasing units: the Redis gate first (it keeps the herd off the database),
 * then the reservation transaction whose guard decides, and the unit back to Redis whenever
 * the database says no.
 */
public final class Reservations {

  private static final Logger LOG = Logger.getLogger(Reservations.class.getName());

  private final Pool pool;
  private final StockGate gate;
  private final SaleRepository sales;
  private final OrderRepository orders;
  private final MeterRegistry metrics;

  public Reservations(Pool pool, StockGate gate, SaleRepository sales, OrderRepository orders, MeterRegistry metrics) {
    this.pool = pool;
    this.gate = gate;
    this.sales = sales;
    this.orders = orders;
    this.metrics = metrics;
  }

  /** Takes {@code quantity} units for {@code userId}; fails with a {@link FlashSaleException} saying why not. */
  public Future<SaleOrder> reserve(FlashSale sale, String userId, String device, int quantity) {
    UUID orderId = UUID.randomUUID();
    return takeFromGate(sale, userId, device, quantity, orderId.toString(), true)
        .compose(taken -> reserveInDatabase(sale, userId, quantity, orderId)
            // Best effort: if this is lost, reconciliation finds the order and clears the entry.
            .onSuccess(order -> gate.settled(sale.saleId(), order.orderId()))
            .recover(refused -> !definitelyNotWritten(refused)
                // The write may still land (a COMMIT the frozen database has not answered): the
                // in-flight entry stays, and reconciliation returns the units only if it did not.
                ? Future.failedFuture(refused)
                : gate.giveBack(sale.saleId(), userId, quantity, orderId.toString())
                    .transform(returned -> {
                      if (returned.failed()) {
                        // The reconciliation job finds and repairs this drift; the buyer still gets the real reason.
                        LOG.log(Level.SEVERE, "could not return " + quantity + " unit(s) of sale " + sale.saleId()
                            + " to Redis after the database refused them", returned.cause());
                      }
                      return Future.<SaleOrder>failedFuture(refused);
                    })))
        .onComplete(result -> metrics.counter("flashsale.reservations",
            "outcome", result.succeeded() ? "RESERVED" : outcomeOf(result.cause())).increment());
  }

  private Future<Void> takeFromGate(FlashSale sale, String userId, String device, int quantity, String orderId,
                                    boolean mayLoad) {
    return gate.tryTake(sale.saleId(), userId, device, quantity, sale.perUserLimit(), orderId)
        .compose(take -> switch (take.outcome()) {
      case TAKEN -> Future.succeededFuture();
      case SOLD_OUT -> Future.failedFuture(new FlashSaleException(ErrorCode.SOLD_OUT,
          "all " + sale.quantityAvailable() + " units are taken"));
      case LIMIT -> Future.failedFuture(limitReached(sale, take.number(), quantity));
      case BLACKLISTED, BLACKLISTED_DEVICE -> {
        // The script counted it in the sale's tally; this is the bot defence's metric, as on the join path.
        metrics.counter("flashsale.bot.rejections", "reason", take.outcome().name()).increment();
        yield Future.failedFuture(
            new FlashSaleException(ErrorCode.FORBIDDEN, "this account or device may not buy in this sale"));
      }
      case NOT_LOADED -> mayLoad
          ? loadStock(sale.saleId()).compose(loaded -> takeFromGate(sale, userId, device, quantity, orderId, false))
          : Future.failedFuture(new FlashSaleException(ErrorCode.SALE_NOT_ACTIVE, "sale stock is not loaded"));
    });
  }

  /** Puts the database's count of free units into Redis if the counter is missing. */
  public Future<Void> loadStock(String saleId) {
    return sales.find(pool, UUID.fromString(saleId))
        .compose(found -> found
            .map(sale -> gate.loadIfAbsent(saleId, sale.remaining()).<Void>mapEmpty())
            .orElseGet(Future::succeededFuture));
  }

  /**
   * Units a buyer already took from the Redis gate and now needs a reservation for, under the
   * order id their in-flight entry names.
   */
  public record Claim(String userId, int quantity, UUID orderId) {}

  /** What the database said to one claim: the order, or why not (its units are back in Redis then). */
  public record ClaimOutcome(Claim claim, SaleOrder order, FlashSaleException refusal) {}

  /**
   * Reservations for buyers whose units were already taken in Redis (the waiting room's
   * admission step). One transaction for the whole batch, so the hot flash_sales row is
   * updated once; if the batch is refused as a whole, each claim is retried alone so one bad
   * claim cannot sink the others. Refused claims' units go back to Redis.
   */
  public Future<List<ClaimOutcome>> reserveClaimed(FlashSale sale, List<Claim> claims) {
    if (claims.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    UUID saleId = UUID.fromString(sale.saleId());
    String[] users = claims.stream().map(Claim::userId).toArray(String[]::new);
    Integer[] quantities = claims.stream().map(Claim::quantity).toArray(Integer[]::new);
    UUID[] orderIds = claims.stream().map(Claim::orderId).toArray(UUID[]::new);
    int total = claims.stream().mapToInt(Claim::quantity).sum();
    return pool.withTransaction(conn -> orders.addPurchasedBatch(conn, saleId, users, quantities, sale.perUserLimit())
            .compose(accepted -> accepted.size() == claims.size()
                ? orders.insertReservedBatch(conn, saleId, orderIds, users, quantities)
                : Future.failedFuture(new FlashSaleException(ErrorCode.LIMIT_EXCEEDED, "a buyer of the batch is over the limit")))
            .compose(inserted -> sales.addSold(conn, saleId, total)
                .compose(counted -> counted
                    ? Future.succeededFuture(inserted)
                    : Future.failedFuture(new FlashSaleException(ErrorCode.SOLD_OUT, "the batch does not fit")))))
        .map(inserted -> {
          metrics.counter("flashsale.reservations", "outcome", "RESERVED").increment(inserted.size());
          Map<String, Claim> byUser = new HashMap<>();
          claims.forEach(claim -> byUser.put(claim.userId(), claim));
          return inserted.stream().map(order -> new ClaimOutcome(byUser.get(order.userId()), order, null)).toList();
        })
        .recover(batchRefused -> {
          if (!definitelyNotWritten(batchRefused)) {
            // Whether the batch committed is unknown: retrying its claims one by one could see
            // them refused by the batch's own late rows and return units the batch holds.
            // Their in-flight entries stay for reconciliation, which sees which orders exist.
            return Future.failedFuture(batchRefused);
          }
          LOG.log(Level.WARNING, "batch of " + claims.size() + " reservations for sale " + sale.saleId()
              + " refused (" + batchRefused + "); reserving one by one");
          return Future.all(claims.stream().map(claim -> reserveClaimedAlone(sale, claim)).toList())
              .map(all -> all.<ClaimOutcome>list());
        });
  }

  private Future<ClaimOutcome> reserveClaimedAlone(FlashSale sale, Claim claim) {
    return reserveInDatabase(sale, claim.userId(), claim.quantity(), claim.orderId())
        .map(order -> new ClaimOutcome(claim, order, null))
        .recover(refused -> !definitelyNotWritten(refused)
            ? Future.failedFuture(refused)
            : gate.giveBack(sale.saleId(), claim.userId(), claim.quantity(), claim.orderId().toString())
            .otherwiseEmpty()
            .map(returned -> new ClaimOutcome(claim, null, refused instanceof FlashSaleException domain
                ? domain
                : new FlashSaleException(ErrorCode.UNAVAILABLE, "the reservation could not be written"))))
        .onSuccess(outcome -> metrics.counter("flashsale.reservations",
            "outcome", outcome.order() != null ? "RESERVED" : outcome.refusal().code().name()).increment());
  }

  private Future<SaleOrder> reserveInDatabase(FlashSale sale, String userId, int quantity, UUID orderId) {
    UUID saleId = UUID.fromString(sale.saleId());
    return pool.withTransaction(conn -> orders.addPurchased(conn, userId, saleId, quantity, sale.perUserLimit())
        .compose(total -> total.isPresent()
            ? orders.insertReserved(conn, orderId, saleId, userId, quantity)
            : orders.purchased(conn, userId, saleId)
                .compose(held -> Future.failedFuture(limitReached(sale, held, quantity))))
        .compose(order -> sales.addSold(conn, saleId, quantity)
            .compose(counted -> counted
                ? Future.succeededFuture(order)
                : whyRefused(conn, saleId))));
  }

  /**
   * The guard refused: tell sold out apart from a sale that has closed, by the guard's own test
   * and clock (an end racing this reservation must not read as sold out). Rolls the transaction back.
   */
  private Future<SaleOrder> whyRefused(SqlConnection conn, UUID saleId) {
    return sales.isOpen(conn, saleId).compose(open -> sales.find(conn, saleId).compose(found -> {
      FlashSale now = found.orElseThrow();
      return Future.failedFuture(open
          ? new FlashSaleException(ErrorCode.SOLD_OUT, "all " + now.quantityAvailable() + " units are taken")
          : new FlashSaleException(ErrorCode.SALE_NOT_ACTIVE, now.status() == SaleStatus.SCHEDULED
              ? "the sale has not started" : "the sale has ended"));
    }));
  }

  private static FlashSaleException limitReached(FlashSale sale, int held, int asked) {
    return held >= sale.perUserLimit()
        ? new FlashSaleException(ErrorCode.ALREADY_PURCHASED,
            "you already hold " + held + " of the " + sale.perUserLimit() + " unit(s) allowed per buyer")
        : new FlashSaleException(ErrorCode.LIMIT_EXCEEDED,
            "you hold " + held + " unit(s); " + asked + " more would pass the limit of " + sale.perUserLimit());
  }

  /**
   * Closes a RESERVED order as CANCELLED or EXPIRED inside the caller's transaction, which must
   * hold the order's row lock: the units leave quantity_sold and the buyer's count.
   * Call {@link #returnToPool} after the transaction commits.
   */
  public Future<SaleOrder> releaseInTransaction(SqlConnection conn, SaleOrder held, OrderStatus finalStatus) {
    UUID saleId = UUID.fromString(held.saleId());
    return orders.close(conn, UUID.fromString(held.orderId()), finalStatus)
        .compose(closed -> closed
            .map(order -> sales.subtractSold(conn, saleId, order.quantity())
                .compose(done -> orders.subtractPurchased(conn, order.userId(), saleId, order.quantity()))
                .map(order))
            .orElseGet(() -> Future.failedFuture(
                new FlashSaleException(ErrorCode.CONFLICT, "order " + held.orderId() + " is no longer held"))));
  }

  /** After a release committed: the units go back to the Redis gate for the next buyer. */
  public Future<Void> returnToPool(SaleOrder released) {
    return gate.giveBack(released.saleId(), released.userId(), released.quantity(), "")
        .onFailure(e -> LOG.log(Level.SEVERE, "released order " + released.orderId()
            + " committed but its units did not reach Redis; reconciliation will repair", e))
        .otherwiseEmpty()
        .mapEmpty();
  }

  /**
   * Whether a failed reservation transaction certainly wrote nothing: the engine refused it
   * (sold out, over the limit), or PostgreSQL answered with an error, which rolls it back.
   * A deadline passed or a connection lost leaves it unknown: the COMMIT may have been on the
   * wire, and a unit given back then could be sold twice.
   */
  static boolean definitelyNotWritten(Throwable failure) {
    if (failure instanceof FlashSaleException) {
      return true;
    }
    return failure instanceof PgException answered && answered.getSqlState() != null
        && !answered.getSqlState().startsWith("08") && !answered.getSqlState().startsWith("57");
  }

  private static String outcomeOf(Throwable failure) {
    return failure instanceof FlashSaleException domain ? domain.code().name() : "ERROR";
  }
}
