package io.flashsale.sale;

import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** SQL for sale_orders and user_sale_eligibility. */
public final class OrderRepository {

  /**
   * The per-user guard: adds {@code quantity} to the buyer's units in this sale unless that passes
   * {@code limit}. Returns the buyer's new total, or empty when the limit refuses.
   */
  public Future<Optional<Integer>> addPurchased(
      SqlClient client, String userId, UUID saleId, int quantity, int limit) {
    return client
        .preparedQuery(
            """
            INSERT INTO user_sale_eligibility AS e (user_id, sale_id, quantity_purchased)
            VALUES ($1, $2, $3)
            ON CONFLICT (user_id, sale_id) DO UPDATE
               SET quantity_purchased = e.quantity_purchased + EXCLUDED.quantity_purchased, updated_at = now()
             WHERE e.quantity_purchased + EXCLUDED.quantity_purchased <= $4
            RETURNING quantity_purchased""")
        .execute(Tuple.of(userId, saleId, quantity, limit))
        .map(
            rows ->
                rows.size() == 0
                    ? Optional.empty()
                    : Optional.of(rows.iterator().next().getInteger("quantity_purchased")));
  }

  /**
   * Reserves a batch in one statement (the {@code reserve_batch} function, migration V11): the
   * per-buyer guard, one RESERVED order per entry priced from the sale row, and the sale's guard
   * for the batch's total, all or nothing. Fails with a PostgreSQL error, and writes nothing, if a
   * buyer would pass {@code limit} or the batch does not fit in the sale.
   */
  public Future<List<SaleOrder>> reserveBatch(
      SqlClient client,
      UUID saleId,
      UUID[] orderIds,
      String[] userIds,
      Integer[] quantities,
      int limit) {
    return client
        .preparedQuery("SELECT " + SaleOrder.COLUMNS + " FROM reserve_batch($1, $2, $3, $4, $5)")
        .execute(Tuple.of(saleId, orderIds, userIds, quantities, limit))
        .map(
            rows -> {
              List<SaleOrder> orders = new ArrayList<>(rows.size());
              rows.forEach(row -> orders.add(SaleOrder.fromRow(row)));
              return orders;
            });
  }

  public Future<Integer> purchased(SqlClient client, String userId, UUID saleId) {
    return client
        .preparedQuery(
            "SELECT quantity_purchased FROM user_sale_eligibility WHERE user_id = $1 AND sale_id = $2")
        .execute(Tuple.of(userId, saleId))
        .map(
            rows -> rows.size() == 0 ? 0 : rows.iterator().next().getInteger("quantity_purchased"));
  }

  public Future<Void> subtractPurchased(
      SqlClient client, String userId, UUID saleId, int quantity) {
    return client
        .preparedQuery(
            """
            UPDATE user_sale_eligibility SET quantity_purchased = quantity_purchased - $3, updated_at = now()
             WHERE user_id = $1 AND sale_id = $2""")
        .execute(Tuple.of(userId, saleId, quantity))
        .mapEmpty();
  }

  /** Inserts a RESERVED order priced from the sale row, with the sale's checkout TTL. */
  public Future<SaleOrder> insertReserved(
      SqlClient client, UUID orderId, UUID saleId, String userId, int quantity) {
    return client
        .preparedQuery(
            """
            INSERT INTO sale_orders (order_id, sale_id, user_id, quantity, status, amount_cents, currency,
              reserved_at, expires_at)
            SELECT $1, sale_id, $3, $4::integer, 'RESERVED', price_cents * $4::integer, currency,
                   now(), now() + make_interval(secs => checkout_ttl_seconds)
              FROM flash_sales WHERE sale_id = $2
            RETURNING """
                + " "
                + SaleOrder.COLUMNS)
        .execute(Tuple.of(orderId, saleId, userId, quantity))
        .map(rows -> SaleOrder.fromRow(rows.iterator().next()));
  }

