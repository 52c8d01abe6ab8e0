package io.flashsale.sale;

import java.time.Instant;

/** A validated request to create a sale. */
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
    boolean captchaRequired) {}
