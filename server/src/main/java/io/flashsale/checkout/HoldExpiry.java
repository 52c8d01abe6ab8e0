package io.flashsale.checkout;

import io.flashsale.events.BuyerOutcome;
import io.flashsale.events.SaleEvents;
import io.flashsale.inventory.ReservationDesk;
import io.flashsale.inventory.Reservations;
import io.flashsale.sale.AuthorizationRepository;
import io.flashsale.sale.OrderRepository;
import io.flashsale.sale.OrderStatus;
import io.flashsale.sale.SaleOrder;
import io.flashsale.waitingroom.TicketState;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Releases holds nobody checked out in time (and every hold left when a sale ends): EXPIRED, units
 * back in the pool for the next buyer in line, the card's authorisation queued for a void. Runs on
 * every instance; SKIP LOCKED hands each hold to exactly one of them.
 */
public final class HoldExpiry {

  private static final int BATCH = 200;

  private final Pool pool;
  private final OrderRepository orders;
  private final AuthorizationRepository authorizations;
  private final Reservations reservations;
  private final ReservationDesk desk;
  private final EventBus eventBus;
  private final MeterRegistry metrics;

  public HoldExpiry(
      Pool pool,
      OrderRepository orders,
      AuthorizationRepository authorizations,
      Reservations reservations,
      ReservationDesk desk,
      EventBus eventBus,
      MeterRegistry metrics) {
    this.pool = pool;
    this.orders = orders;
    this.authorizations = authorizations;
    this.reservations = reservations;
    this.desk = desk;
    this.eventBus = eventBus;
    this.metrics = metrics;
  }

  /** One sweep; resolves to the number of holds released. */
  public Future<Integer> sweep() {
    return pool.withTransaction(
            conn ->
                orders
                    .lockExpiredHolds(conn, BATCH)
                    .compose(due -> expireAll(conn, due, 0, new ArrayList<>())))
        .compose(expired -> Future.all(expired.stream().map(desk::release).toList()).map(expired))
        .map(
            expired -> {
              expired.forEach(
                  order ->
                      SaleEvents.publish(
                          eventBus,
                          new BuyerOutcome(
                              order.saleId(),
                              order.userId(),
                              TicketState.EXPIRED,
                              order.orderId())));
              metrics.counter("flashsale.holds.expired").increment(expired.size());
              return expired.size();
            });
  }

  /**
   * One after another: each release updates its sale's row, which the transaction already may hold.
   */
  private Future<List<SaleOrder>> expireAll(
      SqlConnection conn, List<SaleOrder> due, int next, List<SaleOrder> done) {
    if (next == due.size()) {
      return Future.succeededFuture(done);
    }
    SaleOrder order = due.get(next);
    return reservations
        .releaseInTransaction(conn, order, OrderStatus.EXPIRED)
        .compose(
            expired ->
                authorizations
                    .requestVoid(conn, UUID.fromString(order.saleId()), order.userId())
                    .map(
                        requested -> {
                          done.add(expired);
                          return done;
                        }))
        .compose(soFar -> expireAll(conn, due, next + 1, soFar));
  }
}
