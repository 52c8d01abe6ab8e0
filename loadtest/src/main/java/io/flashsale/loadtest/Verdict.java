package io.flashsale.loadtest;

import io.vertx.core.json.JsonObject;

/**
 * Whether a run's sale kept SPEC section 10's invariants. I3 (no undersell: sold = stock) is judged
 * only when the run's demand covered what was left of the stock; a sale that was not meant to sell
 * out (fewer buyers than units) must instead stay within its stock and keep the others. I1, I2 and
 * I4 come from the server's audit; fairness (I5) is null when not judged.
 */
record Verdict(
    boolean i1,
    boolean i2,
    boolean i4,
    int available,
    int sold,
    int soldBefore,
    int buyers,
    boolean settled,
    Boolean fair,
    boolean noErrors) {

  /**
   * Every buyer of the run asks for one unit: they cover the stock when there are as many as units
   * left.
   */
  boolean demandCoversSupply() {
    return buyers >= available - soldBefore;
  }

  /**
   * Units sold once the run has settled: what was sold before, plus one per buyer up to the stock.
   */
  static int expectedSold(int available, int soldBefore, int buyers) {
    return soldBefore + Math.max(0, Math.min(available - soldBefore, buyers));
  }

  /** True, false, or null when it does not apply (the sale was not meant to sell out). */
  Boolean i3() {
    return demandCoversSupply() ? sold == available : null;
  }

  boolean held() {
    Boolean i3 = i3();
    return i1
        && i2
        && i4
        && sold <= available
        && (i3 == null || i3)
        && (fair == null || fair)
        && noErrors
        && settled;
  }

  JsonObject toJson() {
    return new JsonObject()
        .put("held", held())
        .put("I1", i1)
        .put("I2", i2)
        .put("I3", i3())
        .put("I4", i4)
        .put("I5", fair)
        .put("withinStock", sold <= available)
        .put("demandCoversSupply", demandCoversSupply())
        .put("noErrors", noErrors)
        .put("settled", settled);
  }
}
