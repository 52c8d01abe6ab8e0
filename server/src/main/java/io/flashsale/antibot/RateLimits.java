package io.flashsale.antibot;

import io.flashsale.infra.SaleKeys;
import io.vertx.core.Future;
import io.vertx.redis.client.Redis;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Cluster-wide request limits per user, per client IP and per device fingerprint, for one sale. A
 * limit of {@code perSecond} and {@code burst} lets a subject make {@code burst} requests in each
 * window of {@code burst / perSecond} seconds; every request counts, refused or not. The counters
 * live in the sale's rate-limit sketch ({@link RateLimitSketch}): one Redis call counts a whole
 * batch (a purchase batch, a join batch of a sharded line, or one request on its own), and the
 * purchase and join scripts are then told who was refused; the join script of a one-slot line
 * counts its batch itself ({@link #inScript}). A limit with a rate of 0 is off.
 */
public final class RateLimits {

  /** Steady requests per second and the burst allowed, for one dimension. */
  public record Limit(double perSecond, int burst) {
    boolean on() {
      return perSecond > 0;
    }

    /** How many requests a window lets through: the burst. */
    int allowance() {
      return Math.max(1, burst);
    }

    /** How long a window lasts: the time the steady rate takes to earn the burst. */
    long windowMillis() {
      return Math.max(1, Math.round(allowance() * 1_000 / perSecond));
    }
  }

  public record Settings(Limit perUser, Limit perIp, Limit perDevice) {}

  /** What a limit counts the requests of. */
  public enum Dimension {
    USER,
    IP,
    DEVICE;

    /** As a buyer reads it, and as the sketch's keys name it: "ip". */
    public String word() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * One limit one request must pass: what it limits, whose requests (a user id, an address, a
   * device fingerprint), how long its window lasts and how many requests a window lets through.
   */
  public record Check(Dimension dimension, String subject, long windowMillis, int allowance) {}

  /** A request a limit refused: which one, and how long until its window ends. */
  public record Refusal(Check check, long retryAfterMillis) {
    /** The refusal as the buyer sees it. */
    public Rejection.RejectedException exception() {
      return Rejection.RejectedException.rateLimited(
          retryAfterMillis,
          "too many requests from this " + check.dimension().word() + "; slow down");
    }
  }

  private final Redis redis;
  private final Settings settings;
  private final RateLimitSketch sketch;

  public RateLimits(Redis redis, Settings settings, RateLimitSketch sketch) {
    this.redis = redis;
    this.settings = settings;
    this.sketch = sketch;
  }

  /**
   * Counts one request to a sale whose line has {@code lineShards} shards; passes, or fails with
   * RATE_LIMITED carrying when to try again.
   */
  public Future<Void> take(String saleId, int lineShards, String userId, String ip, String device) {
    List<Check> checks = checks(userId, ip, device);
    if (checks.isEmpty()) {
      return Future.succeededFuture();
    }
    return count(new SaleKeys(saleId), lineShards, List.of(checks))
        .compose(
            refusals ->
                refusals.get(0) == null
                    ? Future.succeededFuture()
                    : Future.failedFuture(refusals.get(0).exception()));
  }

  /**
   * Counts every request of a batch against its limits, in one round trip: per request, in order,
   * null when every limit let it through, or the refusal of the limit with the longest wait.
   */
  public Future<List<Refusal>> count(SaleKeys keys, int lineShards, List<List<Check>> requests) {
    return sketch.count(redis, keys, lineShards, requests);
  }

  /**
   * The counting of a batch for its own script to do (the join script of a one-slot line): no round
   * trip of its own.
   */
  public RateLimitSketch.InScript inScript(SaleKeys keys, List<List<Check>> requests) {
    return sketch.inScript(keys, requests);
  }

  /**
   * The limits a request of this buyer, address and device must pass, for a batch that counts them
   * (the join and purchase batches).
   */
  public List<Check> checks(String userId, String ip, String device) {
    List<Check> checks = new ArrayList<>(3);
    add(settings.perUser(), Dimension.USER, userId, checks);
    add(settings.perIp(), Dimension.IP, ip, checks);
    add(settings.perDevice(), Dimension.DEVICE, device, checks);
    return checks;
  }

  private static void add(Limit limit, Dimension dimension, String subject, List<Check> checks) {
    if (limit.on() && subject != null && !subject.isEmpty()) {
      checks.add(new Check(dimension, subject, limit.windowMillis(), limit.allowance()));
    }
  }
}
