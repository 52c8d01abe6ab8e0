package io.flashsale.waitingroom;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The sorted numbers that left the line ahead of the cursor, and the count below a number. */
class DeparturesAheadTest {

  private static final long[] NONE = {};

  @Test
  void nothingNewAndNothingPassedKeepsTheSameArray() {
    long[] current = {12, 15};
    assertThat(DeparturesAhead.update(current, List.of(), 10)).isSameAs(current);
    assertThat(DeparturesAhead.update(NONE, List.of(), 10)).isSameAs(NONE);
  }

  @Test
  void departuresAreKeptSortedWhateverTheOrderTheyArrive() {
    assertThat(DeparturesAhead.update(NONE, List.of(30L, 12L, 21L), 10))
        .containsExactly(12, 21, 30);
  }

  @Test
  void aNumberLoggedTwiceCountsOnce() {
    assertThat(DeparturesAhead.update(new long[] {12}, List.of(12L, 12L), 10)).containsExactly(12);
  }

  @Test
  void aNegativeEntryBringsTheBuyerBack() {
    assertThat(DeparturesAhead.update(new long[] {12, 15}, List.of(-12L), 10)).containsExactly(15);
  }

  @Test
  void aBuyerWhoLeavesAndComesBackInOneBatchIsInTheLine() {
    assertThat(DeparturesAhead.update(NONE, List.of(14L, -14L), 10)).isEmpty();
    assertThat(DeparturesAhead.update(NONE, List.of(-14L, 14L), 10))
        .as("the log's order decides")
        .containsExactly(14);
  }

  @Test
  void numbersTheCursorHasReachedOrPassedAreForgotten() {
    assertThat(DeparturesAhead.update(new long[] {3, 7, 10, 11}, List.of(), 10))
        .containsExactly(11);
    assertThat(DeparturesAhead.update(NONE, List.of(5L, 10L, 20L), 10)).containsExactly(20);
  }

  @Test
  void belowCountsTheDeparturesAheadOfANumber() {
    long[] sorted = {12, 15, 21};
    assertThat(DeparturesAhead.below(sorted, 11)).isZero();
    assertThat(DeparturesAhead.below(sorted, 12)).as("not itself").isZero();
    assertThat(DeparturesAhead.below(sorted, 13)).isEqualTo(1);
    assertThat(DeparturesAhead.below(sorted, 21)).isEqualTo(2);
    assertThat(DeparturesAhead.below(sorted, 100)).isEqualTo(3);
    assertThat(DeparturesAhead.below(NONE, 100)).isZero();
  }

  @Test
  void aBuyersPlaceIsTheirNumberPastTheCursorLessThoseWhoLeftAhead() {
    long cursor = 10;
    long[] departed = DeparturesAhead.update(NONE, List.of(11L, 13L, 16L), cursor);
    long number = 15;
    assertThat(number - cursor - DeparturesAhead.below(departed, number)).isEqualTo(3);
  }
}
