package io.flashsale.support;

import java.time.Duration;
import java.util.function.Predicate;
import java.util.function.Supplier;

/** Waits for a condition with a generous bound: correctness is asserted, speed is not. */
public final class Poll {

  private Poll() {}

  public static <T> T until(Supplier<T> read, Predicate<T> done, Duration limit) {
    long deadline = System.nanoTime() + limit.toNanos();
    T value = read.get();
    while (!done.test(value)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "condition not reached within " + limit + "; last value: " + value);
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
      value = read.get();
    }
    return value;
  }
}
