package io.flashsale.audit;

import io.flashsale.infra.RedisScript;
import io.flashsale.infra.SaleKeys;
import io.vertx.core.Future;
import io.vertx.redis.client.Redis;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * {@code repair_stock.lua}: sets a sale's stock counter from the database, less what is in flight.
 */
final class RepairStockScript extends RedisScript {

  RepairStockScript(Redis redis) {
    super(redis, "repair_stock");
  }

  /**
   * {@code unsold}: available less sold, as the database has it; {@code written}: in-flight orders
   * it already has.
   */
  Future<Void> run(SaleKeys keys, long unsold, Collection<String> written) {
    List<String> args = new ArrayList<>(1 + written.size());
    args.add(Long.toString(unsold));
    args.addAll(written);
    return call(keys(keys), args).mapEmpty();
  }

  /** The keys, in the order the script's header names them. */
  static List<String> keys(SaleKeys keys) {
    return List.of(keys.stock(), keys.inflight());
  }
}
