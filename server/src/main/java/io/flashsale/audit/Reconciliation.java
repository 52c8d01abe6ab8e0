package io.flashsale.audit;

import io.flashsale.events.BuyerOutcome;
import io.flashsale.events.SaleEvents;
import io.flashsale.events.UnitsReturned;
import io.flashsale.infra.LineKeys;
import io.flashsale.infra.SaleKeys;
import io.flashsale.inventory.InFlight;
import io.flashsale.sale.FlashSale;
import io.flashsale.sale.OpenSales;
import io.flashsale.sale.SaleMeters;
import io.flashsale.waitingroom.TicketState;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Layer 3 of the oversell defence: per open sale, settles takes left in flight by a process that
 * died mid-write, then compares PostgreSQL (Σ RESERVED+PAID, quantity_sold) with Redis (stock +
 * units in flight). A discrepancy seen twice with the same figures is real, not a write caught
 * half-way: it is a gauge, an ERROR log line, an alert, and, when the database itself is
 * consistent, Redis is repaired from it. One instance per sale per round (a Redis lease); a second
 * one finding the lease held simply skips.
 */
public final class Reconciliation {

  private static final Logger LOG = LoggerFactory.getLogger(Reconciliation.class);

  /** {@code alertWebhookUrl} empty: no alert hook. */
  public record Settings(Duration staleAfter, Duration interval, String alertWebhookUrl) {}

  private record Stale(String orderId, InFlight entry) {}

  /**
   * {@code inflight}: units of in-flight entries with no order yet; {@code written}: entries whose
   * order exists.
   */
  private record Figures(
      int available, int sold, long heldOrPaid, long stock, long inflight, Set<String> written) {
    long redisDrift() {
      return stock + inflight + sold - available;
    }

    boolean databaseConsistent() {
      return heldOrPaid == sold && sold <= available;
    }
  }

  private final Pool pool;
  private final Redis redis;
  private final OpenSales openSales;
  private final Settings settings;
  private final Clock clock;
  private final MeterRegistry metrics;
  private final SaleMeters saleMeters;
  private final WebClient alerts;
  private final EventBus eventBus;
  private final String owner = UUID.randomUUID().toString();
  private final SettleInFlightScript settle;
  private final SettleTicketScript settleTicket;
  private final RepairStockScript repair;
  private final Map<String, Figures> suspicious = new ConcurrentHashMap<>();

  public Reconciliation(
      Pool pool,
      Redis redis,
      OpenSales openSales,
      WebClient alerts,
      EventBus eventBus,
      Settings settings,
      Clock clock,
      MeterRegistry metrics,
      SaleMeters saleMeters) {
    this.pool = pool;
    this.eventBus = eventBus;
    this.redis = redis;
    this.openSales = openSales;
    this.alerts = alerts;
    this.settings = settings;
    this.clock = clock;
    this.metrics = metrics;
    this.saleMeters = saleMeters;
    this.settle = new SettleInFlightScript(redis);
    this.settleTicket = new SettleTicketScript(redis);
    this.repair = new RepairStockScript(redis);
  }

  public Future<Void> loadScripts() {
    return Future.all(settle.load(), settleTicket.load(), repair.load()).mapEmpty();
  }

  /** One round over every open sale. */
  public Future<Void> round() {
    List<FlashSale> open = openSales.current();
    // A suspicion about a sale that has since ended would never be confirmed or cleared.
    suspicious.keySet().retainAll(open.stream().map(FlashSale::saleId).toList());
    return Future.join(open.stream().map(this::reconcile).toList()).mapEmpty();
  }

  /** Reconciles one sale now (if no other instance holds its lease); resolves to its drift. */
  public Future<Long> reconcile(FlashSale sale) {
    SaleKeys keys = new SaleKeys(sale.saleId());
    return redis
        .send(
            Request.cmd(Command.SET)
                .arg(keys.reconcileLease())
                .arg(owner)
                .arg("NX")
                .arg("PX")
                .arg(Math.max(1_000, settings.interval().toMillis() - 100)))
        .compose(
            lease ->
                lease == null
                    ? Future.succeededFuture(0L)
                    : settleLeftTickets(sale, keys)
                        .compose(left -> settleStale(sale, keys))
                        .compose(settled -> figures(sale, keys))
                        .compose(figures -> judge(sale, keys, figures)));
  }