  /** The buyer's own order; another buyer's order is indistinguishable from a missing one. */
  public Future<Optional<SaleOrder>> findOwn(SqlClient client, UUID orderId, String userId) {
    return client
        .preparedQuery(
            "SELECT "
                + SaleOrder.COLUMNS
                + " FROM sale_orders WHERE order_id = $1 AND user_id = $2")
        .execute(Tuple.of(orderId, userId))
        .map(OrderRepository::first);
  }

  /** Same, with the row locked until the transaction ends: checkout and release serialise on it. */
  public Future<Optional<SaleOrder>> lockOwn(SqlClient client, UUID orderId, String userId) {
    return client
        .preparedQuery(
            "SELECT "
                + SaleOrder.COLUMNS
                + " FROM sale_orders WHERE order_id = $1 AND user_id = $2 FOR UPDATE")
        .execute(Tuple.of(orderId, userId))
        .map(OrderRepository::first);
  }

  public Future<List<SaleOrder>> listOwn(SqlClient client, String userId, int limit) {
    return client
        .preparedQuery(
            "SELECT "
                + SaleOrder.COLUMNS
                + " FROM sale_orders WHERE user_id = $1 ORDER BY reserved_at DESC LIMIT $2")
        .execute(Tuple.of(userId, limit))
        .map(
            rows -> {
              List<SaleOrder> orders = new ArrayList<>(rows.size());
              rows.forEach(row -> orders.add(SaleOrder.fromRow(row)));
              return orders;
            });
  }

  public Future<SaleOrder> markPaid(SqlClient client, UUID orderId, String paymentReference) {
    return client
        .preparedQuery(
            """
            UPDATE sale_orders SET status = 'PAID', paid_at = now(), payment_reference = $2
             WHERE order_id = $1 AND status = 'RESERVED'
            RETURNING """
                + " "
                + SaleOrder.COLUMNS)
        .execute(Tuple.of(orderId, paymentReference))
        .map(rows -> SaleOrder.fromRow(rows.iterator().next()));
  }

  /**
   * Holds past their deadline, or of a sale that has ended, locked; rows another instance is
   * already releasing are skipped, so every hold is released exactly once.
   */
  public Future<List<SaleOrder>> lockExpiredHolds(SqlClient client, int limit) {
    return client
        .preparedQuery(
            "SELECT "
                + prefixed("o")
                + """
              FROM sale_orders o JOIN flash_sales s ON s.sale_id = o.sale_id
             WHERE o.status = 'RESERVED' AND (o.expires_at <= now() OR s.status = 'ENDED')
             ORDER BY o.expires_at
             LIMIT $1
               FOR UPDATE OF o SKIP LOCKED""")
        .execute(Tuple.of(limit))
        .map(
            rows -> {
              List<SaleOrder> due = new ArrayList<>(rows.size());
              rows.forEach(row -> due.add(SaleOrder.fromRow(row)));
              return due;
            });
  }

  private static String prefixed(String alias) {
    return " " + alias + "." + SaleOrder.COLUMNS.replace(", ", ", " + alias + ".") + " ";
  }

  /**
   * RESERVED → {@code finalStatus} (CANCELLED or EXPIRED); empty if the order was no longer open.
   */
  public Future<Optional<SaleOrder>> close(
      SqlClient client, UUID orderId, OrderStatus finalStatus) {
    return client
        .preparedQuery(
            """
            UPDATE sale_orders SET status = $2, closed_at = now()
             WHERE order_id = $1 AND status = 'RESERVED'
            RETURNING """
                + " "
                + SaleOrder.COLUMNS)
        .execute(Tuple.of(orderId, finalStatus.name()))
        .map(OrderRepository::first);
  }

  private static Optional<SaleOrder> first(RowSet<Row> rows) {
    return rows.size() == 0
        ? Optional.empty()
        : Optional.of(SaleOrder.fromRow(rows.iterator().next()));
  }
}
