package io.flashsale.inventory;

import io.flashsale.antibot.RateLimits;
import io.flashsale.infra.SaleKeys;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.util.List;

/** Layer 1: the sale's stock counter in Redis, taken and returned only by atomic scripts. */
public final class StockGate {

  public enum Outcome {
    TAKEN,
    LIMIT,
    SOLD_OUT,
    NOT_LOADED,
    BLACKLISTED,
    BLACKLISTED_DEVICE,
    RATE_LIMITED
  }

  /**
   * {@code number} is the stock left after TAKEN or SOLD_OUT, the units already held after LIMIT;
   * {@code limited} is the rate limit that refused and the wait, after RATE_LIMITED (null
   * otherwise).
   */
  public record Take(Outcome outcome, long number, RateLimits.Refusal limited) {}

  /**
   * One buyer's ask in a batch: {@code device} is their fingerprint or "", {@code limits} the rate
   * limits to pass first (the batch counts them before it takes any stock).
   */
  public record Ask(
      String userId,
      String device,
      int quantity,
      int perUserLimit,
      String orderId,
      List<RateLimits.Check> limits) {}

  /**
   * Units going back: {@code inflightOrderId} names the take the database refused, or is "" for a
   * released order.
   */
  public record Return(String userId, int quantity, String inflightOrderId) {}

  private final Redis redis;
  private final RateLimits rateLimits;
  private final TakeStockScript take;
  private final ReturnStockScript giveBack;

  public StockGate(Redis redis, RateLimits rateLimits) {
    this.redis = redis;
    this.rateLimits = rateLimits;
    this.take = new TakeStockScript(redis);
    this.giveBack = new ReturnStockScript(redis);
  }

  public Future<Void> loadScripts() {
    return Future.all(take.load(), giveBack.load()).mapEmpty();
  }

  /**
   * The asks of a batch, in order: every ask counts against its rate limits (one round trip for the
   * batch), then one atomic script call refuses those over a limit and checks the others'
   * blacklists, own limit, then the stock. One answer per ask, in the same order. {@code
   * lineShards}: the sale's, which places its rate-limit counters.
   */
  public Future<List<Take>> takeAll(String saleId, int lineShards, List<Ask> asks) {
    SaleKeys keys = new SaleKeys(saleId);
    return rateLimits
        .count(keys, lineShards, asks.stream().map(Ask::limits).toList())
        .compose(limited -> take.run(keys, asks, limited));
  }

  /**
   * Returns units of one sale in one atomic call: those of released orders ({@code inflightOrderId}
   * empty), or those taken for orders the database refused. One answer per return: the stock after
   * it, -1 if Redis had lost the counter, -2 if reconciliation had already settled that in-flight
   * take.
   */
  public Future<List<Integer>> giveBackAll(String saleId, List<Return> returns) {
    return giveBack
        .run(new SaleKeys(saleId), returns)
        .map(
            results ->
                results.stream()
                    .map(
                        result ->
                            switch (result.outcome()) {
                              case RETURNED -> (int) result.stockAfter();
                              case NOT_LOADED -> -1;
                              case ALREADY_SETTLED -> -2;
                            })
                    .toList());
  }

  /** The database confirmed these orders: their takes are no longer in flight. */
  public Future<Void> settled(String saleId, List<String> orderIds) {
    if (orderIds.isEmpty()) {
      return Future.succeededFuture();
    }
    Request hdel = Request.cmd(Command.HDEL).arg(new SaleKeys(saleId).inflight());
    orderIds.forEach(hdel::arg);
    return redis.send(hdel).mapEmpty();
  }

  /** Puts the sale's free units into Redis unless a counter is already there. */
  public Future<Boolean> loadIfAbsent(String saleId, int freeUnits) {
    return redis
        .send(Request.cmd(Command.SET).arg(new SaleKeys(saleId).stock()).arg(freeUnits).arg("NX"))
        .map(reply -> reply != null);
  }

  /** The counter as Redis has it, or -1 when it is not loaded. */
  public Future<Integer> stock(String saleId) {
    return redis
        .send(Request.cmd(Command.GET).arg(new SaleKeys(saleId).stock()))
        .map(reply -> reply == null ? -1 : reply.toInteger());
  }
}