  /**
   * One stale in-flight take: the units in the sale's slot, and the admitted buyer's ticket with
   * them, or after them on its own shard of a sharded line (the take waits in the settling hash in
   * between, see {@link #settleTicketAndForget}).
   */
  private Future<SettleInFlightScript.Settled> settleOne(
      FlashSale sale, SaleKeys keys, Stale entry, boolean written) {
    String userId = entry.entry().userId();
    LineKeys line = keys.lineOf(userId, sale.lineShards());
    Future<SettleInFlightScript.Settled> settled = settle.run(keys, line, entry.orderId(), written);
    if (line.inSaleSlot()) {
      return settled;
    }
    return settled.compose(
        units ->
            units.outcome() == SettleInFlightScript.Outcome.ALREADY_SETTLED
                ? Future.succeededFuture(units)
                : settleTicketAndForget(
                        keys,
                        line,
                        entry.orderId(),
                        new InFlight(userId, written ? 1 : 0, entry.entry().takenAtMillis()))
                    .map(
                        state ->
                            new SettleInFlightScript.Settled(
                                units.outcome(), units.unitsReturned(), state)));
  }

  /**
   * The ticket half of a sharded line's settled take, then its record in the settling hash
   * ("user|written|takenAtMillis", the in-flight record's shape with the database's answer for the
   * quantity). Run again from the record, it changes nothing: the ticket has moved on.
   */
  private Future<String> settleTicketAndForget(
      SaleKeys keys, LineKeys line, String orderId, InFlight record) {
    return settleTicket
        .run(line, record.userId(), orderId, record.quantity() == 1, record.takenAtMillis())
        .compose(
            state ->
                redis
                    .send(Request.cmd(Command.HDEL).arg(keys.settling()).arg(orderId))
                    .map(cleared -> state));
  }

  /**
   * Tickets a reconciler that died between a take's units and its ticket left unsettled (only a
   * sharded line has the two steps): each is settled now, as the pass that died would have.
   */
  private Future<Void> settleLeftTickets(FlashSale sale, SaleKeys keys) {
    if (sale.lineShards() == 1) {
      return Future.succeededFuture();
    }
    return redis
        .send(Request.cmd(Command.HGETALL).arg(keys.settling()))
        .compose(
            all ->
                Future.all(
                        all.getKeys().stream()
                            .map(
                                orderId -> {
                                  InFlight record = InFlight.decode(all.get(orderId).toString());
                                  return settleTicketAndForget(
                                          keys,
                                          keys.lineOf(record.userId(), sale.lineShards()),
                                          orderId,
                                          record)
                                      .onSuccess(
                                          state -> announce(sale, record.userId(), orderId, state));
                                })
                            .toList())
                    .mapEmpty());
  }

  /** A ticket this pass changed: the buyer's live feeds hear it from whichever node holds them. */
  private void announce(FlashSale sale, String userId, String orderId, String ticketState) {
    if (ticketState.isEmpty()) {
      return;
    }
    TicketState state = TicketState.valueOf(ticketState);
    SaleEvents.publish(
        eventBus,
        new BuyerOutcome(
            sale.saleId(), userId, state, state == TicketState.RESERVED ? orderId : null));
  }

  private Future<Void> settleStale(FlashSale sale, SaleKeys keys) {
    return redis
        .send(Request.cmd(Command.HGETALL).arg(keys.inflight()))
        .compose(
            all -> {
              long cutoff = clock.millis() - settings.staleAfter().toMillis();
              List<Stale> stale = new ArrayList<>();
              for (String orderId : all.getKeys()) {
                InFlight entry = InFlight.decode(all.get(orderId).toString());
                if (entry.takenAtMillis() < cutoff) {
                  stale.add(new Stale(orderId, entry));
                }
              }
              if (stale.isEmpty()) {
                return Future.succeededFuture();
              }
              UUID[] ids =
                  stale.stream()
                      .map(entry -> UUID.fromString(entry.orderId()))
                      .toArray(UUID[]::new);
              return pool.preparedQuery("SELECT order_id FROM sale_orders WHERE order_id = ANY($1)")
                  .execute(Tuple.of(ids))
                  .compose(
                      rows -> {
                        Set<String> written = new HashSet<>();
                        rows.forEach(row -> written.add(row.getUUID("order_id").toString()));
                        return Future.all(
                                stale.stream()
                                    .map(
                                        entry ->
                                            settleOne(
                                                    sale,
                                                    keys,
                                                    entry,
                                                    written.contains(entry.orderId()))
                                                .onSuccess(
                                                    settled -> {
                                                      int returned = settled.unitsReturned();
                                                      if (returned > 0) {
                                                        metrics
                                                            .counter(
                                                                "flashsale.reconciliation.units.recovered")
                                                            .increment(returned);
                                                        LOG.warn(
                                                            "sale "
                                                                + sale.saleId()
                                                                + ": "
                                                                + returned
                                                                + " unit(s) of "
                                                                + entry.entry().userId()
                                                                + " were taken but never written (order "
                                                                + entry.orderId()
                                                                + "); returned to the pool");
                                                        // The next buyer in line need not wait for
                                                        // the admission step's next tick.
                                                        SaleEvents.publish(
                                                            eventBus,
                                                            new UnitsReturned(
                                                                sale.saleId(), returned));
                                                      }
                                                      announce(
                                                          sale,
                                                          entry.entry().userId(),
                                                          entry.orderId(),
                                                          settled.ticketState());
                                                    }))
                                    .toList())
                            .mapEmpty();
                      });
            });
  }

