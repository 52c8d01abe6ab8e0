package io.flashsale.sale;

import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * SQL for flash_sales. Every method takes the client to run on, so callers choose the transaction.
 */
public final class SaleRepository {

  public Future<FlashSale> insert(SqlClient client, NewSale sale) {
    return client
        .preparedQuery(
            """
            INSERT INTO flash_sales (sale_id, product_id, product_name, quantity_available, price_cents,
              currency, start_time, end_time, status, per_user_limit, admission_rate_per_second,
              checkout_ttl_seconds, waiting_room, queue_policy, pow_difficulty, captcha_required, line_shards)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8,
              CASE WHEN $7 <= now() THEN 'ACTIVE' ELSE 'SCHEDULED' END, $9, $10, $11, $12, $13, $14, $15,
              $16)
            RETURNING """
                + " "
                + FlashSale.COLUMNS)
        .execute(
            Tuple.tuple()
                .addUUID(UUID.randomUUID())
                .addString(sale.productId())
                .addString(sale.productName())
                .addInteger(sale.quantity())
                .addLong(sale.priceCents())
                .addString(sale.currency())
                .addOffsetDateTime(sale.startTime().atOffset(ZoneOffset.UTC))
                .addOffsetDateTime(sale.endTime().atOffset(ZoneOffset.UTC))
                .addInteger(sale.perUserLimit())
                .addInteger(sale.admissionRatePerSecond())
                .addInteger(sale.checkoutTtlSeconds())
                .addBoolean(sale.waitingRoom())
                .addString(sale.queuePolicy().name())
                .addInteger(sale.powDifficulty())
                .addBoolean(sale.captchaRequired())
                .addInteger(sale.lineShards()))
        .map(rows -> FlashSale.fromRow(rows.iterator().next()));
  }

  public Future<Optional<FlashSale>> find(SqlClient client, UUID saleId) {
    return client
        .preparedQuery("SELECT " + FlashSale.COLUMNS + " FROM flash_sales WHERE sale_id = $1")
        .execute(Tuple.of(saleId))
        .map(SaleRepository::first);
  }

  public Future<List<FlashSale>> listNewestFirst(SqlClient client, int limit) {
    return client
        .preparedQuery(
            "SELECT " + FlashSale.COLUMNS + " FROM flash_sales ORDER BY start_time DESC LIMIT $1")
        .execute(Tuple.of(limit))
        .map(SaleRepository::all);
  }

  /** Sales whose stock must be in Redis: everything not yet ended. */
  public Future<List<FlashSale>> listNotEnded(SqlClient client) {
    return client
        .query("SELECT " + FlashSale.COLUMNS + " FROM flash_sales WHERE status <> 'ENDED'")
        .execute()
        .map(SaleRepository::all);
  }

  /**
   * Layer 2 of the oversell defence: counts {@code quantity} more units as sold only if they fit
   * and the sale is open. Returns false when the database refuses.
   */
  public Future<Boolean> addSold(SqlClient client, UUID saleId, int quantity) {
    return client
        .preparedQuery(
            """
            UPDATE flash_sales
               SET quantity_sold = quantity_sold + $2,
                   status = CASE WHEN quantity_sold + $2 = quantity_available THEN 'SOLD_OUT' ELSE 'ACTIVE' END,
                   updated_at = now()
             WHERE sale_id = $1
               AND status <> 'ENDED' AND start_time <= now() AND end_time > now()
               AND quantity_sold + $2 <= quantity_available""")
        .execute(Tuple.of(saleId, quantity))
        .map(result -> result.rowCount() == 1);
  }

  /** Gives released units back; a sold-out sale becomes buyable again. */
  public Future<Void> subtractSold(SqlClient client, UUID saleId, int quantity) {
    return client
        .preparedQuery(
            """
            UPDATE flash_sales
               SET quantity_sold = quantity_sold - $2,
                   status = CASE WHEN status = 'SOLD_OUT' THEN 'ACTIVE' ELSE status END,
                   updated_at = now()
             WHERE sale_id = $1""")
        .execute(Tuple.of(saleId, quantity))
        .mapEmpty();
  }

  /** SCHEDULED → ACTIVE at start_time. Idempotent, so every instance may run it. */
  public Future<List<String>> activateDue(SqlClient client) {
    return client
        .query(
            """
            UPDATE flash_sales SET status = 'ACTIVE', updated_at = now()
             WHERE status = 'SCHEDULED' AND start_time <= now() AND end_time > now()
            RETURNING sale_id""")
        .execute()
        .map(SaleRepository::ids);
  }

  /** SCHEDULED, ACTIVE or SOLD_OUT → ENDED at end_time. Idempotent. */
  public Future<List<String>> endDue(SqlClient client) {
    return client
        .query(
            """
            UPDATE flash_sales SET status = 'ENDED', updated_at = now()
             WHERE status <> 'ENDED' AND end_time <= now()
            RETURNING sale_id""")
        .execute()
        .map(SaleRepository::ids);
  }

