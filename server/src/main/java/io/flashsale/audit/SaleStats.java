package io.flashsale.audit;

import io.flashsale.infra.SaleKeys;
import io.flashsale.inventory.InFlight;
import io.flashsale.waitingroom.LineFigures;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.util.List;
import java.util.UUID;

/**
 * A sale's live figures for the admin dashboard, cheap enough to ask every second during the rush:
 * one Redis round trip (counters, set sizes) and one SQL aggregate over the sale's orders and card
 * authorisations, both served by indexes on the sale id. Unlike {@link SaleAudit} it lists no
 * winners and judges no fairness; rates are left to the caller, which sees the counters move
 * between two samples.
 */
public final class SaleStats {

  private final Pool pool;
  private final Redis redis;
  private final MeterRegistry metrics;
  private final Clock clock;

  public SaleStats(Pool pool, Redis redis, MeterRegistry metrics, Clock clock) {
    this.pool = pool;
    this.redis = redis;
    this.metrics = metrics;
    this.clock = clock;
  }

  /** Null if there is no such sale. */
  public Future<JsonObject> of(UUID saleId) {
    Future<Row> database =
        pool.preparedQuery(
                """
            SELECT s.status, s.product_name, s.quantity_available, s.quantity_sold, s.start_time, s.end_time,
                   s.waiting_room, s.admission_rate_per_second, s.line_shards,
                   o.orders, o.reserved, o.paid, o.cancelled, o.expired, o.held_or_paid_units,
                   a.authorized, a.declined, a.voided, c.captured
              FROM flash_sales s
             CROSS JOIN LATERAL (
                   SELECT count(*) AS orders,
                          count(*) FILTER (WHERE status = 'RESERVED') AS reserved,
                          count(*) FILTER (WHERE status = 'PAID') AS paid,
                          count(*) FILTER (WHERE status = 'CANCELLED') AS cancelled,
                          count(*) FILTER (WHERE status = 'EXPIRED') AS expired,
                          coalesce(sum(quantity) FILTER (WHERE status IN ('RESERVED', 'PAID')), 0) AS held_or_paid_units
                     FROM sale_orders WHERE sale_id = s.sale_id) o
             CROSS JOIN LATERAL (
                   SELECT count(*) FILTER (WHERE status = 'AUTHORIZED') AS authorized,
                          count(*) FILTER (WHERE status = 'DECLINED') AS declined,
                          count(*) FILTER (WHERE status = 'VOIDED') AS voided
                     FROM payment_authorizations WHERE sale_id = s.sale_id) a
             -- Direct purchases are charged without a pre-authorisation row: captures are counted
             -- from the payments themselves.
             CROSS JOIN LATERAL (
                   SELECT count(*) AS captured
                     FROM payments p JOIN sale_orders po ON po.order_id = p.order_id
                    WHERE po.sale_id = s.sale_id) c
             WHERE s.sale_id = $1""")
            .execute(Tuple.of(saleId))
            .map(rows -> rows.size() == 0 ? null : rows.iterator().next());
    SaleKeys keys = new SaleKeys(saleId.toString());
    Future<List<Response>> counters =
        redis.batch(
            List.of(
                Request.cmd(Command.GET).arg(keys.stock()),
                Request.cmd(Command.HVALS).arg(keys.inflight())));
    return database.compose(
        row -> {
          if (row == null) {
            return Future.succeededFuture(null);
          }
          Future<LineFigures> line =
              LineFigures.read(redis, saleId.toString(), row.getInteger("line_shards"));
          return Future.all(counters, line)
              .map(both -> assemble(saleId, row, counters.result(), line.result()));
        });
  }

  private JsonObject assemble(UUID saleId, Row db, List<Response> redisFigures, LineFigures line) {
    int available = db.getInteger("quantity_available");
    int sold = db.getInteger("quantity_sold");
    long heldOrPaid = db.getLong("held_or_paid_units");
    long stock = redisFigures.get(0) == null ? -1 : redisFigures.get(0).toLong();
    long waiting = line.waiting();
    long prequeue = line.prequeue();
    long inFlight = 0;
    for (Response entry : redisFigures.get(1)) {
      inFlight += InFlight.decode(entry.toString()).quantity();
    }
    JsonObject rejections = new JsonObject();
    line.rejections().forEach(rejections::put);
    return new JsonObject()
        .put("saleId", saleId.toString())
        .put("at", clock.instant().toString())
        .put("atMillis", clock.millis())
        .put("status", db.getString("status"))
        .put("productName", db.getString("product_name"))
        .put("startTime", db.getOffsetDateTime("start_time").toInstant().toString())
        .put("endTime", db.getOffsetDateTime("end_time").toInstant().toString())
        .put("waitingRoom", db.getBoolean("waiting_room"))
        .put("admissionRatePerSecond", db.getInteger("admission_rate_per_second"))
        .put("quantityAvailable", available)
        .put("quantitySold", sold)
        .put("stockLeft", stock)
        .put("queueDepth", waiting + prequeue)
        .put("prequeue", prequeue)
        .put("admitted", line.admittedTo())
        .put("joined", line.joined())
        .put(
            "orders",
            new JsonObject()
                .put("reservations", db.getLong("orders"))
                .put("reserved", db.getLong("reserved"))
                .put("paid", db.getLong("paid"))
                .put("cancelled", db.getLong("cancelled"))
                .put("expired", db.getLong("expired")))
        .put(
            "payments",
            new JsonObject()
                .put("authorized", db.getLong("authorized"))
                .put("declined", db.getLong("declined"))
                .put("captured", db.getLong("captured"))
                .put("voided", db.getLong("voided")))
        .put("botRejections", rejections)
        .put(
            "reconciliation", reconciliation(saleId, available, sold, heldOrPaid, stock, inFlight));
  }

  /**
   * The books as they stand now (a take whose write is still in flight counts as in flight, not as
   * drift) and the drift the reconciler last measured on this instance, if it has looked at this
   * sale yet and the sale's gauge is still there (an ended sale's goes after the grace, see {@link
   * io.flashsale.sale.SaleMeters}; its books here still answer).
   */
  private JsonObject reconciliation(
      UUID saleId, int available, int sold, long heldOrPaid, long stock, long inFlight) {
    boolean databaseConsistent = heldOrPaid == sold && sold <= available;
    long drift = stock < 0 ? 0 : available - sold - stock - inFlight;
    Gauge last =
        metrics.find("flashsale.reconciliation.drift").tag("sale", saleId.toString()).gauge();
    // A write between its commit and its bookkeeping shows as drift for an instant; it is only
    // called drift once the reconciler, which looks twice, has measured it too.
    boolean confirmed = last != null && last.value() != 0;
    String status =
        !databaseConsistent
            ? "DATABASE_INCONSISTENT"
            : stock < 0 ? "NOT_LOADED" : drift == 0 ? "OK" : confirmed ? "DRIFT" : "SETTLING";
    return new JsonObject()
        .put("status", status)
        .put("redisStock", stock)
        .put("inFlight", inFlight)
        .put("drift", drift)
        .put("databaseConsistent", databaseConsistent)
        .put("lastRoundDrift", last == null ? null : (long) last.value());
  }
}
