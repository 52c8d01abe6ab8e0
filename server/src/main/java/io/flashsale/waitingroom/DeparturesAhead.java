package io.flashsale.waitingroom;

import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;

/**
 * The queue numbers that left the line ahead of the admission cursor (left, dropped, declined, or
 * set aside for absence), kept sorted so each live connection counts the buyers really ahead of it
 * with one binary search.
 */
final class DeparturesAhead {

  private DeparturesAhead() {}

  /** Applies new log entries ("n" gone, "-n" back) and forgets numbers the cursor has passed. */
  static long[] update(long[] current, List<Long> fresh, long cursor) {
    if (fresh.isEmpty() && (current.length == 0 || current[0] > cursor)) {
      return current;
    }
    TreeSet<Long> numbers = new TreeSet<>();
    for (long number : current) {
      numbers.add(number);
    }
    for (long entry : fresh) {
      if (entry < 0) {
        numbers.remove(-entry);
      } else {
        numbers.add(entry);
      }
    }
    return numbers.tailSet(cursor, false).stream().mapToLong(Long::longValue).toArray();
  }

  /** How many of {@code sorted} are below {@code number}. */
  static long below(long[] sorted, long number) {
    int at = Arrays.binarySearch(sorted, number);
    return at >= 0 ? at : -at - 1;
  }
}
