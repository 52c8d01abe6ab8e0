package io.flashsale.waitingroom;

/**
 * The order of a sharded line: the shards' k-th buyers go before any shard's (k+1)-th, so buyers go
 * by queue number, and buyers with the same number on different shards go in a rotation that starts
 * one shard further on at each number ((shard - number) mod S): no shard always goes first. Every
 * reader of a place in line uses this order: the admission step's merge, the status read, the live
 * feed and the queue export. With one shard it is the queue number's order.
 */
public final class LineOrder {

  private LineOrder() {}

  /** Where {@code shard} goes among the buyers holding queue number {@code number}. */
  public static int turn(int shard, long number, int shards) {
    return (int) Math.floorMod(shard - number, (long) shards);
  }

  /** Negative when (shard a, number m) goes before (shard b, number n). */
  public static int compare(int a, long m, int b, long n, int shards) {
    if (m != n) {
      return Long.compare(m, n);
    }
    return Integer.compare(turn(a, m, shards), turn(b, n, shards));
  }

  /**
   * The highest queue number on {@code other} that goes before number {@code number} of {@code
   * shard}: the number itself when {@code other}'s turn at that number comes first, else the one
   * below it.
   */
  public static long lastAhead(int other, int shard, long number, int shards) {
    return turn(other, number, shards) < turn(shard, number, shards) ? number : number - 1;
  }
}
