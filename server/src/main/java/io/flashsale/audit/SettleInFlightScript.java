package io.flashsale.audit;

import io.flashsale.infra.LineKeys;
import io.flashsale.infra.RedisScript;
import io.flashsale.infra.SaleKeys;
import io.vertx.core.Future;
import io.vertx.redis.client.Redis;
import java.util.List;

/** {@code settle_inflight.lua}: settles one in-flight take that has been pending too long. */
final class SettleInFlightScript extends RedisScript {

  enum Outcome {
    ALREADY_SETTLED,
    WRITTEN,
    RETURNED
  }

  /**
   * {@code unitsReturned} to the pool (0 unless RETURNED); {@code ticketState} the admitted buyer's
   * ticket state now (RESERVED, or QUEUED when back in line), "" when no admission was settled.
   */
  record Settled(Outcome outcome, int unitsReturned, String ticketState) {}

  SettleInFlightScript(Redis redis) {
    super(redis, "settle_inflight");
  }

  /** {@code written}: the database has the order. */
  Future<Settled> run(SaleKeys keys, LineKeys line, String orderId, boolean written) {
    return call(keys(keys, line), List.of(orderId, written ? "1" : "0"))
        .map(
            reply -> new Settled(Outcome.valueOf(reply.string()), reply.integer(), reply.string()));
  }

  /** The keys, in the order the script's header names them. */
  static List<String> keys(SaleKeys keys, LineKeys line) {
    if (!line.inSaleSlot()) {
      // The ticket is settled on its own shard (SettleTicketScript); until then the take waits in
      // the settling hash.
      return List.of(
          keys.inflight(), keys.stock(), keys.buyers(), keys.admittedTickets(), keys.settling());
    }
    return List.of(
        keys.inflight(),
        keys.stock(),
        keys.buyers(),
        keys.admittedTickets(),
        line.tickets(),
        line.line(),
        line.waiting());
  }
}
