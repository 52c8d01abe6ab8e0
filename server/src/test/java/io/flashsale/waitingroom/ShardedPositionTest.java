package io.flashsale.waitingroom;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/**
 * The live feed's place for a buyer on a sharded line ({@link SalePulses.Snapshot#position}),
 * derived from each shard's cursor, last number and departures, against the place counted the long
 * way: every waiting (shard, number) sorted in the line's order ({@link LineOrder}).
 */
class ShardedPositionTest {

  @Test
  void theShardsKthBuyersGoBeforeAnyKPlusFirstInARotatingTurn() {
    // Number 1: shard 1 first (turn (1-1) mod 3 = 0), then 2, then 0; number 2: shard 2 first.
    List<long[]> order = new ArrayList<>();
    for (int shard = 0; shard < 3; shard++) {
      for (long number = 1; number <= 2; number++) {
        order.add(new long[] {shard, number});
      }
    }
    LineOrder.Prequeue none = LineOrder.Prequeue.of(UUID.randomUUID(), new long[3]);
    order.sort((a, b) -> LineOrder.compare((int) a[0], a[1], (int) b[0], b[1], none));
    assertThat(order)
        .extracting(place -> place[0] + "#" + place[1])
        .containsExactly("1#1", "2#1", "0#1", "2#2", "0#2", "1#2");
  }

  @Test
  void oneShardIsTheQueueNumberLessTheCursorAndTheDeparturesBelow() {
    SalePulses.Snapshot view =
        new SalePulses.Snapshot(
            UUID.randomUUID(), 10, true, new SalePulses.Snapshot.Shard[] {shard(5, 40, 7, 9, 30)});
    assertThat(view.position(0, 12)).isEqualTo(12 - 5 - 2);
    assertThat(view.position(0, 6)).isEqualTo(1);
  }

  @Test
  void thePreQueuesGoBeforeEveryoneLaterEachShardInItsOwnOrder() {
    // Shard 0 sealed 2 early joiners, shard 1 sealed 4; then each has one late joiner.
    long[] sizes = {2, 4};
    UUID sale = UUID.randomUUID();
    LineOrder.Prequeue prequeue = LineOrder.Prequeue.of(sale, sizes);
    List<long[]> order = new ArrayList<>();
    for (long number = 1; number <= 3; number++) {
      order.add(new long[] {0, number});
    }
    for (long number = 1; number <= 5; number++) {
      order.add(new long[] {1, number});
    }
    order.sort((a, b) -> LineOrder.compare((int) a[0], a[1], (int) b[0], b[1], prequeue));
    List<String> early = order.subList(0, 6).stream().map(p -> p[0] + "#" + p[1]).toList();
    assertThat(early.stream().filter(p -> p.startsWith("0#"))).containsExactly("0#1", "0#2");
    assertThat(early.stream().filter(p -> p.startsWith("1#")))
        .containsExactly("1#1", "1#2", "1#3", "1#4");
    // The late ones, first past each pre-queue: shard 1's turn (0) before shard 0's (1).
    assertThat(order.subList(6, 8))
        .extracting(p -> p[0] + "#" + p[1])
        .containsExactly("1#5", "0#3");
    // Every instance draws the same interleave for the sale.
    assertThat(interleave(sale, sizes)).isEqualTo(String.join("", early).replaceAll("#\\d", ""));
  }

  @Test
  void everyInterleavingOfThePreQueuesIsEquallyLikely() {
    // Two pre-queues of two: six interleavings, each 1/6 over sales; and a shard of one among
    // four early joiners is at each place 1/4 of the time. 6,000 sale ids, fixed: the counts are
    // the same on every run; a proportional or biased merge would be far outside 4 sigma.
    Map<String, Integer> seen = new TreeMap<>();
    int[] placeOfLoneBuyer = new int[4];
    int sales = 6_000;
    for (int i = 0; i < sales; i++) {
      UUID sale = new UUID(0x5a1e_0000L + i, 0x0ddL * (i + 1));
      seen.merge(interleave(sale, new long[] {2, 2}), 1, Integer::sum);
      placeOfLoneBuyer[interleave(sale, new long[] {1, 3}).indexOf('0')]++;
    }
    assertThat(seen).hasSize(6);
    double sixth = sales / 6.0;
    double sigma = Math.sqrt(sales * (1 / 6.0) * (5 / 6.0));
    seen.values()
        .forEach(n -> assertThat((double) n).isBetween(sixth - 4 * sigma, sixth + 4 * sigma));
    double quarter = sales / 4.0;
    double sigma4 = Math.sqrt(sales * 0.25 * 0.75);
    for (int n : placeOfLoneBuyer) {
      assertThat((double) n).isBetween(quarter - 4 * sigma4, quarter + 4 * sigma4);
    }
  }

