package io.flashsale.waitingroom;

import io.flashsale.infra.LineKeys;
import io.flashsale.infra.RedisScript;
import io.vertx.core.Future;
import io.vertx.redis.client.Redis;
import java.util.List;

/** {@code leave_queue.lua}: a buyer leaves a sale's line, atomically with admission. */
final class LeaveQueueScript extends RedisScript {

  enum Outcome {
    LEFT,
    NOT_WAITING,
    NOT_IN_LINE,
    NOT_YOURS
  }

  /**
   * LEFT: {@code ticket} is the closed ticket; NOT_WAITING: the ticket as it is; otherwise null.
   */
  record Left(Outcome outcome, Ticket ticket) {}

  LeaveQueueScript(Redis redis) {
    super(redis, "leave_queue");
  }

  /** {@code ticketId} null: whatever ticket the buyer holds; otherwise it must be theirs. */
  Future<Left> run(LineKeys keys, String userId, String ticketId) {
    return call(keys(keys), List.of(userId, ticketId == null ? "" : ticketId))
        .map(
            reply -> {
              Outcome outcome = Outcome.valueOf(reply.string());
              return new Left(outcome, reply.hasMore() ? Ticket.decode(reply.string()) : null);
            });
  }

  /** The keys, in the order the script's header names them. */
  static List<String> keys(LineKeys keys) {
    return List.of(
        keys.tickets(),
        keys.line(),
        keys.waiting(),
        keys.away(),
        keys.prequeue(),
        keys.preauthQueue(),
        keys.preauthorizing(),
        keys.departures(),
        keys.cursor());
  }
}