  /** Pauses or resumes admission; empty if the sale does not exist or has ended. */
  public Future<Optional<FlashSale>> setAdmissionPaused(
      SqlClient client, UUID saleId, boolean paused) {
    return client
        .preparedQuery(
            """
            UPDATE flash_sales SET admission_paused = $2, updated_at = now()
             WHERE sale_id = $1 AND status <> 'ENDED'
            RETURNING"""
                + " "
                + FlashSale.COLUMNS)
        .execute(Tuple.of(saleId, paused))
        .map(SaleRepository::first);
  }

  /** Changes the admission rate of a sale not yet ended; empty if there is none. */
  public Future<Optional<FlashSale>> setAdmissionRate(
      SqlClient client, UUID saleId, int perSecond) {
    return client
        .preparedQuery(
            """
            UPDATE flash_sales SET admission_rate_per_second = $2, updated_at = now()
             WHERE sale_id = $1 AND status <> 'ENDED'
            RETURNING"""
                + " "
                + FlashSale.COLUMNS)
        .execute(Tuple.of(saleId, perSecond))
        .map(SaleRepository::first);
  }

  /**
   * Ends a sale now, whatever its end time said; empty if there is none or it had ended. A sale
   * ended before its start keeps a window of one millisecond, so the row stays well-formed. Must
   * come before the transaction touches the sale row: it first waits for the checkouts already past
   * {@link #holdOpenForCheckout} to commit, so none is paid after the end, and checkouts arriving
   * meanwhile are refused. The end time is the moment it got through.
   */
  public Future<Optional<FlashSale>> endNow(SqlConnection conn, UUID saleId) {
    // No statement timeout for this wait: it lasts as long as the slowest capture in flight,
    // which its own gateway timeout bounds (and PostgreSQL's idle-in-transaction timeout after it).
    return conn.preparedQuery(
            "SELECT set_config('statement_timeout', '0', true), pg_advisory_xact_lock($1)")
        .execute(Tuple.of(checkoutLockKey(saleId)))
        .compose(
            locked ->
                conn.preparedQuery(
                        """
                UPDATE flash_sales
                   SET status = 'ENDED',
                       end_time = GREATEST(LEAST(end_time, clock_timestamp()), start_time + interval '1 millisecond'),
                       updated_at = now()
                 WHERE sale_id = $1 AND status <> 'ENDED'
                RETURNING"""
                            + " "
                            + FlashSale.COLUMNS)
                    .execute(Tuple.of(saleId)))
        .map(SaleRepository::first);
  }

  /**
   * The checkout's guard, in its own transaction and before any money moves: true if the sale is
   * still open by the database's clock and flags. While it is, the transaction holds the sale's
   * checkout lock in shared mode until it ends, so an early end ({@link #endNow}) cannot slip in
   * between this check and the order becoming PAID. Checkouts never wait on one another, nor on the
   * reservations that update the sale row; an end in progress refuses them at once.
   */
  public Future<Boolean> holdOpenForCheckout(SqlConnection conn, UUID saleId) {
    // The try-lock fails while an end holds the lock or waits for it: the sale is ending.
    return conn.preparedQuery("SELECT pg_try_advisory_xact_lock_shared($1) AS locked")
        .execute(Tuple.of(checkoutLockKey(saleId)))
        .compose(
            locked ->
                !locked.iterator().next().getBoolean("locked")
                    ? Future.succeededFuture(false)
                    // A statement of its own, so its snapshot is taken under the lock: an end that
                    // committed just before is seen. clock_timestamp(), not now(): the transaction
                    // may
                    // have begun before the end time and waited on the order's lock since.
                    : conn.preparedQuery(
                            """
                    SELECT status <> 'ENDED' AND end_time > clock_timestamp() AS open
                      FROM flash_sales WHERE sale_id = $1""")
                        .execute(Tuple.of(saleId))
                        .map(
                            rows -> rows.size() == 1 && rows.iterator().next().getBoolean("open")));
  }

  /**
   * True if the sale takes reservations at this transaction's time: the same test as {@link
   * #addSold}.
   */
  public Future<Boolean> isOpen(SqlClient client, UUID saleId) {
    return client
        .preparedQuery(
            """
            SELECT status <> 'ENDED' AND start_time <= now() AND end_time > now() AS open
              FROM flash_sales WHERE sale_id = $1""")
        .execute(Tuple.of(saleId))
        .map(rows -> rows.size() == 1 && rows.iterator().next().getBoolean("open"));
  }

  /** The PostgreSQL advisory lock key that serialises a sale's early end with its checkouts. */
  private static long checkoutLockKey(UUID saleId) {
    return saleId.getMostSignificantBits() ^ saleId.getLeastSignificantBits();
  }

  private static Optional<FlashSale> first(RowSet<Row> rows) {
    return rows.size() == 0
        ? Optional.empty()
        : Optional.of(FlashSale.fromRow(rows.iterator().next()));
  }

  private static List<FlashSale> all(RowSet<Row> rows) {
    List<FlashSale> sales = new ArrayList<>(rows.size());
    rows.forEach(row -> sales.add(FlashSale.fromRow(row)));
    return sales;
  }

  private static List<String> ids(RowSet<Row> rows) {
    List<String> ids = new ArrayList<>(rows.size());
    rows.forEach(row -> ids.add(row.getUUID("sale_id").toString()));
    return ids;
  }
}
