package io.flashsale.audit;

import io.flashsale.antibot.Blacklist;
import io.flashsale.infra.LineKeys;
import io.flashsale.infra.SaleKeys;
import io.flashsale.sale.FlashSale;
import io.flashsale.sale.OpenSales;
import io.flashsale.waitingroom.AdmissionControl;
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

  /** Marks a sale's state as present in Redis (creation, warm-up), and each shard's. */
  public Future<Void> markPresent(FlashSale sale) {
    List<Future<Response>> marks = new ArrayList<>();
    for (String epoch : epochs(sale)) {
      marks.add(
          redis.send(
              Request.cmd(Command.SET).arg(epoch).arg(clock.instant().toString()).arg("NX")));
    }
    return Future.all(marks).mapEmpty();
  }

  /**
   * The sale's epoch key, then, for a line on several shards, each shard's (in shard order): each
   * lives on the master that would lose it.
   */
  private static List<String> epochs(FlashSale sale) {
    SaleKeys keys = new SaleKeys(sale.saleId());
    List<String> epochs = new ArrayList<>();
    epochs.add(keys.epoch());
    if (sale.lineShards() > 1) {
      keys.lines(sale.lineShards()).forEach(line -> epochs.add(line.epoch()));
    }
    return epochs;
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
    List<List<Future<Response>>> present = new ArrayList<>(open.size());
    List<Future<Response>> all = new ArrayList<>();
    for (FlashSale sale : open) {
      List<Future<Response>> ofSale = new ArrayList<>();
      for (String epoch : epochs(sale)) {
        ofSale.add(redis.send(Request.cmd(Command.EXISTS).arg(epoch)));
      }
      present.add(ofSale);
      all.addAll(ofSale);
    }
    return Future.all(all)
        .compose(
            answered -> {
              List<Future<Void>> rebuilt = new ArrayList<>();
              for (int i = 0; i < open.size(); i++) {
                FlashSale sale = open.get(i);
                List<Future<Response>> ofSale = present.get(i);
                if (ofSale.get(0).result().toInteger() == 0) {
                  rebuilt.add(rebuild(sale));
                }
                for (int k = 1; k < ofSale.size(); k++) {
                  if (ofSale.get(k).result().toInteger() == 0) {
                    rebuilt.add(
                        rebuildShard(
                            sale, new SaleKeys(sale.saleId()).line(k - 1, sale.lineShards())));
                  }
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
    Future<Void> winners = winnersTickets(sale, null);
    // The operator's controls (paused, rate, ended): without them a paused sale would admit again.
    Future<Response> controls = redis.send(AdmissionControl.write(keys.control(), sale));
    return Future.all(stock, buyers, winners, blacklist.loadInto(sale), controls)
        .compose(
            done -> {
              String at = clock.instant().toString();
              List<Future<Response>> marks = new ArrayList<>();
              // A line on several shards keeps its buyers when only the sale's own slot was lost
              // (each shard has its own epoch, and is rebuilt on its own when it loses its data).
              if (sale.lineShards() == 1) {
                marks.add(redis.send(Request.cmd(Command.SET).arg(keys.lineLost()).arg(at)));
              }
              marks.add(redis.send(Request.cmd(Command.SET).arg(keys.epoch()).arg(at)));
              return Future.all(marks);
            })
        .onSuccess(
            done ->
                LOG.warn(
                    "sale "
                        + sale.saleId()
                        + ": Redis state rebuilt"
                        + (sale.lineShards() == 1 ? "; the waiting line was lost" : "")))
        .mapEmpty();
  }

  /**
   * One shard of a sharded line whose master lost its data: its waiting buyers are told the line
   * was lost (and may join again), its winners' tickets, the blacklists' and controls' copies come
   * back; the stock copy comes with the next admission step.
   */
  private Future<Void> rebuildShard(FlashSale sale, LineKeys line) {
    LOG.error(
        "sale "
            + sale.saleId()
            + ": Redis has lost line shard "
            + line.shard()
            + "; rebuilding it from PostgreSQL");
    metrics.counter("flashsale.redis.rebuilds").increment();
    String at = clock.instant().toString();
    return Future.all(
            winnersTickets(sale, line),
            blacklist.loadInto(sale),
            redis.send(AdmissionControl.write(line.control(), sale)),
            redis.send(Request.cmd(Command.SET).arg(line.lineLost()).arg(at)))
        .compose(done -> redis.send(Request.cmd(Command.SET).arg(line.epoch()).arg(at)))
        .onSuccess(
            done ->
                LOG.warn(
                    "sale "
                        + sale.saleId()
                        + ": line shard "
                        + line.shard()
                        + " rebuilt; the buyers waiting on it were told the line was lost"))
        .mapEmpty();
  }

  /**
   * A RESERVED ticket for every buyer holding an order, so winners keep seeing their outcome: all
   * of them, or ({@code only} not null) those whose tickets live on that shard.
   */
  private Future<Void> winnersTickets(FlashSale sale, LineKeys only) {
    SaleKeys keys = new SaleKeys(sale.saleId());
    UUID saleId = UUID.fromString(sale.saleId());
    return pool.preparedQuery(
            """
            SELECT order_id, user_id, quantity, status FROM sale_orders
             WHERE sale_id = $1 AND status IN ('RESERVED', 'PAID')""")
        .execute(Tuple.of(saleId))
        .compose(
            rows -> {
              List<Request> writes = new ArrayList<>();
              for (var row : rows) {
                String orderId = row.getUUID("order_id").toString();
                LineKeys line = keys.lineOf(row.getString("user_id"), sale.lineShards());
                if (only != null && line.shard() != only.shard()) {
                  continue;
                }
                writes.add(
                    Request.cmd(Command.HSET)
                        .arg(line.tickets())
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
              // The tickets may live on several shards (slots): one send each.
              List<Future<Response>> sent = new ArrayList<>(writes.size());
              writes.forEach(write -> sent.add(redis.send(write)));
              return Future.all(sent).<Void>mapEmpty();
            });
  }
}
