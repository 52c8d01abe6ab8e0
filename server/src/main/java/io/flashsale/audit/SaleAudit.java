package io.flashsale.audit;

import io.flashsale.infra.LineKeys;
import io.flashsale.infra.SaleKeys;
import io.flashsale.waitingroom.LineFigures;
import io.flashsale.waitingroom.Ticket;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * One sale's books: PostgreSQL's figures, Redis' figures, the admission timeline and the winners
 * with their queue numbers, and SPEC section 10's invariants judged on them.
 */
public final class SaleAudit {

  private static final int MAX_WINNERS_LISTED = 10_000;

  private final Pool pool;
  private final Redis redis;

  public SaleAudit(Pool pool, Redis redis) {
    this.pool = pool;
    this.redis = redis;
  }

  /** Empty if there is no such sale. */
  public Future<JsonObject> report(UUID saleId) {
    return pool.preparedQuery(
            """
            SELECT s.quantity_available, s.quantity_sold, s.per_user_limit, s.status, s.admission_rate_per_second,
                   s.line_shards,
                   coalesce(sum(o.quantity) FILTER (WHERE o.status IN ('RESERVED', 'PAID')), 0) AS held_or_paid,
                   coalesce(sum(o.quantity) FILTER (WHERE o.status = 'RESERVED'), 0) AS held,
                   coalesce(sum(o.quantity) FILTER (WHERE o.status = 'PAID'), 0) AS paid,
                   count(o.order_id) FILTER (WHERE o.status = 'CANCELLED') AS cancelled,
                   count(o.order_id) FILTER (WHERE o.status = 'EXPIRED') AS expired,
                   count(o.order_id) AS orders,
                   min(o.reserved_at) AS first_reserved, max(o.reserved_at) AS last_reserved,
                   percentile_cont(0.1) WITHIN GROUP (ORDER BY extract(epoch FROM o.reserved_at)) AS p10_epoch,
                   percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM o.reserved_at)) AS p90_epoch,
                   (SELECT coalesce(max(u.units), 0) FROM (
                      SELECT sum(quantity) AS units FROM sale_orders
                       WHERE sale_id = s.sale_id AND status IN ('RESERVED', 'PAID') GROUP BY user_id) u) AS max_per_user
              FROM flash_sales s LEFT JOIN sale_orders o ON o.sale_id = s.sale_id
             WHERE s.sale_id = $1
             GROUP BY s.sale_id""")
        .execute(Tuple.of(saleId))
        .compose(
            rows ->
                rows.size() == 0
                    ? Future.succeededFuture(null)
                    : withRedis(saleId, rows.iterator().next()));
  }

  private Future<JsonObject> withRedis(UUID saleId, Row db) {
    SaleKeys keys = new SaleKeys(saleId.toString());
    int shards = db.getInteger("line_shards");
    Future<Response> stock = redis.send(Request.cmd(Command.GET).arg(keys.stock()));
    Future<LineFigures> line = LineFigures.read(redis, saleId.toString(), shards);
    Future<List<Winner>> winners = winners(saleId, keys, shards);
    return Future.all(stock, line, winners)
        .map(all -> judge(db, stock.result(), line.result(), winners.result()));
  }

  /**
   * A buyer who got an order: {@code units} still held or paid (0 if their orders ended), their
   * place on their line shard.
   */
  private record Winner(
      String userId, int quantity, int shard, long queueNumber, long admittedAtMillis) {}

