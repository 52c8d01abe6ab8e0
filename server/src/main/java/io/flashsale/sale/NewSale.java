package io.flashsale.sale;

import java.time.Instant;

/**
 * A validated request to create a sale. {@code lineShards} 0: the configured default
 * (waitingroom.line-shards).
 */
public record NewSale(
    String productId,
    String productName,
    int quantity,
    long priceCents,
    String currency,
    Instant startTime,
    Instant endTime,
    int perUserLimit,
    int admissionRatePerSecond,
    int checkoutTtlSeconds,
    boolean waitingRoom,
    QueuePolicy queuePolicy,
    int powDifficulty,
    boolean captchaRequired,
    int lineShards) {

  /** The same request with its line spread over {@code shards} Redis slots. */
  public NewSale withLineShards(int shards) {
    return new NewSale(
        productId,
        productName,
        quantity,
        priceCents,
        currency,
        startTime,
        endTime,
        perUserLimit,
        admissionRatePerSecond,
        checkoutTtlSeconds,
        waitingRoom,
        queuePolicy,
        powDifficulty,
        captchaRequired,
        shards);
  }
}
