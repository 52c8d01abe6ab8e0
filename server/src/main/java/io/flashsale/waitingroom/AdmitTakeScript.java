package io.flashsale.waitingroom;

import io.flashsale.infra.RedisScript;
import io.flashsale.infra.SaleKeys;
import io.flashsale.waitingroom.AdmitPeekScript.Candidate;
import io.flashsale.waitingroom.AdmitScript.Admitted;
import io.flashsale.waitingroom.AdmitScript.Step;
import io.vertx.core.Future;
import io.vertx.redis.client.Redis;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code admit_take.lua}: the middle of an admission step of a sharded line, in the sale's own
 * slot: tokens, units and in-flight records for the merged candidates.
 */
final class AdmitTakeScript extends RedisScript {

  /**
   * A buyer given units, on their {@code shard}; {@code taken} false when an earlier step took the
   * units and its mark never landed.
   */
  record Winner(Admitted admitted, int shard, boolean taken) {
    static Winner decode(String encoded) {
      int last = encoded.lastIndexOf('|');
      int shardAt = encoded.lastIndexOf('|', last - 1);
      return new Winner(
          Admitted.decode(encoded.substring(0, shardAt)),
          Integer.parseInt(encoded.substring(shardAt + 1, last)),
          encoded.substring(last + 1).equals("1"));
    }
  }

  /** An absent buyer the merged step walked past: set aside on their shard. */
  record Aside(String userId, String ticketId, long number, int shard) {
    static Aside decode(String encoded) {
      String[] parts = encoded.split("\\|", -1);
      return new Aside(parts[0], parts[1], Long.parseLong(parts[2]), Integer.parseInt(parts[3]));
    }
  }

  record Take(long stockLeft, List<Aside> aside, List<Winner> winners) {}

  AdmitTakeScript(Redis redis) {
    super(redis, "admit_take");
  }

  Future<Take> run(SaleKeys keys, Step step, List<Candidate> merged) {
    List<String> args = new ArrayList<>(3 + 6 * merged.size());
    args.add(Integer.toString(step.ratePerSecond()));
    args.add(Integer.toString(step.tickMillis()));
    args.add(Integer.toString(step.passableSlowCards()));
    for (Candidate candidate : merged) {
      args.add(candidate.userId());
      args.add(candidate.ticketId());
      args.add(Integer.toString(candidate.shard()));
      args.add(Long.toString(candidate.number()));
      args.add(Integer.toString(candidate.quantity()));
      args.add(candidate.pay());
    }
    return call(keys(keys), args)
        .map(
            reply -> {
              reply.string();
              long stockLeft = reply.number();
              List<Aside> aside =
                  reply.strings(reply.integer()).stream().map(Aside::decode).toList();
              return new Take(stockLeft, aside, reply.rest().stream().map(Winner::decode).toList());
            });
  }

  /** The keys, in the order the script's header names them. */
  static List<String> keys(SaleKeys keys) {
    return List.of(
        keys.stock(),
        keys.buyers(),
        keys.bucket(),
        keys.control(),
        keys.inflight(),
        keys.admittedTickets());
  }
}
