package io.flashsale.support;

import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.infra.LineKeys;
import io.flashsale.waitingroom.LineOrder;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;

/**
 * Buyers and places on a line of one or several shards, for tests that run both ways (the
 * sharded-line pass of the suite sets {@code flashsale.test.line-shards}). On a sharded line a
 * buyer's queue number counts within their shard and the line's order is {@link LineOrder}'s, so a
 * test that means "these buyers, in this order" picks ids whose shards take turns that way.
 */
public final class LineUsers {

  private LineUsers() {}

  /** How many shards the sales of this test run are created with. */
  public static int shards() {
    return Integer.getInteger("flashsale.test.line-shards", 1);
  }

  /**
   * {@code count} user ids that the line holds in list order when they join one after another in
   * that order (and nobody else joins): "prefix-i", or on a sharded line "prefix-i.j", the first j
   * whose shard has its turn at that place.
   */
  public static List<String> inLineOrder(String prefix, int count) {
    int shards = shards();
    List<String> users = new ArrayList<>(count);
    for (int place = 0; place < count; place++) {
      users.add(at(prefix, place, shards));
    }
    return users;
  }

  /** The id {@link #inLineOrder} gives the buyer at 0-based {@code place}: "prefix-place". */
  public static String at(String prefix, int place) {
    return named(prefix + "-" + place, place, shards());
  }

  /** The same for a test that counts its buyers from 1: the n-th is "prefix-n", at place n - 1. */
  public static String nth(String prefix, int n) {
    return named(prefix + "-" + n, n - 1, shards());
  }

  private static String at(String prefix, int place, int shards) {
    return named(prefix + "-" + place, place, shards);
  }

  private static String named(String plain, int place, int shards) {
    if (shards == 1) {
      return plain;
    }
    long number = place / shards + 1;
    int shard = (int) Math.floorMod(place % shards + number, (long) shards);
    if (LineKeys.shardOf(plain, shards) == shard) {
      return plain;
    }
    for (int j = 1; ; j++) {
      String candidate = plain + "." + j;
      if (LineKeys.shardOf(candidate, shards) == shard) {
        return candidate;
      }
    }
  }

  /** The shard of a ticket as a buyer sees it (0 when the line has one). */
  public static int shardOf(JsonObject view) {
    return view.getInteger("lineShard", 0);
  }

  /**
   * The tickets' numbers are each shard's 1, 2, 3...: one place per buyer, none skipped. Returns
   * how many each shard holds.
   */
  public static Map<Integer, Integer> assertDenselyNumbered(Collection<JsonObject> views) {
    Map<Integer, TreeSet<Long>> byShard = new TreeMap<>();
    for (JsonObject view : views) {
      assertThat(
              byShard
                  .computeIfAbsent(shardOf(view), k -> new TreeSet<>())
                  .add(view.getLong("queueNumber")))
          .as("a place of their own: %s", view)
          .isTrue();
    }
    Map<Integer, Integer> counts = new TreeMap<>();
    byShard.forEach(
        (shard, numbers) -> {
          assertThat(numbers.first()).isEqualTo(1);
          assertThat(numbers.last()).as("shard %d, none skipped", shard).isEqualTo(numbers.size());
          counts.put(shard, numbers.size());
        });
    return counts;
  }

  /** Tickets of a line with no pre-queue (FIFO) sorted into the line's order. */
  public static List<JsonObject> inLine(Collection<JsonObject> views) {
    return inLine(UUID.randomUUID().toString(), views, Map.of());
  }

  /**
   * Tickets of {@code saleId} sorted into the line's order ({@link LineOrder}); {@code prequeue}:
   * each shard's sealed pre-queue size (absent: none).
   */
  public static List<JsonObject> inLine(
      String saleId, Collection<JsonObject> views, Map<Integer, Integer> prequeue) {
    long[] counts = new long[shards()];
    prequeue.forEach((shard, size) -> counts[shard] = size);
    LineOrder.Prequeue sizes = LineOrder.Prequeue.of(UUID.fromString(saleId), counts);
    List<JsonObject> sorted = new ArrayList<>(views);
    sorted.sort(
        (a, b) ->
            LineOrder.compare(
                shardOf(a), a.getLong("queueNumber"), shardOf(b), b.getLong("queueNumber"), sizes));
    return sorted;
  }
}
