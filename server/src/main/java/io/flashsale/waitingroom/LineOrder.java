package io.flashsale.waitingroom;

import io.flashsale.infra.LineKeys;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;

/**
 * The order of a sharded line. Each shard numbers its own buyers; shard k's first {@code
 * prequeue[k]} numbers are its shuffled pre-queue (0 for a FIFO sale, or before T-0), and everyone
 * of every shard's pre-queue goes before anyone who joined after T-0.
 *
 * <ul>
 *   <li>Within the pre-queue, shards interleave in proportion to their sizes: number n of a
 *       pre-queue of m goes at fraction n / m of the way, so each shard's buyers are spread evenly
 *       over the whole pre-queue, whatever its size (a uniformly shuffled shard spread evenly is a
 *       uniform place for each of its buyers).
 *   <li>After it, buyers go by their number past the pre-queue (their arrival order on their
 *       shard), the shards' r-th before any shard's (r+1)-th.
 *   <li>Ties (the same fraction, or the same number past the pre-queue) go in a rotation that
 *       starts one shard further on at each number ({@link #turn}), so no shard always goes first.
 * </ul>
 *
 * Every reader of a place in line uses this order: the admission step's merge, the status read, the
 * live feed and the queue export. With one shard it is the queue number's order.
 */
public final class LineOrder {

  private LineOrder() {}

  /**
   * Each shard's sealed pre-queue size (0: not sealed, or none), as {@link #compare} takes them.
   */
  public static Future<long[]> prequeueSizes(Redis redis, List<LineKeys> lines) {
    List<Future<Response>> sealed = new ArrayList<>(lines.size());
    lines.forEach(line -> sealed.add(redis.send(Request.cmd(Command.GET).arg(line.sealed()))));
    return Future.all(sealed)
        .map(
            done ->
                sealed.stream()
                    .mapToLong(size -> size.result() == null ? 0 : size.result().toLong())
                    .toArray());
  }

  /** Where {@code shard} goes among the shards' buyers tied at {@code number}. */
  public static int turn(int shard, long number, int shards) {
    return (int) Math.floorMod(shard - number, (long) shards);
  }

  /**
   * Negative when number m of shard a goes before number n of shard b; {@code prequeue}: each
   * shard's sealed pre-queue size.
   */
  public static int compare(int a, long m, int b, long n, long[] prequeue) {
    if (a == b) {
      return Long.compare(m, n);
    }
    int shards = prequeue.length;
    boolean earlyA = m <= prequeue[a];
    boolean earlyB = n <= prequeue[b];
    if (earlyA != earlyB) {
      return earlyA ? -1 : 1;
    }
    int byPlace;
    long tieA;
    long tieB;
    if (earlyA) {
      // m / prequeue[a] against n / prequeue[b], without division.
      byPlace = Long.compare(m * prequeue[b], n * prequeue[a]);
      tieA = m;
      tieB = n;
    } else {
      tieA = m - prequeue[a];
      tieB = n - prequeue[b];
      byPlace = Long.compare(tieA, tieB);
    }
    if (byPlace != 0) {
      return byPlace;
    }
    int byTurn = Integer.compare(turn(a, tieA, shards), turn(b, tieB, shards));
    return byTurn != 0 ? byTurn : Integer.compare(a, b);
  }

  /**
   * The highest queue number of {@code other} that goes before number {@code number} of {@code
   * shard} (0: none); every number of {@code other} up to it goes before too.
   */
  public static long lastAhead(int other, int shard, long number, long[] prequeue) {
    if (other == shard) {
      return number - 1;
    }
    long mine = prequeue[shard];
    long theirs = prequeue[other];
    if (number > mine) {
      // Past the pre-queue: all of theirs, then theirs past it up to the same count.
      long past = number - mine;
      return theirs
          + (compare(other, theirs + past, shard, number, prequeue) < 0 ? past : past - 1);
    }
    // In the pre-queue: theirs below the same fraction, and the one at it if it goes first.
    long scaled = number * theirs;
    long below = scaled % mine == 0 ? scaled / mine - 1 : scaled / mine;
    if (scaled % mine == 0
        && scaled / mine >= 1
        && compare(other, scaled / mine, shard, number, prequeue) < 0) {
      return scaled / mine;
    }
    return Math.max(0, below);
  }
}
