package io.flashsale.inventory;

import io.flashsale.infra.RedisScript;
import io.flashsale.infra.SaleKeys;
import io.flashsale.inventory.StockGate.Return;
import io.vertx.core.Future;
import io.vertx.redis.client.Redis;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code return_stock.lua}: units of one sale going back, in one atomic call; one {@link Returned}
 * per return.
 */
final class ReturnStockScript extends RedisScript {

  enum Outcome {
    RETURNED,
    NOT_LOADED,
    ALREADY_SETTLED
  }

  /** {@code stockAfter} is the counter after a RETURNED, 0 otherwise. */
  record Returned(Outcome outcome, long stockAfter) {}

  ReturnStockScript(Redis redis) {
    super(redis, "return_stock");
  }

  Future<List<Returned>> run(SaleKeys keys, List<Return> returns) {
    List<String> args = new ArrayList<>(3 * returns.size());
    returns.forEach(
        back -> {
          args.add(back.userId());
          args.add(Integer.toString(back.quantity()));
          args.add(back.inflightOrderId());
        });
    return call(keys(keys), args)
        .map(
            reply -> {
              List<Returned> results = new ArrayList<>(returns.size());
              while (reply.hasMore()) {
                results.add(new Returned(Outcome.valueOf(reply.string()), reply.number()));
              }
              return results;
            });
  }

  /** The keys, in the order the script's header names them. */
  static List<String> keys(SaleKeys keys) {
    return List.of(keys.stock(), keys.buyers(), keys.inflight());
  }
}
