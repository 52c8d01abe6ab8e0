package io.flashsale.waitingroom;

import io.flashsale.infra.LineKeys;
import io.flashsale.infra.RedisScript;
import io.flashsale.waitingroom.AdmitScript.Dropped;
import io.flashsale.waitingroom.AdmitScript.Step;
import io.vertx.core.Future;
import io.vertx.redis.client.Redis;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code admit_peek.lua}: the first part of an admission step on one shard of a sharded line:
 * dropped and declined buyers handled, the buyers at the head named (absent ones as such).
 */
final class AdmitPeekScript extends RedisScript {

  /**
   * A buyer at the head of a shard who may be let out: {@code user|ticketId|number|quantity|pay}
   * (pay: the ticket's payment letter, Y authorised, Q or A not yet; X not seen within the window).
   */
  record Candidate(
      String userId, String ticketId, int shard, long number, int quantity, String pay) {
    static Candidate decode(String encoded, int shard) {
      String[] parts = encoded.split("\\|", -1);
      return new Candidate(
          parts[0],
          parts[1],
          shard,
          Long.parseLong(parts[2]),
          Integer.parseInt(parts[3]),
          parts[4]);
    }
  }

  /**
   * What the peek did on its shard, and the candidates in the shard's line order; {@code prequeue}:
   * the shard's sealed pre-queue size (0: none); {@code stoppedAt}: the queue number where the walk
   * stopped before the end of the shard's line, or 0.
   */
  record Peek(
      long waiting,
      long away,
      long present,
      long prequeue,
      long stoppedAt,
      List<Dropped> dropped,
      List<Candidate> candidates) {}

  AdmitPeekScript(Redis redis) {
    super(redis, "admit_peek");
  }

  Future<Peek> run(LineKeys keys, Step step, long stock) {
    List<String> args = new ArrayList<>(step.args());
    args.add(Long.toString(stock));
    return call(keys(keys), args)
        .map(
            reply -> {
              reply.string();
              long waiting = reply.number();
              long away = reply.number();
              long present = reply.number();
              long prequeue = reply.number();
              long stoppedAt = reply.number();
              List<Dropped> dropped =
                  reply.strings(reply.integer()).stream().map(Dropped::decode).toList();
              List<Candidate> candidates =
                  reply.rest().stream()
                      .map(encoded -> Candidate.decode(encoded, keys.shard()))
                      .toList();
              return new Peek(waiting, away, present, prequeue, stoppedAt, dropped, candidates);
            });
  }

  /** The keys, in the order the script's header names them. */
  static List<String> keys(LineKeys keys) {
    return List.of(
        keys.line(),
        keys.roster(),
        keys.waiting(),
        keys.tickets(),
        keys.presence(),
        keys.away(),
        keys.preauthQueue(),
        keys.preauthorizing(),
        keys.stock(),
        keys.control(),
        keys.sealed());
  }
}
