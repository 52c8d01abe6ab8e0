package io.flashsale.waitingroom;

import io.flashsale.infra.LineKeys;
import io.flashsale.infra.RedisScript;
import io.flashsale.waitingroom.AdmitScript.Admitted;
import io.vertx.core.Future;
import io.vertx.redis.client.Redis;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code admit_mark.lua}: the last part of an admission step on one shard of a sharded line: sets
 * aside the absent buyers the step walked past, lets out the buyers the take gave units to if they
 * still wait, and refreshes the shard's stock copy.
 */
final class AdmitMarkScript extends RedisScript {

  AdmitMarkScript(Redis redis) {
    super(redis, "admit_mark");
  }

  /** What a winner's mark found. */
  enum Outcome {
    /** Not waiting any more (left, dropped, declined): their units go back. */
    GONE,
    /** Let out by this call: reserve them. */
    LET_OUT,
    /** Let out by another step, which reserves them. */
    LET_OUT_ELSEWHERE
  }

  /** How many absent buyers were set aside, and each winner's outcome, in order. */
  record Mark(int setAside, List<Outcome> outcomes) {}

  Future<Mark> run(
      LineKeys keys, long stockLeft, List<AdmitTakeScript.Aside> aside, List<Admitted> winners) {
    List<String> args = new ArrayList<>(2 + 2 * aside.size() + 4 * winners.size());
    args.add(Long.toString(stockLeft));
    args.add(Integer.toString(aside.size()));
    for (AdmitTakeScript.Aside absent : aside) {
      args.add(absent.userId());
      args.add(absent.ticketId());
    }
    for (Admitted winner : winners) {
      args.add(winner.userId());
      args.add(winner.ticketId());
      args.add(Integer.toString(winner.quantity()));
      args.add(Long.toString(winner.admittedAtMillis()));
    }
    return call(keys(keys), args)
        .map(
            reply -> {
              reply.string();
              int setAside = reply.integer();
              return new Mark(
                  setAside,
                  reply.rest().stream()
                      .map(outcome -> Outcome.values()[Integer.parseInt(outcome)])
                      .toList());
            });
  }

  /** The keys, in the order the script's header names them. */
  static List<String> keys(LineKeys keys) {
    return List.of(
        keys.tickets(),
        keys.line(),
        keys.waiting(),
        keys.cursor(),
        keys.away(),
        keys.stock(),
        keys.departures());
  }
}
