package io.flashsale.antibot;

import io.flashsale.infra.LineKeys;
import io.flashsale.infra.SaleKeys;
import io.vertx.core.Future;
import io.vertx.redis.client.Redis;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;

/**
 * Cluster-wide request limits per user, per client IP and per device fingerprint, for one sale,
 * with GCRA in one Redis script (rate_limit.lua). A limit with a rate of 0 is off.
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

  /**
   * One limit one request must pass: its key, steady interval, burst, and what it limits ("user",
   * "ip", "device").
   */
  /** The dimension of the per-user limit. */
  public static final String USER = "user";

  public record Check(String key, long intervalMillis, int burst, String dimension) {
    /** The refusal a buyer sees when this limit says wait. */
    public Rejection.RejectedException refusal(long retryAfterMillis) {
      return Rejection.RejectedException.rateLimited(
          retryAfterMillis, "too many requests from this " + dimension + "; slow down");
    }
  }

  private final Settings settings;
  private final RateLimitScript script;

  public RateLimits(Redis redis, Settings settings) {
    this.settings = settings;
    this.script = new RateLimitScript(redis);
  }

  public Future<Void> loadScripts() {
    return script.load();
  }

  /** Passes, or fails with RATE_LIMITED carrying when to try again. */
  public Future<Void> take(String saleId, String userId, String ip, String device) {
    List<Check> checks = checks(saleId, userId, ip, device);
    if (checks.isEmpty()) {
      return Future.succeededFuture();
    }
    return script
        .run(checks)
        .compose(
            result ->
                result.allowed()
                    ? Future.succeededFuture()
                    : Future.failedFuture(result.refusedBy().refusal(result.retryAfterMillis())));
  }

  /**
   * The limits a request of this buyer, address and device must pass in this sale, for a script
   * that checks them together with its own work (the purchase batch).
   */
  public List<Check> checks(String saleId, String userId, String ip, String device) {
    SaleKeys keys = new SaleKeys(saleId);
    return checks(keys::rateLimit, userId, ip, device);
  }

  /**
   * The limits a join must pass, kept on the shard of the line that holds the buyer's ticket (the
   * join script's slot). A user's joins all reach their own shard, so their limit is whole there.
   * An address or device is counted on each shard it reaches: used under one account (an honest
   * buyer) it has its whole limit; spread over many accounts it can reach each shard's, up to S
   * times the limit in all (docs/scaling.md).
   */
  public List<Check> forJoin(LineKeys line, String userId, String ip, String device) {
    return checks(line::rateLimit, userId, ip, device);
  }

  private List<Check> checks(
      BiFunction<String, String, String> keyOf, String userId, String ip, String device) {
    List<Check> checks = new ArrayList<>(3);
    add(settings.perUser(), USER, userId, keyOf, checks);
    add(settings.perIp(), "ip", ip, keyOf, checks);
    add(settings.perDevice(), "device", device, keyOf, checks);
    return checks;
  }

  private static void add(
      Limit limit,
      String dimension,
      String subject,
      BiFunction<String, String, String> keyOf,
      List<Check> checks) {
    if (limit.on() && subject != null && !subject.isEmpty()) {
      checks.add(
          new Check(
              keyOf.apply(dimension, subject),
              limit.intervalMillis(),
              Math.max(1, limit.burst()),
              dimension));
    }
  }
}
