package io.flashsale.inventory;

import io.flashsale.infra.LuaScript;
import io.flashsale.infra.SaleKeys;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.List;

/** Layer 1: the sale's stock counter in Redis, taken and returned only by atomic scripts. */
public final class StockGate {

  public enum Outcome { TAKEN, LIMIT, SOLD_OUT, NOT_LOADED, BLACKLISTED, BLACKLISTED_DEVICE }

  /** {@code number} is the stock left after TAKEN or SOLD_OUT, the units already held after LIMIT. */
  public record Take(Outcome outcome, int number) {}

  private final Redis redis;
  private final LuaScript take = LuaScript.fromResource("take_stock");
  private final LuaScript giveBack = LuaScript.fromResource("return_stock");

  public StockGate(Redis redis) {
    this.redis = redis;
  }

  public Future<Void> loadScripts() {
    return Future.all(take.load(redis), giveBack.load(redis)).mapEmpty();
  }

  /** {@code device} is the buyer's device fingerprint, or "" if they sent none. */
  public Future<Take> tryTake(String saleId, String userId, String device, int quantity, int perUserLimit,
                              String orderId) {
    SaleKeys keys = new SaleKeys(saleId);
    return take.run(redis,
            List.of(keys.stock(), keys.buyers(), keys.blacklist(), keys.blacklistedDevices(), keys.rejections(),
                keys.inflight()),
            List.of(userId, Integer.toString(quantity), Integer.toString(perUserLimit), device, orderId))
        .map(reply -> new Take(Outcome.valueOf(reply.get(0).toString()), reply.get(1).toInteger()));
  }

  /**
   * Returns units: those of a released order ({@code inflightOrderId} empty), or those taken by
   * {@link #tryTake} for an order the database refused. Resolves to the stock after, -1 if Redis
   * had lost it, -2 if reconciliation had already settled that in-flight take.
   */
  public Future<Integer> giveBack(String saleId, String userId, int quantity, String inflightOrderId) {
    SaleKeys keys = new SaleKeys(saleId);
    return giveBack.run(redis, List.of(keys.stock(), keys.buyers(), keys.inflight()),
            List.of(userId, Integer.toString(quantity), inflightOrderId))
        .map(Response::toInteger);
  }

  /** The database confirmed the order: its take is no longer in flight. */
  public Future<Void> settled(String saleId, String orderId) {
    return redis.send(Request.cmd(Command.HDEL).arg(new SaleKeys(saleId).inflight()).arg(orderId)).mapEmpty();
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
