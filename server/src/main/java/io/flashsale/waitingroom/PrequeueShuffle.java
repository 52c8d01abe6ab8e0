package io.flashsale.waitingroom;

import io.flashsale.infra.LineKeys;
import io.flashsale.infra.SaleKeys;
import io.flashsale.sale.FlashSale;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.UUID;

/**
 * At T-0 everyone who joined early is put in line in a uniformly random order, ahead of all later
 * arrivals: arriving early earns a place in the draw, not a better place in it, so being closest to
 * the server buys nothing. One instance shuffles under a Redis lease; the sealing script numbers
 * each buyer once, so a crashed sealer is simply finished by the next.
 */
public final class PrequeueShuffle {

  private static final int CHUNK = 500;
  private static final int LEASE_MILLIS = 30_000;

  private final Redis redis;
  private final Random random;
  private final String owner = UUID.randomUUID().toString();
  private final SealPrequeueScript seal;

  public PrequeueShuffle(Redis redis, Random random) {
    this.redis = redis;
    this.random = random;
    this.seal = new SealPrequeueScript(redis);
  }

  public Future<Void> loadScripts() {
    return seal.load();
  }

  /** Whether the sale's pre-queue is sealed; tries to seal it if not. */
  public Future<Boolean> ensureSealed(FlashSale sale) {
    SaleKeys sealing = new SaleKeys(sale.saleId());
    List<LineKeys> shards = sealing.lines(sale.lineShards());
    // The last shard is sealed last: once it is, every shard is.
    return redis
        .send(Request.cmd(Command.EXISTS).arg(shards.get(shards.size() - 1).sealed()))
        .compose(
            exists ->
                exists.toInteger() == 1
                    ? Future.succeededFuture(true)
                    : redis
                        .send(
                            Request.cmd(Command.SET)
                                .arg(sealing.sealLease())
                                .arg(owner)
                                .arg("NX")
                                .arg("PX")
                                .arg(LEASE_MILLIS))
                        .compose(
                            lease ->
                                lease == null
                                    ? Future.succeededFuture(false)
                                    : sealEach(shards, 0).map(true)));
  }

  /**
   * Each shard shuffles its own pre-queue; the admission step's merge takes the shards' k-th buyers
   * in turn, so the whole line is the shards' shuffles interleaved.
   */
  private Future<Void> sealEach(List<LineKeys> shards, int from) {
    if (from == shards.size()) {
      return Future.succeededFuture();
    }
    return sealRemaining(shards.get(from)).compose(done -> sealEach(shards, from + 1));
  }

  private Future<Void> sealRemaining(LineKeys keys) {
    return redis
        .send(Request.cmd(Command.SMEMBERS).arg(keys.prequeue()))
        .compose(
            members -> {
              List<String> order = new ArrayList<>(members.size());
              members.forEach(member -> order.add(member.toString()));
              // SMEMBERS order follows insertion for small sets: the shuffle is what makes it fair.
              shuffle(order);
              return sealInChunks(keys, order, 0);
            });
  }

  private Future<Void> sealInChunks(LineKeys keys, List<String> order, int from) {
    int to = Math.min(order.size(), from + CHUNK);
    boolean last = to == order.size();
    return seal.run(keys, last, order.subList(from, to))
        .compose(
            sealing -> {
              if (!last) {
                return sealInChunks(keys, order, to);
              }
              // Buyers who joined while we were sealing are drawn among themselves, still ahead of
              // later ones.
              return sealing.left() > 0 ? sealRemaining(keys) : Future.succeededFuture();
            });
  }

  /** Fisher–Yates with this shuffle's random source (seeded in tests, secure otherwise). */
  void shuffle(List<String> order) {
    synchronized (random) {
      Collections.shuffle(order, random);
    }
  }
}
