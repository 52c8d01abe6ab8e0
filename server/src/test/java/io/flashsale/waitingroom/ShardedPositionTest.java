package io.flashsale.waitingroom;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
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
    order.sort((a, b) -> LineOrder.compare((int) a[0], a[1], (int) b[0], b[1], new long[3]));
    assertThat(order)
        .extracting(place -> place[0] + "#" + place[1])
        .containsExactly("1#1", "2#1", "0#1", "2#2", "0#2", "1#2");
  }

  @Test
  void oneShardIsTheQueueNumberLessTheCursorAndTheDeparturesBelow() {
    SalePulses.Snapshot view =
        new SalePulses.Snapshot(10, true, new SalePulses.Snapshot.Shard[] {shard(5, 40, 7, 9, 30)});
    assertThat(view.position(0, 12)).isEqualTo(12 - 5 - 2);
    assertThat(view.position(0, 6)).isEqualTo(1);
  }

  @Test
  void thePreQueuesInterleaveInProportionAndGoBeforeEveryoneLater() {
    // Shard 0 sealed 2 early joiners, shard 1 sealed 4; then each has one late joiner.
    long[] prequeue = {2, 4};
    List<long[]> order = new ArrayList<>();
    for (long number = 1; number <= 3; number++) {
      order.add(new long[] {0, number});
    }
    for (long number = 1; number <= 5; number++) {
      order.add(new long[] {1, number});
    }
    order.sort((a, b) -> LineOrder.compare((int) a[0], a[1], (int) b[0], b[1], prequeue));
    // Fractions of the way: 1#1 at 1/4; 0#1 and 1#2 tie at 1/2 (same turn, (0-1) and (1-2) mod 2,
    // so by shard); 1#3 at 3/4; 0#2 and 1#4 tie at 1 (shard 0's turn at 2 is 0, shard 1's at 4 is
    // 1). Then the late ones, first past each pre-queue: shard 1's turn (0) before shard 0's (1).
    assertThat(order)
        .extracting(place -> place[0] + "#" + place[1])
        .containsExactly("1#1", "0#1", "1#2", "1#3", "0#2", "1#4", "1#5", "0#3");
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
    SalePulses.Snapshot view = new SalePulses.Snapshot(100, true, lines);
    List<long[]> merged = new ArrayList<>();
    for (int k = 0; k < shards; k++) {
      for (long n : waiting.get(k)) {
        merged.add(new long[] {k, n});
      }
    }
    merged.sort((a, b) -> LineOrder.compare((int) a[0], a[1], (int) b[0], b[1], prequeue));
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

    List<AdmitPeekScript.Candidate> merged = Admissions.merge(peeks, 2);

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

    assertThat(Admissions.merge(peeks, 2))
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
