package io.flashsale.inventory;

import io.flashsale.antibot.Rejection;
import io.flashsale.inventory.ReservationMessages.Purchase;
import io.flashsale.sale.ErrorCode;
import io.flashsale.sale.FlashSale;
import io.flashsale.sale.FlashSaleException;
import io.flashsale.sale.OrderRepository;
import io.flashsale.sale.OrderStatus;
import io.flashsale.sale.SaleOrder;
import io.flashsale.sale.SaleRepository;
import io.flashsale.sale.SaleStatus;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.CompositeFuture;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reserving and releasing units: the Redis gate first (it keeps the herd off the database), then
 * the reservation transaction whose guard decides, and the unit back to Redis whenever the database
 * says no.
 */
public final class Reservations {

  private static final Logger LOG = LoggerFactory.getLogger(Reservations.class);

  private final Pool pool;
  private final StockGate gate;
  private final SaleRepository sales;
  private final OrderRepository orders;
  private final MeterRegistry metrics;

  public Reservations(
      Pool pool,
      StockGate gate,
      SaleRepository sales,
      OrderRepository orders,
      MeterRegistry metrics) {
    this.pool = pool;
    this.gate = gate;
    this.sales = sales;
    this.orders = orders;
    this.metrics = metrics;
  }

  /**
   * Direct purchases of one sale, in arrival order: one Redis call takes the units of the whole
   * batch (rate limits, blacklists and per-buyer limits checked buyer by buyer in the same step),
   * then one transaction reserves everyone who got units ({@link #reserveClaimed}). One future per
   * purchase, in the same order: the order, or a {@link FlashSaleException} saying why not.
   */
  public List<Future<SaleOrder>> reserveAll(FlashSale sale, List<Purchase> purchases) {
    List<Promise<SaleOrder>> answers = new ArrayList<>(purchases.size());
    purchases.forEach(purchase -> answers.add(Promise.promise()));
    take(sale, purchases, answers, true);
    return answers.stream().map(Promise::future).toList();
  }

