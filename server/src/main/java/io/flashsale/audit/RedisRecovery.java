package io.flashsale.audit;

import io.flashsale.antibot.Blacklist;
import io.flashsale.infra.SaleKeys;
import io.flashsale.sale.FlashSale;
import io.flashsale.sale.OpenSales;
import io.flashsale.waitingroom.Ticket;
import io.flashsale.waitingroom.TicketState;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Notices when Redis has lost a sale's state (a restart without persistence, a failover to a
 * replica that lagged) by the sale's epoch key being gone, and rebuilds that state from PostgreSQL:
 * the stock counter (units the database has not sold), each buyer's count, the blacklists, and a
 * ticket for every buyer holding an order, so winners keep seeing their outcome. The waiting line
 * itself cannot be rebuilt; buyers who were waiting are told it was lost, and when, and may join
 * again.
 */
public final class RedisRecovery {

  private static final Logger LOG = LoggerFactory.getLogger(RedisRecovery.class);
  private static final int CHUNK = 1_000;

  private final Pool pool;
  private final Redis redis;
  private final OpenSales openSales;
  private final Blacklist blacklist;
  private final Clock clock;
  private final MeterRegistry metrics;

  public RedisRecovery(
      Pool pool,
      Redis redis,
      OpenSales openSales,
      Blacklist blacklist,
      Clock clock,
      MeterRegistry metrics) {
    this.pool = pool;
    this.redis = redis;
    this.openSales = openSales;
    this.blacklist = blacklist;
    this.clock = clock;
    this.metrics = metrics;
  }

  /** Marks a sale's state as present in Redis (creation, warm-up). */
  public Future<Void> markPresent(String saleId) {
    return redis
        .send(
            Request.cmd(Command.SET)
                .arg(new SaleKeys(saleId).epoch())
                .arg(clock.instant().toString())
                .arg("NX"))
        .mapEmpty();
  }

  /** One check over every open sale; rebuilds the ones Redis has forgotten. */
  public Future<Integer> check() {
    return check(openSales.current());
  }

  /** Checks these sales (at start-up, before anything else touches them). */
  public Future<Integer> check(List<FlashSale> open) {
    if (open.isEmpty()) {
      return Future.succeededFuture(0);
    }
    // One EXISTS per sale, not one batch: on Redis Cluster the sales' keys live on different
    // masters,
    // and a batch must stay on one node (the client refuses it with CROSSSLOT).
    List<Future<Response>> present =
        open.stream()
            .map(
                sale ->
                    redis.send(
                        Request.cmd(Command.EXISTS).arg(new SaleKeys(sale.saleId()).epoch())))
            .toList();
    return Future.all(present)
        .compose(
            answered -> {
              List<Future<Void>> rebuilt = new ArrayList<>();
              for (int i = 0; i < open.size(); i++) {
                if (present.get(i).result().toInteger() == 0) {
                  rebuilt.add(rebuild(open.get(i)));
                }
              }
              return Future.all(rebuilt).map(rebuilt.size());
            });
  }

  private Future<Void> rebuild(FlashSale sale) {
    SaleKeys keys = new SaleKeys(sale.saleId());
    UUID saleId = UUID.fromString(sale.saleId());
    LOG.error(
        "sale " + sale.saleId() + ": Redis has lost its state; rebuilding it from PostgreSQL");
    metrics.counter("flashsale.redis.rebuilds").increment();
    Future<Void> stock =
        pool.preparedQuery(
                "SELECT quantity_available - quantity_sold AS free FROM flash_sales WHERE sale_id = $1")
            .execute(Tuple.of(saleId))
            .compose(
                rows ->
                    redis.send(
                        Request.cmd(Command.SET)
                            .arg(keys.stock())
                            .arg(rows.iterator().next().getInteger("free"))))
            .mapEmpty();
    Future<Void> buyers =
        pool.preparedQuery(
                "SELECT user_id, quantity_purchased FROM user_sale_eligibility WHERE sale_id = $1 AND quantity_purchased > 0")
            .execute(Tuple.of(saleId))
            .compose(
                rows -> {
                  List<Request> writes = new ArrayList<>();
                  Request hset = null;
                  int n = 0;
                  for (var row : rows) {
                    if (n++ % CHUNK == 0) {
                      hset = Request.cmd(Command.HSET).arg(keys.buyers());
                      writes.add(hset);
                    }
                    hset.arg(row.getString("user_id")).arg(row.getInteger("quantity_purchased"));
                  }
                  return writes.isEmpty()
                      ? Future.succeededFuture()
                      : redis.batch(writes).<Void>mapEmpty();
                });
    Future<Void> winners =
        pool.preparedQuery(
                """
            SELECT order_id, user_id, quantity, status FROM sale_orders
             WHERE sale_id = $1 AND status IN ('RESERVED', 'PAID')""")
            .execute(Tuple.of(saleId))
            .compose(
                rows -> {
                  List<Request> writes = new ArrayList<>();
                  for (var row : rows) {
                    String orderId = row.getUUID("order_id").toString();
                    writes.add(
                        Request.cmd(Command.HSET)
                            .arg(keys.tickets())
                            .arg(row.getString("user_id"))
                            .arg(
                                new Ticket(
                                        orderId,
                                        0,
                                        row.getInteger("quantity"),
                                        TicketState.RESERVED,
                                        orderId,
                                        0)
                                    .encode()));
                  }
                  return writes.isEmpty()
                      ? Future.succeededFuture()
                      : redis.batch(writes).<Void>mapEmpty();
                });
    return Future.all(stock, buyers, winners, blacklist.loadInto(sale.saleId()))
        .compose(
            done ->
                redis.batch(
                    List.of(
                        Request.cmd(Command.SET)
                            .arg(keys.lineLost())
                            .arg(clock.instant().toString()),
                        Request.cmd(Command.SET)
                            .arg(keys.epoch())
                            .arg(clock.instant().toString()))))
        .onSuccess(
            done ->
                LOG.warn(
                    "sale " + sale.saleId() + ": Redis state rebuilt; the waiting line was lost"))
        .mapEmpty();
  }
}