  private Future<List<Winner>> winners(UUID saleId, SaleKeys keys, int shards) {
    return pool.preparedQuery(
            """
            SELECT user_id, coalesce(sum(quantity) FILTER (WHERE status IN ('RESERVED', 'PAID')), 0) AS units
              FROM sale_orders WHERE sale_id = $1
             GROUP BY user_id ORDER BY min(reserved_at) LIMIT $2""")
        .execute(Tuple.of(saleId, MAX_WINNERS_LISTED))
        .compose(
            rows -> {
              List<String> users = new ArrayList<>(rows.size());
              List<Integer> units = new ArrayList<>(rows.size());
              rows.forEach(
                  row -> {
                    users.add(row.getString("user_id"));
                    units.add(row.getLong("units").intValue());
                  });
              if (users.isEmpty()) {
                return Future.succeededFuture(List.of());
              }
              // One HMGET per shard, for the winners whose tickets it holds.
              Map<Integer, List<Integer>> byShard = new HashMap<>();
              for (int i = 0; i < users.size(); i++) {
                byShard
                    .computeIfAbsent(LineKeys.shardOf(users.get(i), shards), k -> new ArrayList<>())
                    .add(i);
              }
              Ticket[] tickets = new Ticket[users.size()];
              List<Future<Void>> reads = new ArrayList<>(byShard.size());
              byShard.forEach(
                  (shard, indexes) -> {
                    Request read =
                        Request.cmd(Command.HMGET).arg(keys.line(shard, shards).tickets());
                    indexes.forEach(i -> read.arg(users.get(i)));
                    reads.add(
                        redis
                            .send(read)
                            .map(
                                reply -> {
                                  for (int j = 0; j < indexes.size(); j++) {
                                    Response ticket = reply.get(j);
                                    tickets[indexes.get(j)] =
                                        ticket == null ? null : Ticket.decode(ticket.toString());
                                  }
                                  return null;
                                }));
                  });
              return Future.all(reads)
                  .map(
                      done -> {
                        List<Winner> winners = new ArrayList<>(users.size());
                        for (int i = 0; i < users.size(); i++) {
                          Ticket ticket = tickets[i];
                          winners.add(
                              new Winner(
                                  users.get(i),
                                  units.get(i),
                                  LineKeys.shardOf(users.get(i), shards),
                                  ticket == null ? 0 : ticket.number(),
                                  ticket == null ? 0 : ticket.admittedAtMillis()));
                        }
                        return winners;
                      });
            });
  }

  /**
   * The steady rate: the middle 80% of events over the time they took, so neither a first batch nor
   * the stragglers of the last one skew it. Null when there is too little to measure.
   */
  private static Double steadyRate(long events, Double p10Seconds, Double p90Seconds) {
    if (p10Seconds == null || p90Seconds == null || p90Seconds <= p10Seconds) {
      return null;
    }
    return Math.round(0.8 * events / (p90Seconds - p10Seconds) * 10) / 10.0;
  }

  private static JsonObject rejections(Map<String, Long> tally) {
    JsonObject byReason = new JsonObject();
    tally.forEach(byReason::put);
    return byReason;
  }

  /**
   * Everyone listed was let out in line order on their shard: on each shard, places 1..n with
   * nobody skipped.
   */
  private static boolean inLineOrder(List<Winner> buyers) {
    Map<Integer, long[]> byShard = new HashMap<>();
    for (Winner buyer : buyers) {
      if (buyer.queueNumber() <= 0) {
        return false;
      }
      long[] countAndMax = byShard.computeIfAbsent(buyer.shard(), k -> new long[2]);
      countAndMax[0]++;
      countAndMax[1] = Math.max(countAndMax[1], buyer.queueNumber());
    }
    return byShard.values().stream().allMatch(countAndMax -> countAndMax[0] == countAndMax[1]);
  }

