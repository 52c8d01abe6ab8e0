package io.flashsale.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The load test's verdict: I3 binds only a sale the run's demand should have sold out. */
class VerdictTest {

  private static Verdict run(int available, int sold, int soldBefore, int buyers) {
    return new Verdict(true, true, true, available, sold, soldBefore, buyers, true, true, true);
  }

  @Test
  void aSaleThatSoldOutUnderEnoughDemandHolds() {
    Verdict verdict = run(1_000, 1_000, 0, 100_000);

    assertThat(verdict.i3()).isTrue();
    assertThat(verdict.held()).isTrue();
  }

  @Test
  void underSellingWhileDemandCoveredTheStockBreaksI3() {
    Verdict verdict = run(1_000, 999, 0, 100_000);

    assertThat(verdict.i3()).isFalse();
    assertThat(verdict.held()).isFalse();
  }

  @Test
  void aSaleWithFewerBuyersThanUnitsIsNotHeldToI3() {
    Verdict verdict = run(1_000, 300, 0, 300);

    assertThat(verdict.i3()).as("I3 does not apply").isNull();
    assertThat(verdict.held()).isTrue();
    assertThat(verdict.toJson().getValue("I3")).isNull();
    assertThat(verdict.toJson().getBoolean("withinStock")).isTrue();
  }

  @Test
  void anAdoptedSaleWithEarlierPurchasesThatDidNotSellOutHolds() {
    // The demo sale: one unit bought by hand, then 100 load-test buyers for 1,000 units.
    Verdict verdict = run(1_000, 101, 1, 100);

    assertThat(verdict.held()).isTrue();
    assertThat(Verdict.expectedSold(1_000, 1, 100)).isEqualTo(101);
  }

  @Test
  void anAdoptedSaleWhoseRestTheRunCoveredMustSellOut() {
    assertThat(run(1_000, 1_000, 950, 50).held()).isTrue();
    assertThat(run(1_000, 990, 950, 50).held()).isFalse();
    assertThat(Verdict.expectedSold(1_000, 950, 500)).isEqualTo(1_000);
  }

  @Test
  void theOtherInvariantsStillBindASaleThatDidNotSellOut() {
    assertThat(run(1_000, 1_001, 0, 300).held()).as("over the stock").isFalse();
    assertThat(new Verdict(false, true, true, 1_000, 300, 0, 300, true, true, true).held())
        .as("I1")
        .isFalse();
    assertThat(new Verdict(true, false, true, 1_000, 300, 0, 300, true, true, true).held())
        .as("I2")
        .isFalse();
    assertThat(new Verdict(true, true, false, 1_000, 300, 0, 300, true, true, true).held())
        .as("I4")
        .isFalse();
    assertThat(new Verdict(true, true, true, 1_000, 300, 0, 300, true, false, true).held())
        .as("I5")
        .isFalse();
    assertThat(new Verdict(true, true, true, 1_000, 300, 0, 300, true, null, true).held())
        .as("I5 not judged")
        .isTrue();
    assertThat(new Verdict(true, true, true, 1_000, 300, 0, 300, true, true, false).held())
        .as("errors")
        .isFalse();
    assertThat(new Verdict(true, true, true, 1_000, 200, 0, 300, false, true, true).held())
        .as("not settled")
        .isFalse();
  }
}