  /** The pre-queue's shard labels in the line's order, e.g. "0110". */
  private static String interleave(UUID sale, long[] sizes) {
    LineOrder.Prequeue prequeue = LineOrder.Prequeue.of(sale, sizes);
    List<long[]> early = new ArrayList<>();
    for (int shard = 0; shard < sizes.length; shard++) {
      for (long number = 1; number <= sizes[shard]; number++) {
        early.add(new long[] {shard, number});
      }
    }
    early.sort((a, b) -> LineOrder.compare((int) a[0], a[1], (int) b[0], b[1], prequeue));
    StringBuilder labels = new StringBuilder();
    early.forEach(place -> labels.append(place[0]));
    return labels.toString();
  }

  @RepeatedTest(20)
  void everyWaitingBuyersPlaceMatchesTheMergedOrder() {
    Random random = new Random();
    int shards = 2 + random.nextInt(4);
    SalePulses.Snapshot.Shard[] lines = new SalePulses.Snapshot.Shard[shards];
    long[] prequeue = new long[shards];
    List<TreeSet<Long>> waiting = new ArrayList<>();
    for (int k = 0; k < shards; k++) {
      long last = random.nextInt(60);
      prequeue[k] = random.nextBoolean() ? 0 : random.nextInt((int) last + 1);
      long cursor = last == 0 ? 0 : random.nextInt((int) last);
      TreeSet<Long> gone = new TreeSet<>();
      TreeSet<Long> left = new TreeSet<>();
      for (long n = cursor + 1; n <= last; n++) {
        if (random.nextInt(5) == 0) {
          gone.add(n);
        } else {
          left.add(n);
        }
      }
      lines[k] = new SalePulses.Snapshot.Shard(cursor, last, prequeue[k], toArray(gone));
      waiting.add(left);
    }
    UUID sale = UUID.randomUUID();
    SalePulses.Snapshot view = new SalePulses.Snapshot(sale, 100, true, lines);
    LineOrder.Prequeue order = LineOrder.Prequeue.of(sale, prequeue);
    List<long[]> merged = new ArrayList<>();
    for (int k = 0; k < shards; k++) {
      for (long n : waiting.get(k)) {
        merged.add(new long[] {k, n});
      }
    }
    merged.sort((a, b) -> LineOrder.compare((int) a[0], a[1], (int) b[0], b[1], order));
    for (int i = 0; i < merged.size(); i++) {
      long[] place = merged.get(i);
      assertThat(view.position((int) place[0], place[1]))
          .as("shard %d number %d of %d shards", place[0], place[1], shards)
          .isEqualTo(i + 1);
    }
  }

  @Test
  void theMergeLetsNobodyOutPastWhereAShardStoppedLooking() {
    // Shard 0 named numbers 1 and 2 and stopped there (its line goes on); shard 1 named 1..4 and
    // reached its end. Shard 1's 4 may not go before shard 0's unseen 3; its 3 goes first anyway.
    List<io.vertx.core.Future<AdmitPeekScript.Peek>> peeks =
        List.of(
            io.vertx.core.Future.succeededFuture(peek(2, candidates(0, 1, 2))),
            io.vertx.core.Future.succeededFuture(peek(0, candidates(1, 1, 2, 3, 4))));

    List<AdmitPeekScript.Candidate> merged = Admissions.merge(UUID.randomUUID(), peeks, 2);

    // Number 1: shard 1's turn first ((1 - 1) mod 2 = 0); number 2: shard 0's; number 3: shard 1's.
    assertThat(merged)
        .extracting(c -> c.shard() + "#" + c.number())
        .containsExactly("1#1", "0#1", "0#2", "1#2", "1#3");
  }

  @Test
  void shardsThatReachedTheirEndsAreMergedWhole() {
    List<io.vertx.core.Future<AdmitPeekScript.Peek>> peeks =
        List.of(
            io.vertx.core.Future.succeededFuture(peek(0, candidates(0, 1))),
            io.vertx.core.Future.succeededFuture(peek(0, candidates(1, 1, 2, 3))));

    assertThat(Admissions.merge(UUID.randomUUID(), peeks, 2))
        .extracting(c -> c.shard() + "#" + c.number())
        .containsExactly("1#1", "0#1", "1#2", "1#3");
  }

  private static AdmitPeekScript.Peek peek(
      long stoppedAt, List<AdmitPeekScript.Candidate> candidates) {
    return new AdmitPeekScript.Peek(candidates.size(), 0, 0, 0, stoppedAt, List.of(), candidates);
  }

  private static List<AdmitPeekScript.Candidate> candidates(int shard, long... numbers) {
    List<AdmitPeekScript.Candidate> named = new ArrayList<>();
    for (long number : numbers) {
      named.add(
          new AdmitPeekScript.Candidate("u" + shard + "-" + number, "t", shard, number, 1, "Y"));
    }
    return named;
  }

  private static SalePulses.Snapshot.Shard shard(long cursor, long last, long... departed) {
    return new SalePulses.Snapshot.Shard(cursor, last, 0, departed);
  }

  private static long[] toArray(TreeSet<Long> numbers) {
    return numbers.stream().mapToLong(Long::longValue).toArray();
  }
}