  private void take(
      FlashSale sale, List<Purchase> purchases, List<Promise<SaleOrder>> answers, boolean mayLoad) {
    List<StockGate.Ask> asks = new ArrayList<>(purchases.size());
    for (Purchase purchase : purchases) {
      asks.add(
          new StockGate.Ask(
              purchase.userId(),
              purchase.device(),
              purchase.quantity(),
              purchase.sale().perUserLimit(),
              UUID.randomUUID().toString(),
              purchase.limits()));
    }
    gate.takeAll(sale.saleId(), sale.lineShards(), asks)
        .onComplete(
            taken -> {
              if (taken.failed()) {
                // Nothing is known of this call: if it ran, the in-flight entries it wrote let
                // reconciliation return the units.
                answers.forEach(answer -> refuse(answer, taken.cause()));
                return;
              }
              List<Claim> claims = new ArrayList<>();
              List<Promise<SaleOrder>> claimed = new ArrayList<>();
              List<Purchase> notLoaded = new ArrayList<>();
              List<Promise<SaleOrder>> toReload = new ArrayList<>();
              for (int i = 0; i < purchases.size(); i++) {
                Purchase purchase = purchases.get(i);
                StockGate.Take take = taken.result().get(i);
                switch (take.outcome()) {
                  case TAKEN -> {
                    claims.add(
                        new Claim(
                            purchase.userId(),
                            purchase.quantity(),
                            UUID.fromString(asks.get(i).orderId())));
                    claimed.add(answers.get(i));
                  }
                  case SOLD_OUT ->
                      refuse(
                          answers.get(i),
                          new FlashSaleException(
                              ErrorCode.SOLD_OUT,
                              "all " + sale.quantityAvailable() + " units are taken"));
                  case LIMIT ->
                      refuse(
                          answers.get(i),
                          limitReached(sale, (int) take.number(), purchase.quantity()));
                  case RATE_LIMITED -> {
                    // The script counted it in the sale's tally, as the join path's rate limit
                    // does.
                    metrics
                        .counter(
                            "flashsale.bot.rejections", "reason", Rejection.RATE_LIMITED.name())
                        .increment();
                    refuse(answers.get(i), take.limited().exception());
                  }
                  case BLACKLISTED, BLACKLISTED_DEVICE -> {
                    metrics
                        .counter("flashsale.bot.rejections", "reason", take.outcome().name())
                        .increment();
                    refuse(
                        answers.get(i),
                        new FlashSaleException(
                            ErrorCode.FORBIDDEN,
                            "this account or device may not buy in this sale"));
                  }
                  case NOT_LOADED -> {
                    if (mayLoad) {
                      // Their rate limits were counted with this batch; the second try does not
                      // count them again.
                      notLoaded.add(
                          new Purchase(
                              purchase.sale(),
                              purchase.userId(),
                              purchase.device(),
                              purchase.quantity(),
                              List.of()));
                      toReload.add(answers.get(i));
                    } else {
                      refuse(
                          answers.get(i),
                          new FlashSaleException(
                              ErrorCode.SALE_NOT_ACTIVE, "sale stock is not loaded"));
                    }
                  }
                }
              }
              if (!notLoaded.isEmpty()) {
                loadStock(sale.saleId())
                    .onComplete(
                        loaded -> {
                          if (loaded.failed()) {
                            toReload.forEach(answer -> refuse(answer, loaded.cause()));
                          } else {
                            take(sale, notLoaded, toReload, false);
                          }
                        });
              }
              if (claims.isEmpty()) {
                return;
              }
              reserveClaimed(sale, claims)
                  .onComplete(
                      reserved -> {
                        if (reserved.failed()) {
                          // Whether the transaction committed is unknown: the in-flight entries
                          // stay, and
                          // reconciliation returns the units only if the orders are not there.
                          claimed.forEach(answer -> answer.fail(reserved.cause()));
                          metrics
                              .counter("flashsale.reservations", "outcome", "ERROR")
                              .increment(claimed.size());
                          return;
                        }
                        Map<UUID, Promise<SaleOrder>> byOrder = new HashMap<>();
                        for (int i = 0; i < claims.size(); i++) {
                          byOrder.put(claims.get(i).orderId(), claimed.get(i));
                        }
                        List<String> settled = new ArrayList<>();
                        for (ClaimOutcome outcome : reserved.result()) {
                          Promise<SaleOrder> answer = byOrder.get(outcome.claim().orderId());
                          if (outcome.order() != null) {
                            settled.add(outcome.order().orderId());
                            answer.complete(outcome.order());
                          } else {
                            answer.fail(
                                outcome.refusal() != null ? outcome.refusal() : outcome.unknown());
                          }
                        }
                        // Best effort: if this is lost, reconciliation finds the orders and clears
                        // the entries.
                        gate.settled(sale.saleId(), settled);
                      });
            });
  }

  /** A refusal before the database: counted here, as {@link #reserveClaimed} counts its own. */
  private void refuse(Promise<SaleOrder> answer, Throwable why) {
    metrics.counter("flashsale.reservations", "outcome", outcomeOf(why)).increment();
    answer.fail(why);
  }

  /** Puts the database's count of free units into Redis if the counter is missing. */
  public Future<Void> loadStock(String saleId) {
    return sales
        .find(pool, UUID.fromString(saleId))
        .compose(
            found ->
                found
                    .map(sale -> gate.loadIfAbsent(saleId, sale.remaining()).<Void>mapEmpty())
                    .orElseGet(Future::succeededFuture));
  }

  /**
   * Units a buyer already took from the Redis gate and now needs a reservation for, under the order
   * id their in-flight entry names.
   */
  public record Claim(String userId, int quantity, UUID orderId) {}

  /**
   * What the database said to one claim: the order, or why not (its units are back in Redis then),
   * or {@code unknown}: the write may or may not have landed, so its in-flight entry stays for
   * reconciliation to settle.
   */
  public record ClaimOutcome(
      Claim claim, SaleOrder order, FlashSaleException refusal, Throwable unknown) {
    static ClaimOutcome reserved(Claim claim, SaleOrder order) {
      return new ClaimOutcome(claim, order, null, null);
    }
  }

