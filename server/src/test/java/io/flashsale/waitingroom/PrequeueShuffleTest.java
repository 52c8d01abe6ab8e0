package io.flashsale.waitingroom;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The pre-queue draw is a uniform shuffle: over many draws every buyer lands in every place equally
 * often. Seeded, so the verdict is the same on every run and cannot flake.
 */
class PrequeueShuffleTest {

  private static final int BUYERS = 10;
  private static final int DRAWS = 50_000;

  /** Chi-square critical value for 81 degrees of freedom ((10-1)²) at the 0.1% level. */
  private static final double CRITICAL = 131.0;

  @Test
  void everyEarlyJoinerIsEquallyLikelyToLandInEveryPlace() {
    PrequeueShuffle shuffle = new PrequeueShuffle(null, new Random(20261123));

    assertThat(chiSquare(shuffle::shuffle)).isLessThan(CRITICAL);
  }

  @Test
  void theTestWouldCatchAShuffleThatSometimesKeepsArrivalOrder() {
    Random random = new Random(20261123);
    Consumer<List<String>> biased =
        order -> {
          if (random.nextInt(10) != 0) {
            Collections.shuffle(order, random);
          }
        };

    assertThat(chiSquare(biased)).isGreaterThan(CRITICAL);
  }

  /** How far the places buyers land in stray from uniform, over many draws. */
  private static double chiSquare(Consumer<List<String>> shuffle) {
    long[][] landed = new long[BUYERS][BUYERS];
    for (int draw = 0; draw < DRAWS; draw++) {
      List<String> order = new ArrayList<>();
      for (int buyer = 0; buyer < BUYERS; buyer++) {
        order.add(Integer.toString(buyer));
      }
      shuffle.accept(order);
      for (int place = 0; place < BUYERS; place++) {
        landed[Integer.parseInt(order.get(place))][place]++;
      }
    }
    double expected = (double) DRAWS / BUYERS;
    double chiSquare = 0;
    for (long[] row : landed) {
      for (long count : row) {
        chiSquare += (count - expected) * (count - expected) / expected;
      }
    }
    return chiSquare;
  }
}
