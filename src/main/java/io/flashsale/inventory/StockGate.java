package io.flashsale.inventory;

import io.flashsale.antibot.RateLimits;
import io.flashsale.infra.LuaScript;
import io.flashsale.infra.SaleKeys;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Layer 1: the sale's stock counter in Redis, taken and returned only by atomic scripts. */
public final class StockGate {

  public enum Outcome { TAKEN, LIMIT, SOLD_OUT, NOT_LOADED, BLACKLISTED, BLACKLISTED_DEVICE, RATE_LIMITED }

  /**
   * {@code number} is the stock left after TAKEN or SOLD_OUT, the units already held after
   * LIMIT, the milliseconds to wait after RATE_LIMITED; {@code refusedBy} names the rate limit
   * that refused (null otherwise).
   */
  public record Take(Outcome outcome, long number, RateLimits.Check refusedBy) {}

  /** One buyer's ask in a batch: {@code device} is their fingerprint or "", {@code limits} the rate limits to pass first. */
  public record Ask(String userId, String device, int quantity, int perUserLimit, String orderId,
                    List<RateLimits.Check> limits) {}

  /** Units going back: {@code inflightOrderId} names the take the database refused, or is "" for a released order. */
  public record Return(String userId, int quantity, String inflightOrderId) {}

  private final Redis redis;
  private final LuaScript take = LuaScript.fromResource("take_stock");
  private final LuaScript giveBack = LuaScript.fromResource("return_stock");

  public StockGate(Redis redis) {
    this.redis = redis;
  }

  public Future<Void> loadScripts() {
    return Future.all(take.load(redis), giveBack.load(redis)).mapEmpty();
  }

  /**
   * The asks of a batch, in order, in one atomic script call: each buyer's rate limits,
   * blacklists, own limit, then the stock. One answer per ask, in the same order.
   */
  public Future<List<Take>> takeAll(String saleId, List<Ask> asks) {
    SaleKeys keys = new SaleKeys(saleId);
    List<String> scriptKeys = new ArrayList<>(List.of(keys.stock(), keys.buyers(), keys.blacklist(),
        keys.blacklistedDevices(), keys.rejections(), keys.inflight()));
    Map<String, Integer> limitKeyIndex = new HashMap<>();
    List<String> args = new ArrayList<>(1 + asks.size() * 6);
    args.add(Integer.toString(asks.size()));
    for (Ask ask : asks) {
      args.add(ask.userId());
      args.add(ask.device());
      args.add(Integer.toString(ask.quantity()));
      args.add(Integer.toString(ask.perUserLimit()));
      args.add(ask.orderId());
      args.add(Integer.toString(ask.limits().size()));
      for (RateLimits.Check limit : ask.limits()) {
        args.add(Integer.toString(limitKeyIndex.computeIfAbsent(limit.key(), key -> {
          scriptKeys.add(key);
          return scriptKeys.size();
        })));
        args.add(Long.toString(limit.intervalMillis()));
        args.add(Integer.toString(limit.burst()));
      }
    }
    return take.run(redis, scriptKeys, args).map(reply -> {
      List<Take> takes = new ArrayList<>(asks.size());
      for (int i = 0; i < asks.size(); i++) {
        Outcome outcome = Outcome.valueOf(reply.get(3 * i).toString());
        int refusing = reply.get(3 * i + 2).toInteger();
        takes.add(new Take(outcome, reply.get(3 * i + 1).toLong(),
            outcome == Outcome.RATE_LIMITED ? asks.get(i).limits().get(refusing - 1) : null));
      }
      return takes;
    });
  }

  /**
   * Returns units of one sale in one atomic call: those of released orders ({@code
   * inflightOrderId} empty), or those taken for orders the database refused. One answer per
   * return: the stock after it, -1 if Redis had lost the counter, -2 if reconciliation had
   * already settled that in-flight take.
   */
  public Future<List<Integer>> giveBackAll(String saleId, List<Return> returns) {
    SaleKeys keys = new SaleKeys(saleId);
    List<String> args = new ArrayList<>(3 * returns.size());
    returns.forEach(back -> {
      args.add(back.userId());
      args.add(Integer.toString(back.quantity()));
      args.add(back.inflightOrderId());
    });
    return giveBack.run(redis, List.of(keys.stock(), keys.buyers(), keys.inflight()), args)
        .map(reply -> {
          List<Integer> after = new ArrayList<>(reply.size());
          reply.forEach(each -> after.add(each.toInteger()));
          return after;
        });
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
    return redis.send(Request.cmd(Command.SET).arg(new SaleKeys(saleId).stock()).arg(freeUnits).arg("NX"))
        .map(reply -> reply != null);
  }

  /** The counter as Redis has it, or -1 when it is not loaded. */
  public Future<Integer> stock(String saleId) {
    return redis.send(Request.cmd(Command.GET).arg(new SaleKeys(saleId).stock()))
        .map(reply -> reply == null ? -1 : reply.toInteger());
  }
}