  /**
   * Redis first, then the database: a take that commits in between is seen in flight and as
   * written, and counted once. An in-flight entry whose order the database already has (its process
   * died before clearing it, or is about to clear it) counts as sold, not in flight.
   */
  private Future<Figures> figures(FlashSale sale, SaleKeys keys) {
    return redis
        .batch(
            List.of(
                Request.cmd(Command.GET).arg(keys.stock()),
                Request.cmd(Command.HGETALL).arg(keys.inflight())))
        .compose(
            inRedis -> {
              Response stock = inRedis.get(0);
              Response entries = inRedis.get(1);
              Map<String, Integer> inflight = new HashMap<>();
              for (String orderId : entries.getKeys()) {
                inflight.put(orderId, InFlight.decode(entries.get(orderId).toString()).quantity());
              }
              UUID[] ids = inflight.keySet().stream().map(UUID::fromString).toArray(UUID[]::new);
              return pool.preparedQuery(
                      """
                  SELECT s.quantity_available, s.quantity_sold,
                         (SELECT coalesce(sum(quantity), 0) FROM sale_orders o
                           WHERE o.sale_id = s.sale_id AND o.status IN ('RESERVED', 'PAID')) AS held_or_paid,
                         (SELECT coalesce(array_agg(o.order_id::text), '{}') FROM sale_orders o
                           WHERE o.order_id = ANY($2)) AS written
                    FROM flash_sales s WHERE s.sale_id = $1""")
                  .execute(
                      Tuple.tuple().addUUID(UUID.fromString(sale.saleId())).addArrayOfUUID(ids))
                  .map(
                      rows -> {
                        Row row = rows.iterator().next();
                        Set<String> written = Set.of(row.getArrayOfStrings("written"));
                        long unwritten =
                            inflight.entrySet().stream()
                                .filter(entry -> !written.contains(entry.getKey()))
                                .mapToLong(Map.Entry::getValue)
                                .sum();
                        return new Figures(
                            row.getInteger("quantity_available"),
                            row.getInteger("quantity_sold"),
                            row.getLong("held_or_paid"),
                            stock == null ? -1 : stock.toLong(),
                            unwritten,
                            written);
                      });
            });
  }

  private Future<Long> judge(FlashSale sale, SaleKeys keys, Figures figures) {
    long drift = figures.stock() < 0 ? 0 : figures.redisDrift();
    saleMeters.gauge("flashsale.reconciliation.drift", sale.saleId()).set(drift);
    if (!figures.databaseConsistent()) {
      String message =
          "sale "
              + sale.saleId()
              + ": the DATABASE is inconsistent: RESERVED+PAID = "
              + figures.heldOrPaid()
              + ", quantity_sold = "
              + figures.sold()
              + ", available = "
              + figures.available();
      LOG.error(message);
      return alert(sale, "DATABASE_INCONSISTENT", message, figures).map(drift);
    }
    if (drift == 0) {
      suspicious.remove(sale.saleId());
      return Future.succeededFuture(0L);
    }
    // A write caught half-way looks like drift for an instant; the same figures twice do not.
    if (!figures.equals(suspicious.put(sale.saleId(), figures))) {
      return Future.succeededFuture(drift);
    }
    suspicious.remove(sale.saleId());
    String message =
        "sale "
            + sale.saleId()
            + ": Redis stock "
            + figures.stock()
            + " + in flight "
            + figures.inflight()
            + " + sold "
            + figures.sold()
            + " != available "
            + figures.available()
            + " (drift "
            + drift
            + "); repairing Redis from the database";
    LOG.error(message);
    metrics.counter("flashsale.reconciliation.repairs").increment();
    return repair
        .run(keys, figures.available() - figures.sold(), figures.written())
        .compose(repaired -> alert(sale, "REDIS_DRIFT_REPAIRED", message, figures))
        .map(drift);
  }

  private Future<Void> alert(FlashSale sale, String kind, String message, Figures figures) {
    metrics.counter("flashsale.reconciliation.discrepancies", "kind", kind).increment();
    if (settings.alertWebhookUrl().isBlank()) {
      return Future.succeededFuture();
    }
    JsonObject body =
        new JsonObject()
            .put("kind", kind)
            .put("saleId", sale.saleId())
            .put("message", message)
            .put("quantityAvailable", figures.available())
            .put("quantitySold", figures.sold())
            .put("heldOrPaid", figures.heldOrPaid())
            .put("redisStock", figures.stock())
            .put("inFlight", figures.inflight());
    return alerts
        .postAbs(settings.alertWebhookUrl())
        .timeout(5_000)
        .sendJsonObject(body)
        .onFailure(e -> LOG.warn("alert hook did not answer", e))
        .otherwiseEmpty()
        .mapEmpty();
  }
}
