package io.flashsale.waitingroom;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The pre-queue draw is a uniform shuffle: over many draws every buyer lands in every place
 * equally often. Seeded, so the verdict is the same on every run and cannot flake.
 */
class PrequeueShuffleTest {

  @Test
  void everyEarlyJoinerIsEquallyLikelyToLandInEveryPlace() {
    int buyers = 10;
    int draws = 50_000;
    PrequeueShuffle shuffle = new PrequeueShuffle(null, new Random(20261123));
    long[][] landed = new long[buyers][buyers];
    for (int draw = 0; draw < draws; draw++) {
      List<String> order = new ArrayList<>();
      for (int buyer = 0; buyer < buyers; buyer++) {
        order.add(Integer.toString(buyer));
      }
      shuffle.shuffle(order);
      for (int place = 0; place < buyers; place++) {
        landed[Integer.parseInt(order.get(place))][place]++;
      }
    }

    double expected = (double) draws / buyers;
    double chiSquare = 0;
    for (long[] row : landed) {
      for (long count : row) {
        chiSquare += (count - expected) * (count - expected) / expected;
      }
    }
    // 81 degrees of freedom; 131.0 is the 0.1% critical value. A biased shuffle (say, one that
    // kept arrival order a tenth of the time) scores in the thousands.
    assertThat(chiSquare).isLessThan(131.0);
  }

  @Test
  void theTestWouldCatchAShuffleThatFavoursEarlyArrivals() {
    int buyers = 10;
    int draws = 50_000;
    Random random = new Random(20261123);
    long[][] landed = new long[buyers][buyers];
    for (int draw = 0; draw < draws; draw++) {
      List<String> order = new ArrayList<>();
      for (int buyer = 0; buyer < buyers; buyer++) {
        order.add(Integer.toString(buyer));
      }
      if (random.nextInt(10) != 0) {
        java.util.Collections.shuffle(order, random);
      }
      for (int place = 0; place < buyers; place++) {
        landed[Integer.parseInt(order.get(place))][place]++;
      }
    }
    double expected = (double) draws / buyers;
    double chiSquare = 0;
    for (long[] row : landed) {
      for (long count : row) {
        chiSquare += (count - expected) * (count - expected) / expected;
      }
    }
    assertThat(chiSquare).isGreaterThan(131.0);
  }
}