  private static JsonObject judge(
      Row db, Response stockRead, LineFigures line, List<Winner> buyers) {
    int available = db.getInteger("quantity_available");
    int sold = db.getInteger("quantity_sold");
    long heldOrPaid = db.getLong("held_or_paid");
    long maxPerUser = db.getLong("max_per_user");
    int limit = db.getInteger("per_user_limit");
    long stock = stockRead == null ? -1 : stockRead.toLong();
    long orders = db.getLong("orders");
    OffsetDateTime first = db.getOffsetDateTime("first_reserved");
    OffsetDateTime last = db.getOffsetDateTime("last_reserved");
    Double reservationRate =
        steadyRate(orders, db.getDouble("p10_epoch"), db.getDouble("p90_epoch"));
    // The list stops at the first MAX_WINNERS_LISTED winners: their admission times would give
    // the rate of the sale's start only, so a longer sale is measured by its reservations.
    boolean truncated = buyers.size() >= MAX_WINNERS_LISTED;
    long[] admittedAt =
        buyers.stream().mapToLong(Winner::admittedAtMillis).filter(t -> t > 0).sorted().toArray();
    Double admissionRate =
        truncated || admittedAt.length < 10
            ? null
            : steadyRate(
                admittedAt.length,
                admittedAt[admittedAt.length / 10] / 1000.0,
                admittedAt[admittedAt.length * 9 / 10] / 1000.0);

    List<Winner> admitted = buyers;
    List<Winner> winners = buyers.stream().filter(w -> w.quantity() > 0).toList();
    long queued = winners.stream().filter(w -> w.queueNumber() > 0).count();
    long maxWinnerNumber = winners.stream().mapToLong(Winner::queueNumber).max().orElse(0);
    JsonArray winnerList = new JsonArray();
    winners.forEach(
        w ->
            winnerList.add(
                new JsonObject()
                    .put("userId", w.userId())
                    .put("units", w.quantity())
                    .put("queueNumber", w.queueNumber())));

    return new JsonObject()
        .put(
            "database",
            new JsonObject()
                .put("status", db.getString("status"))
                .put("quantityAvailable", available)
                .put("quantitySold", sold)
                .put("heldOrPaidUnits", heldOrPaid)
                .put("heldUnits", db.getLong("held"))
                .put("paidUnits", db.getLong("paid"))
                .put("cancelledOrders", db.getLong("cancelled"))
                .put("expiredOrders", db.getLong("expired"))
                .put("orders", orders)
                .put("maxUnitsPerUser", maxPerUser)
                .put("perUserLimit", limit))
        .put(
            "redis",
            new JsonObject()
                .put("stock", stock)
                .put("waiting", line.waiting())
                .put("prequeue", line.prequeue())
                .put("tickets", line.joined())
                // With a sharded line, the sum of the shards' last admitted numbers.
                .put("lastAdmittedQueueNumber", line.admittedTo()))
        .put(
            "admission",
            new JsonObject()
                .put("configuredPerSecond", db.getInteger("admission_rate_per_second"))
                .put("firstReservedAt", first == null ? null : first.toInstant().toString())
                .put("lastReservedAt", last == null ? null : last.toInstant().toString())
                .put("measuredPerSecond", admissionRate != null ? admissionRate : reservationRate)
                .put("admissionsPerSecond", admissionRate)
                .put("reservationsPerSecond", reservationRate))
        .put(
            "fairness",
            new JsonObject()
                .put("winners", winners.size())
                .put("winnersFromTheLine", queued)
                .put("highestWinningQueueNumber", maxWinnerNumber)
                // Over a truncated list these cannot be judged (null): a slow card passed on
                // purpose is
                // admitted after the buyers behind it, so the listed prefix may miss a lower
                // number.
                .put("winnersAreHeadOfLine", truncated ? null : inLineOrder(winners))
                // With units coming back, later buyers win too: what must hold is that everyone let
                // out of the line was let out in line order, places 1..n with nobody skipped.
                .put("admitted", admitted.size())
                .put("admittedInLineOrder", truncated ? null : inLineOrder(admitted))
                // True when only the first MAX_WINNERS_LISTED winners (by reservation time) were
                // read:
                // the figures above are about them.
                .put("truncated", truncated))
        .put("botRejections", rejections(line.rejections()))
        .put("winners", winnerList)
        .put(
            "invariants",
            new JsonObject()
                .put("I1", heldOrPaid <= available && heldOrPaid == sold)
                .put("I2", maxPerUser <= limit)
                .put("I3", sold == available)
                .put("I4", stock >= 0 && stock + sold == available));
  }
}
