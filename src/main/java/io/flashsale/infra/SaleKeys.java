package io.flashsale.infra;

/**
 * Redis key names of one sale. The braces are a Redis Cluster hash tag: every key of a sale
 * hashes to one slot, so a script may touch several of them.
 */
public record SaleKeys(String saleId) {

  public String stock() {
    return prefix() + "stock";
  }

  /** Hash user id → units that user holds, the O(1) per-user pre-check before the stock. */
  public String buyers() {
    return prefix() + "buyers";
  }

  private String prefix() {
    return "sale:{" + saleId + "}:";
  }
}