  /**
   * Reservations for buyers whose units were already taken in Redis (a purchase batch, an admission
   * step). One statement and one commit for the whole batch, so the hot flash_sales row is updated
   * once; if the batch is refused as a whole, each claim is retried alone so one bad claim cannot
   * sink the others. Refused claims' units go back to Redis, in one call.
   */
  public Future<List<ClaimOutcome>> reserveClaimed(FlashSale sale, List<Claim> claims) {
    if (claims.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    UUID saleId = UUID.fromString(sale.saleId());
    String[] users = claims.stream().map(Claim::userId).toArray(String[]::new);
    Integer[] quantities = claims.stream().map(Claim::quantity).toArray(Integer[]::new);
    UUID[] orderIds = claims.stream().map(Claim::orderId).toArray(UUID[]::new);
    return orders
        .reserveBatch(pool, saleId, orderIds, users, quantities, sale.perUserLimit())
        .map(
            inserted -> {
              metrics
                  .counter("flashsale.reservations", "outcome", "RESERVED")
                  .increment(inserted.size());
              Map<String, Claim> byOrder = new HashMap<>();
              claims.forEach(claim -> byOrder.put(claim.orderId().toString(), claim));
              return inserted.stream()
                  .map(order -> ClaimOutcome.reserved(byOrder.get(order.orderId()), order))
                  .toList();
            })
        .recover(
            batchRefused -> {
              if (!definitelyNotWritten(batchRefused)) {
                // Whether the batch committed is unknown: retrying its claims one by one could see
                // them refused by the batch's own late rows and return units the batch holds.
                // Their in-flight entries stay for reconciliation, which sees which orders exist.
                return Future.failedFuture(batchRefused);
              }
              LOG.warn(
                  "batch of "
                      + claims.size()
                      + " reservations for sale "
                      + sale.saleId()
                      + " refused ("
                      + batchRefused
                      + "); reserving one by one");
              CompositeFuture tried =
                  Future.join(
                      claims.stream()
                          .map(
                              claim ->
                                  reserveInDatabase(
                                      sale, claim.userId(), claim.quantity(), claim.orderId()))
                          .toList());
              return tried.transform(done -> settleAlone(sale, claims, tried));
            });
  }

  /**
   * The outcomes of claims reserved one by one: a refused claim's units go back to Redis, all of
   * them in one call; a claim whose write is unknown keeps its in-flight entry.
   */
  private Future<List<ClaimOutcome>> settleAlone(
      FlashSale sale, List<Claim> claims, CompositeFuture tried) {
    List<ClaimOutcome> outcomes = new ArrayList<>(claims.size());
    List<StockGate.Return> returns = new ArrayList<>();
    for (int i = 0; i < claims.size(); i++) {
      Claim claim = claims.get(i);
      if (tried != null && tried.succeeded(i)) {
        outcomes.add(ClaimOutcome.reserved(claim, tried.resultAt(i)));
        continue;
      }
      Throwable refused = tried.cause(i);
      if (!definitelyNotWritten(refused)) {
        outcomes.add(new ClaimOutcome(claim, null, null, refused));
        continue;
      }
      returns.add(
          new StockGate.Return(claim.userId(), claim.quantity(), claim.orderId().toString()));
      outcomes.add(
          new ClaimOutcome(
              claim,
              null,
              refused instanceof FlashSaleException domain
                  ? domain
                  : new FlashSaleException(
                      ErrorCode.UNAVAILABLE, "the reservation could not be written"),
              null));
    }
    outcomes.forEach(
        outcome ->
            metrics
                .counter(
                    "flashsale.reservations",
                    "outcome",
                    outcome.order() != null
                        ? "RESERVED"
                        : outcome.refusal() != null ? outcome.refusal().code().name() : "ERROR")
                .increment());
    Future<?> returned =
        returns.isEmpty()
            ? Future.succeededFuture()
            : gate.giveBackAll(sale.saleId(), returns)
                .onFailure(
                    e ->
                        LOG.error(
                            "could not return "
                                + returns.size()
                                + " refused take(s) of sale "
                                + sale.saleId()
                                + " to Redis; reconciliation will repair",
                            e));
    return returned.transform(done -> Future.succeededFuture(outcomes));
  }

  private Future<SaleOrder> reserveInDatabase(
      FlashSale sale, String userId, int quantity, UUID orderId) {
    UUID saleId = UUID.fromString(sale.saleId());
    return pool.withTransaction(
        conn ->
            orders
                .addPurchased(conn, userId, saleId, quantity, sale.perUserLimit())
                .compose(
                    total ->
                        total.isPresent()
                            ? orders.insertReserved(conn, orderId, saleId, userId, quantity)
                            : orders
                                .purchased(conn, userId, saleId)
                                .compose(
                                    held ->
                                        Future.failedFuture(limitReached(sale, held, quantity))))
                .compose(
                    order ->
                        sales
                            .addSold(conn, saleId, quantity)
                            .compose(
                                counted ->
                                    counted
                                        ? Future.succeededFuture(order)
                                        : whyRefused(conn, saleId))));
  }

  /**
   * The guard refused: tell sold out apart from a sale that has closed, by the guard's own test and
   * clock (an end racing this reservation must not read as sold out). Rolls the transaction back.
   */
  private Future<SaleOrder> whyRefused(SqlConnection conn, UUID saleId) {
    return sales
        .isOpen(conn, saleId)
        .compose(
            open ->
                sales
                    .find(conn, saleId)
                    .compose(
                        found -> {
                          FlashSale now = found.orElseThrow();
                          return Future.failedFuture(
                              open
                                  ? new FlashSaleException(
                                      ErrorCode.SOLD_OUT,
                                      "all " + now.quantityAvailable() + " units are taken")
                                  : new FlashSaleException(
                                      ErrorCode.SALE_NOT_ACTIVE,
                                      now.status() == SaleStatus.SCHEDULED
                                          ? "the sale has not started"
                                          : "the sale has ended"));
                        }));
  }

  private static FlashSaleException limitReached(FlashSale sale, int held, int asked) {
    return held >= sale.perUserLimit()
        ? new FlashSaleException(
            ErrorCode.ALREADY_PURCHASED,
            "you already hold "
                + held
                + " of the "
                + sale.perUserLimit()
                + " unit(s) allowed per buyer")
        : new FlashSaleException(
            ErrorCode.LIMIT_EXCEEDED,
            "you hold "
                + held
                + " unit(s); "
                + asked
                + " more would pass the limit of "
                + sale.perUserLimit());
  }

  /**
   * Closes a RESERVED order as CANCELLED or EXPIRED inside the caller's transaction, which must
   * hold the order's row lock: the units leave quantity_sold and the buyer's count. Call {@link
   * #returnToPool} after the transaction commits.
   */
  public Future<SaleOrder> releaseInTransaction(
      SqlConnection conn, SaleOrder held, OrderStatus finalStatus) {
    UUID saleId = UUID.fromString(held.saleId());
    return orders
        .close(conn, UUID.fromString(held.orderId()), finalStatus)
        .compose(
            closed ->
                closed
                    .map(
                        order ->
                            sales
                                .subtractSold(conn, saleId, order.quantity())
                                .compose(
                                    done ->
                                        orders.subtractPurchased(
                                            conn, order.userId(), saleId, order.quantity()))
                                .map(order))
                    .orElseGet(
                        () ->
                            Future.failedFuture(
                                new FlashSaleException(
                                    ErrorCode.CONFLICT,
                                    "order " + held.orderId() + " is no longer held"))));
  }

  /**
   * After releases committed: their units go back to the Redis gate for the next buyer, those of
   * one sale in one call. Never fails: what does not reach Redis, reconciliation repairs.
   */
  public Future<Void> returnToPool(String saleId, List<SaleOrder> released) {
    List<StockGate.Return> returns =
        released.stream()
            .map(order -> new StockGate.Return(order.userId(), order.quantity(), ""))
            .toList();
    return gate.giveBackAll(saleId, returns)
        .onFailure(
            e ->
                LOG.error(
                    released.size()
                        + " released order(s) of sale "
                        + saleId
                        + " committed but their units did not reach Redis; reconciliation will repair",
                    e))
        .otherwiseEmpty()
        .mapEmpty();
  }

  /**
   * Whether a failed reservation transaction certainly wrote nothing: the engine refused it (sold
   * out, over the limit), or PostgreSQL answered with an error, which rolls it back. A deadline
   * passed or a connection lost leaves it unknown: the COMMIT may have been on the wire, and a unit
   * given back then could be sold twice.
   */
  static boolean definitelyNotWritten(Throwable failure) {
    if (failure instanceof FlashSaleException) {
      return true;
    }
    return failure instanceof PgException answered
        && answered.getSqlState() != null
        && !answered.getSqlState().startsWith("08")
        && !answered.getSqlState().startsWith("57");
  }

  private static String outcomeOf(Throwable failure) {
    return failure instanceof FlashSaleException domain ? domain.code().name() : "ERROR";
  }
}
