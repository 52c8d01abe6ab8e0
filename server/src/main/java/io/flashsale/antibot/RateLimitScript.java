package io.flashsale.antibot;

import io.flashsale.antibot.RateLimits.Check;
import io.flashsale.infra.RedisScript;
import io.flashsale.infra.ScriptKeys;
import io.vertx.core.Future;
import io.vertx.redis.client.Redis;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code rate_limit.lua}: the rate limits of one request, checked on their own; and how a batch
 * script that checks them with its own work (join, purchase) is told a buyer's limits ({@code
 * lib/gcra.lua}: {@code batch_limits}).
 */
public final class RateLimitScript extends RedisScript {

  /** {@code retryAfterMillis} and {@code refusedBy} are set when a limit refused. */
  public record Result(boolean allowed, long retryAfterMillis, Check refusedBy) {}

  public RateLimitScript(Redis redis) {
    super(redis, "rate_limit");
  }

  /** KEYS: one key per limit. ARGV: per limit, its interval in ms, then its burst. */
  public Future<Result> run(List<Check> checks) {
    List<String> args = new ArrayList<>(2 * checks.size());
    checks.forEach(
        check -> {
          args.add(Long.toString(check.intervalMillis()));
          args.add(Integer.toString(check.burst()));
        });
    return call(checks.stream().map(Check::key).toList(), args)
        .map(
            reply -> {
              if (reply.string().equals("ALLOWED")) {
                return new Result(true, 0, null);
              }
              long retryAfter = reply.number();
              return new Result(false, retryAfter, refusing(checks, reply.number()));
            });
  }

  /**
   * Appends one buyer's limits to a batch script's ARGV as {@code batch_limits} reads them: a
   * count, then per limit its key's index, its interval in ms and its burst.
   */
  public static void appendBatchLimits(List<Check> checks, ScriptKeys keys, List<String> args) {
    args.add(Integer.toString(checks.size()));
    for (Check check : checks) {
      args.add(Integer.toString(keys.indexOf(check.key())));
      args.add(Long.toString(check.intervalMillis()));
      args.add(Integer.toString(check.burst()));
    }
  }

  /** The 1-based index of the refusing limit, as a batch script answers it, back to its check. */
  public static Check refusing(List<Check> checks, long index) {
    return checks.get((int) index - 1);
  }
}
