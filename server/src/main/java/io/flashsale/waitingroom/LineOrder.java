package io.flashsale.waitingroom;

import io.flashsale.infra.LineKeys;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

/**
 * The order of a sharded line. Each shard numbers its own buyers; shard k's first {@code
 * prequeue[k]} numbers are its shuffled pre-queue (0 for a FIFO sale, or before T-0), and everyone
 * of every shard's pre-queue goes before anyone who joined after T-0.
 *
 * <ul>
 *   <li>Within the pre-queue, the shards interleave at random ({@link Prequeue}): every
 *       interleaving of the shards' sealed pre-queues is equally likely, drawn from a seed the sale
 *       id gives, so every instance draws the same. Each shard shuffled its own pre-queue
 *       uniformly, so the whole pre-queue is a uniform shuffle of every early joiner.
 *   <li>After it, buyers go by their number past the pre-queue (their arrival order on their
 *       shard), the shards' r-th before any shard's (r+1)-th.
 *   <li>Ties (the same number past the pre-queue) go in a rotation that starts one shard further on
 *       at each number ({@link #turn}), so no shard always goes first.
 * </ul>
 *
 * Every reader of a place in line uses this order: the admission step's merge, the status read, the
 * live feed and the queue export. With one shard it is the queue number's order.
 */
public final class LineOrder {

  private LineOrder() {}

  /**
   * Each shard's sealed pre-queue size (0: not sealed, or none), as {@link Prequeue#of} takes them.
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

  /**
   * The shards' sealed pre-queues and how they interleave: a uniformly random sequence of shard
   * labels, shard k's appearing {@code size(k)} times, drawn with {@link Random} (its algorithm is
   * specified, so every JVM draws the same) from a seed taken from the sale id. Built once per sale
   * and sizes on an instance (an int per early joiner) and shared; sizes never change once sealed.
   */
  public static final class Prequeue {

    private static final int CACHED = 16;

    private static final Map<String, Prequeue> BUILT =
        Collections.synchronizedMap(
            new LinkedHashMap<>(CACHED, 0.75f, true) {
              @Override
              protected boolean removeEldestEntry(Map.Entry<String, Prequeue> eldest) {
                return size() > CACHED;
              }
            });

    private final long[] sizes;

    /** Per shard, the 0-based place in the whole pre-queue of its numbers 1, 2, ...; increasing. */
    private final int[][] places;

    private Prequeue(long[] sizes, int[][] places) {
      this.sizes = sizes;
      this.places = places;
    }

    /** The interleave of {@code sale}'s pre-queues of these sizes (all 0: none). */
    public static Prequeue of(UUID sale, long[] sizes) {
      int holding = 0;
      for (long size : sizes) {
        holding += size > 0 ? 1 : 0;
      }
      if (holding < 2) {
        // Nothing to interleave: one shard's pre-queue, or none.
        return new Prequeue(sizes.clone(), null);
      }
      String key = sale + Arrays.toString(sizes);
      Prequeue built = BUILT.get(key);
      if (built == null) {
        built = draw(sale, sizes.clone());
        BUILT.put(key, built);
      }
      return built;
    }

    private static Prequeue draw(UUID sale, long[] sizes) {
      long total = Arrays.stream(sizes).sum();
      if (total > Integer.MAX_VALUE - 8) {
        throw new IllegalStateException("a pre-queue of " + total + " buyers");
      }
      byte[] labels = new byte[(int) total];
      int at = 0;
      for (int shard = 0; shard < sizes.length; shard++) {
        for (long n = 0; n < sizes[shard]; n++) {
          labels[at++] = (byte) shard;
        }
      }
      // Fisher-Yates: every arrangement of the labels equally likely.
      Random random =
          new Random(mix(sale.getMostSignificantBits() ^ sale.getLeastSignificantBits()));
      for (int i = labels.length - 1; i > 0; i--) {
        int j = random.nextInt(i + 1);
        byte swap = labels[i];
        labels[i] = labels[j];
        labels[j] = swap;
      }
      int[][] places = new int[sizes.length][];
      int[] filled = new int[sizes.length];
      for (int shard = 0; shard < sizes.length; shard++) {
        places[shard] = new int[(int) sizes[shard]];
      }
      for (int place = 0; place < labels.length; place++) {
        int shard = labels[place];
        places[shard][filled[shard]++] = place;
      }
      return new Prequeue(sizes, places);
    }

    /**
     * SplitMix64's finaliser: Random's first draws from nearby seeds are alike, and sale ids need
     * not be random.
     */
    private static long mix(long seed) {
      long z = seed + 0x9E3779B97F4A7C15L;
      z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
      z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
      return z ^ (z >>> 31);
    }

    /** Shard {@code shard}'s sealed pre-queue size (0: none, or not sealed). */
    public long size(int shard) {
      return sizes[shard];
    }

    public int shards() {
      return sizes.length;
    }

    /**
     * Negative when number m of shard a goes before number n of shard b, both of them in their
     * shard's pre-queue (a != b: two shards hold early joiners, so the interleave was drawn).
     */
    int compareEarly(int a, long m, int b, long n) {
      return Integer.compare(places[a][(int) m - 1], places[b][(int) n - 1]);
    }

    /**
     * How many of shard {@code other}'s pre-queue go before number {@code number} of {@code
     * shard}'s pre-queue (other != shard).
     */
    long earlyAhead(int other, int shard, long number) {
      if (places == null) {
        return 0;
      }
      int place = places[shard][(int) number - 1];
      int below = Arrays.binarySearch(places[other], place);
      // Never found (a place holds one buyer): -(insertion point) - 1.
      return -below - 1;
    }
  }

  /** Where {@code shard} goes among the shards' buyers tied at {@code number}. */
  public static int turn(int shard, long number, int shards) {
    return (int) Math.floorMod(shard - number, (long) shards);
  }

  /** Negative when number m of shard a goes before number n of shard b. */
  public static int compare(int a, long m, int b, long n, Prequeue prequeue) {
    if (a == b) {
      return Long.compare(m, n);
    }
    boolean earlyA = m <= prequeue.size(a);
    boolean earlyB = n <= prequeue.size(b);
    if (earlyA != earlyB) {
      return earlyA ? -1 : 1;
    }
    if (earlyA) {
      return prequeue.compareEarly(a, m, b, n);
    }
    long pastA = m - prequeue.size(a);
    long pastB = n - prequeue.size(b);
    int byPlace = Long.compare(pastA, pastB);
    if (byPlace != 0) {
      return byPlace;
    }
    int shards = prequeue.shards();
    int byTurn = Integer.compare(turn(a, pastA, shards), turn(b, pastB, shards));
    return byTurn != 0 ? byTurn : Integer.compare(a, b);
  }

  /**
   * The highest queue number of {@code other} that goes before number {@code number} of {@code
   * shard} (0: none); every number of {@code other} up to it goes before too.
   */
  public static long lastAhead(int other, int shard, long number, Prequeue prequeue) {
    if (other == shard) {
      return number - 1;
    }
    long mine = prequeue.size(shard);
    long theirs = prequeue.size(other);
    if (number > mine) {
      // Past the pre-queue: all of theirs, then theirs past it up to the same count.
      long past = number - mine;
      return theirs
          + (compare(other, theirs + past, shard, number, prequeue) < 0 ? past : past - 1);
    }
    // In the pre-queue: theirs that the interleave put before this place.
    return prequeue.earlyAhead(other, shard, number);
  }
}
