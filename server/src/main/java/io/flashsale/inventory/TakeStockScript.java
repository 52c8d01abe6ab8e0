package io.flashsale.inventory;

import io.flashsale.antibot.RateLimits;
import io.flashsale.infra.RedisScript;
import io.flashsale.infra.SaleKeys;
import io.flashsale.inventory.StockGate.Ask;
import io.flashsale.inventory.StockGate.Outcome;
import io.flashsale.inventory.StockGate.Take;
import io.vertx.core.Future;
import io.vertx.redis.client.Redis;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code take_stock.lua}: the asks of a batch, in order, in one atomic call; one {@link Take} per
 * ask.
 */
final class TakeStockScript extends RedisScript {

  TakeStockScript(Redis redis) {
    super(redis, "take_stock");
  }

  /**
   * {@code limited}: per ask, in order, the refusal of its rate limits (already counted), or null.
   */
  Future<List<Take>> run(SaleKeys keys, List<Ask> asks, List<RateLimits.Refusal> limited) {
    List<String> args = new ArrayList<>(1 + asks.size() * 6);
    args.add(Integer.toString(asks.size()));
    for (int i = 0; i < asks.size(); i++) {
      Ask ask = asks.get(i);
      args.add(ask.userId());
      args.add(ask.device());
      args.add(Integer.toString(ask.quantity()));
      args.add(Integer.toString(ask.perUserLimit()));
      args.add(ask.orderId());
      args.add(limited.get(i) != null ? Outcome.RATE_LIMITED.name() : "");
    }
    return call(keys(keys), args)
        .map(
            reply -> {
              List<Take> takes = new ArrayList<>(asks.size());
              for (int i = 0; i < asks.size(); i++) {
                Outcome outcome = Outcome.valueOf(reply.string());
                long number = reply.number();
                reply.number();
                takes.add(
                    new Take(
                        outcome, number, outcome == Outcome.RATE_LIMITED ? limited.get(i) : null));
              }
              return takes;
            });
  }

  /** The keys, in the order the script's header names them. */
  static List<String> keys(SaleKeys keys) {
    return List.of(
        keys.stock(),
        keys.buyers(),
        keys.blacklist(),
        keys.blacklistedDevices(),
        keys.rejections(),
        keys.inflight());
  }
}
