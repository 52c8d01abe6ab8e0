package io.flashsale.antibot;

import io.flashsale.infra.LuaScript;
import io.flashsale.infra.SaleKeys;
import io.vertx.core.Future;
import io.vertx.redis.client.Redis;
import java.util.ArrayList;
import java.util.List;

/**
 * Cluster-wide request limits per user, per client IP and per device fingerprint, for one
 * sale, with GCRA in one Redis script (rate_limit.lua). A limit with a rate of 0 is off.
 */
public final class RateLimits {

  /** Steady requests per second and the burst allowed on top, for one dimension. */
  public record Limit(double perSecond, int burst) {
    boolean on() {
      return perSecond > 0;
    }

    long intervalMillis() {
      return Math.max(1, Math.round(1_000 / perSecond));
    }
  }

  public record Settings(Limit perUser, Limit perIp, Limit perDevice) {}

  private final Redis redis;
  private final Settings settings;
  private final LuaScript script = LuaScript.fromResource("rate_limit");

  public RateLimits(Redis redis, Settings settings) {
    this.redis = redis;
    this.settings = settings;
  }

  public Future<Void> loadScripts() {
    return script.load(redis);
  }

  /** Passes, or fails with RATE_LIMITED carrying when to try again. */
  public Future<Void> take(String saleId, String userId, String ip, String device) {
    SaleKeys keys = new SaleKeys(saleId);
    List<String> limitKeys = new ArrayList<>(3);
    List<String> args = new ArrayList<>(6);
    List<String> names = new ArrayList<>(3);
    add(settings.perUser(), "user", userId, keys, limitKeys, args, names);
    add(settings.perIp(), "ip", ip, keys, limitKeys, args, names);
    add(settings.perDevice(), "device", device, keys, limitKeys, args, names);
    if (limitKeys.isEmpty()) {
      return Future.succeededFuture();
    }
    return script.run(redis, limitKeys, args).compose(reply -> reply.get(0).toInteger() == 0
        ? Future.succeededFuture()
        : Future.failedFuture(Rejection.RejectedException.rateLimited(reply.get(1).toLong(),
            "too many requests from this " + names.get(reply.get(2).toInteger() - 1) + "; slow down")));
  }

  private static void add(Limit limit, String dimension, String subject, SaleKeys keys, List<String> limitKeys,
                          List<String> args, List<String> names) {
    if (limit.on() && subject != null && !subject.isEmpty()) {
      limitKeys.add(keys.rateLimit(dimension, subject));
      args.add(Long.toString(limit.intervalMillis()));
      args.add(Integer.toString(Math.max(1, limit.burst())));
      names.add(dimension);
    }
  }
}
