package io.flashsale.waitingroom;

import io.flashsale.antibot.BotDefence.Guards;
import io.flashsale.antibot.RateLimitSketch;
import io.flashsale.antibot.RateLimits;
import io.flashsale.antibot.Rejection;
import io.flashsale.infra.LineKeys;
import io.flashsale.infra.RedisScript;
import io.vertx.core.Future;
import io.vertx.redis.client.Redis;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code join_queue.lua}: a batch of joins of one sale, in arrival order, in one atomic call; one
 * result per join. The rate limits are counted either in the same call (a one-slot line) or before
 * it, by the instance (a sharded line). The key and argument order is also that of {@code
 * docs/benchmarks/redis-script-load.py}.
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
   * RATE_LIMITED: {@code limited} the limit that refused and the wait; any other outcome is a
   * refusal by name (BLACKLISTED, BLACKLISTED_DEVICE, the proof's refusal).
   */
  record JoinResult(
      String outcome, String ticket, long number, long detail, RateLimits.Refusal limited) {}

  JoinQueueScript(Redis redis) {
    super(redis, "join_queue");
  }

  /**
   * {@code limited}: per join, in order, the refusal of its rate limits (already counted), or null.
   * A buyer who holds a ticket is answered with it all the same.
   */
  Future<List<JoinResult>> run(
      LineKeys keys, boolean shufflesPrequeue, List<Join> joins, List<RateLimits.Refusal> limited) {
    return run(keys, shufflesPrequeue, joins, null, limited);
  }

  /**
   * The joins of a one-slot line, whose rate limits the script counts in the same call: {@code
   * counting} names their counters.
   */
  Future<List<JoinResult>> run(
      LineKeys keys,
      boolean shufflesPrequeue,
      List<Join> joins,
      RateLimitSketch.InScript counting) {
    return run(keys, shufflesPrequeue, joins, counting, null);
  }

  private Future<List<JoinResult>> run(
      LineKeys keys,
      boolean shufflesPrequeue,
      List<Join> joins,
      RateLimitSketch.InScript counting,
      List<RateLimits.Refusal> limited) {
    List<String> args = new ArrayList<>(3 + joins.size() * 18);
    args.add(shufflesPrequeue ? "1" : "0");
    args.add(Integer.toString(joins.size()));
    if (counting == null) {
      args.add("0");
    } else {
      counting.header(args);
    }
    for (Join join : joins) {
      args.add(join.userId());
    }
    for (int i = 0; i < joins.size(); i++) {
      Join join = joins.get(i);
      Rejection.RejectedException pow = join.guards().refusal();
      args.add(Integer.toString(join.quantity()));
      args.add(join.ticketId());
      args.add(join.paymentMethodId());
      args.add(join.device());
      args.add(
          limited != null && limited.get(i) != null
              ? Rejection.RATE_LIMITED.name()
              : pow != null ? pow.reason().name() : "");
    }
    if (counting != null) {
      counting.ops(args);
    }
    List<String> allKeys = keys(keys);
    if (counting != null && !counting.keys().isEmpty()) {
      allKeys = new ArrayList<>(allKeys);
      allKeys.addAll(counting.keys());
    }
    return call(allKeys, args)
        .map(
            reply -> {
              List<JoinResult> results = new ArrayList<>(joins.size());
              for (int i = 0; i < joins.size(); i++) {
                String outcome = reply.string();
                String ticket = reply.string();
                long number = reply.number();
                long detail = reply.number();
                RateLimits.Refusal refusal = null;
                if (outcome.equals(Rejection.RATE_LIMITED.name())) {
                  refusal = counting != null ? counting.refusal(i, number) : limited.get(i);
                  number = 0;
                }
                results.add(new JoinResult(outcome, ticket, number, detail, refusal));
              }
              return results;
            });
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
