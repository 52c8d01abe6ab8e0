package io.flashsale.audit;

import io.flashsale.infra.LineKeys;
import io.flashsale.infra.RedisScript;
import io.vertx.core.Future;
import io.vertx.redis.client.Redis;
import java.util.List;

/**
 * {@code settle_ticket.lua}: the ticket half of settling an in-flight admission on a sharded line,
 * on the buyer's own shard.
 */
final class SettleTicketScript extends RedisScript {

  SettleTicketScript(Redis redis) {
    super(redis, "settle_ticket");
  }

  /** Resolves to the ticket's state now if this call changed it, else "". */
  Future<String> run(
      LineKeys line, String userId, String orderId, boolean written, long takenAtMillis) {
    return call(
            List.of(line.tickets(), line.line(), line.waiting()),
            List.of(userId, orderId, written ? "1" : "0", Long.toString(takenAtMillis)))
        .map(reply -> reply.string());
  }
}
