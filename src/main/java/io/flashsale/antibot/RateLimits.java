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

  /** One limit one request must pass: its key, steady interval, burst, and what it limits ("user", "ip", "device"). */
  public record Check(String key, long intervalMillis, int burst, String dimension) {
    /** The refusal a buyer sees when this limit says wait. */
    public Rejection.RejectedException refusal(long retryAfterMillis) {
      return Rejection.RejectedException.rateLimited(retryAfterMillis,
          "too many requests from this " + dimension + "; slow down");
    }
  }

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
    List<Check> checks = checks(saleId, userId, ip, device);
    if (checks.isEmpty()) {
      return Future.succeededFuture();
    }
    List<String> args = new ArrayList<>(2 * checks.size());
    checks.forEach(check -> {
      args.add(Long.toString(check.intervalMillis()));
      args.add(Integer.toString(check.burst()));
    });
    return script.run(redis, checks.stream().map(Check::key).toList(), args)
        .compose(reply -> reply.get(0).toInteger() == 0
            ? Future.succeededFuture()
            : Future.failedFuture(checks.get(reply.get(2).toInteger() - 1).refusal(reply.get(1).toLong())));
  }

  /**
   * The limits a request of this buyer, address and device must pass in this sale, for a
   * script that checks them together with its own work (the purchase batch).
   */
  public List<Check> checks(String saleId, String userId, String ip, String device) {
    SaleKeys keys = new SaleKeys(saleId);
    List<Check> checks = new ArrayList<>(3);
    add(settings.perUser(), "user", userId, keys, checks);
    add(settings.perIp(), "ip", ip, keys, checks);
    add(settings.perDevice(), "device", device, keys, checks);
    return checks;
  }

  private static void add(Limit limit, String dimension, String subject, SaleKeys keys, List<Check> checks) {
    if (limit.on() && subject != null && !subject.isEmpty()) {
      checks.add(new Check(keys.rateLimit(dimension, subject), limit.intervalMillis(), Math.max(1, limit.burst()),
          dimension));
    }
  }
}
