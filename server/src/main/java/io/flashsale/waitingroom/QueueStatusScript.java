package io.flashsale.waitingroom;

import io.flashsale.infra.LineKeys;
import io.flashsale.infra.RedisScript;
import io.vertx.core.Future;
import io.vertx.redis.client.Redis;
import java.util.List;

/** {@code queue_status.lua}: everything a buyer's "where am I?" needs, in one round trip. */
final class QueueStatusScript extends RedisScript {

  enum Outcome {
    TICKET,
    NOT_JOINED,
    LINE_LOST
  }

  /**
   * TICKET: the buyer's {@code ticket}, buyers {@code ahead} (-1 if not in line), {@code stock} (-1
   * if not loaded), the pre-queue's size and the pre-authorisation state or ""; LINE_LOST: when the
   * line was lost in a Redis outage ({@code lineLostAt}), the buyer having no ticket since.
   */
  record Status(
      Outcome outcome,
      Ticket ticket,
      long ahead,
      long stock,
      long prequeueSize,
      String payment,
      String lineLostAt) {}

  QueueStatusScript(Redis redis) {
    super(redis, "queue_status");
  }

  Future<Status> run(LineKeys keys, String userId) {
    return call(keys(keys), List.of(userId))
        .map(
            reply -> {
              Outcome outcome = Outcome.valueOf(reply.string());
              return switch (outcome) {
                case TICKET ->
                    new Status(
                        outcome,
                        Ticket.decode(reply.string()),
                        reply.number(),
                        reply.number(),
                        reply.number(),
                        reply.string(),
                        null);
                case LINE_LOST -> new Status(outcome, null, -1, -1, 0, "", reply.string());
                case NOT_JOINED -> new Status(outcome, null, -1, -1, 0, "", null);
              };
            });
  }

  /** The keys, in the order the script's header names them. */
  static List<String> keys(LineKeys keys) {
    return List.of(keys.tickets(), keys.line(), keys.stock(), keys.prequeue(), keys.lineLost());
  }
}
