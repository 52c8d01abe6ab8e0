package io.flashsale.waitingroom;

import io.flashsale.antibot.BotDefence.Guards;
import io.flashsale.antibot.RateLimitScript;
import io.flashsale.antibot.RateLimits;
import io.flashsale.infra.LineKeys;
import io.flashsale.infra.RedisScript;
import io.flashsale.infra.ScriptKeys;
import io.vertx.core.Future;
import io.vertx.redis.client.Redis;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code join_queue.lua}: a batch of joins of one sale, in arrival order, in one atomic call; one
 * result per join. The key and argument order is also that of {@code
 * docs/benchmarks/redis-script-cost.sh}.
 */
final class JoinQueueScript extends RedisScript {

  /**
   * One buyer's join: {@code device} is their fingerprint or "", {@code guards} the bot checks to
   * pass first.
   */
  record Join(
      String userId,
      int quantity,
      String ticketId,
      String paymentMethodId,
      String device,
      Guards guards) {}

  /**
   * One join as the script answered it. JOINED: {@code ticket}, {@code number} the place in line
   * (pre-queue: its size), {@code detail} the stock left; EXISTING: {@code ticket} the buyer's;
   * RATE_LIMITED: {@code number} the ms to wait, {@code refusedBy} the limit; any other outcome is
   * a refusal by name (BLACKLISTED, BLACKLISTED_DEVICE, POW_REPLAYED, the proof's refusal).
   */
  record JoinResult(
      String outcome, String ticket, long number, long detail, RateLimits.Check refusedBy) {}

  JoinQueueScript(Redis redis) {
    super(redis, "join_queue");
  }

  Future<List<JoinResult>> run(LineKeys keys, boolean shufflesPrequeue, List<Join> joins) {
    ScriptKeys scriptKeys = new ScriptKeys(keys(keys));
    List<String> args = new ArrayList<>(2 + joins.size() * 12);
    args.add(shufflesPrequeue ? "1" : "0");
    args.add(Integer.toString(joins.size()));
    for (Join join : joins) {
      Guards guards = join.guards();
      args.add(join.userId());
      args.add(Integer.toString(join.quantity()));
      args.add(join.ticketId());
      args.add(join.paymentMethodId());
      args.add(join.device());
      args.add(guards.refusal() == null ? "" : guards.refusal().reason().name());
      args.add(Integer.toString(ownLimit(guards.limits())));
      RateLimitScript.appendBatchLimits(guards.limits(), scriptKeys, args);
    }
    return call(scriptKeys.list(), args)
        .map(
            reply -> {
              List<JoinResult> results = new ArrayList<>(joins.size());
              for (Join join : joins) {
                String outcome = reply.string();
                String ticket = reply.string();
                long number = reply.number();
                long detail = reply.number();
                results.add(
                    new JoinResult(
                        outcome,
                        ticket,
                        number,
                        detail,
                        outcome.equals("RATE_LIMITED")
                            ? RateLimitScript.refusing(join.guards().limits(), detail)
                            : null));
              }
              return results;
            });
  }

  /**
   * The 1-based index of the buyer's own per-user limit among their limits (0: none): a join that
   * gets a ticket is not counted against it, since the ticket answers the buyer's next join.
   */
  static int ownLimit(List<RateLimits.Check> limits) {
    for (int i = 0; i < limits.size(); i++) {
      if (limits.get(i).dimension().equals(RateLimits.USER)) {
        return i + 1;
      }
    }
    return 0;
  }

  /** The keys, in the order the script's header names them. */
  static List<String> keys(LineKeys keys) {
    return List.of(
        keys.tickets(),
        keys.blacklist(),
        keys.sequence(),
        keys.line(),
        keys.roster(),
        keys.waiting(),
        keys.prequeue(),
        keys.sealed(),
        keys.stock(),
        keys.preauthQueue(),
        keys.blacklistedDevices(),
        keys.rejections(),
        keys.presence());
  }
}
