package io.flashsale.sale;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Instant;
import java.time.OffsetDateTime;

public record FlashSale(
    String saleId,
    String productId,
    String productName,
    int quantityAvailable,
    int quantitySold,
    long priceCents,
    String currency,
    Instant startTime,
    Instant endTime,
    SaleStatus status,
    int perUserLimit,
    int admissionRatePerSecond,
    boolean admissionPaused,
    int checkoutTtlSeconds,
    boolean waitingRoom,
    QueuePolicy queuePolicy,
    int powDifficulty,
    boolean captchaRequired,
    int lineShards,
    Instant createdAt,
    Instant updatedAt) {

  static final String COLUMNS =
      "sale_id, product_id, product_name, quantity_available, quantity_sold,"
          + " price_cents, currency, start_time, end_time, status, per_user_limit, admission_rate_per_second,"
          + " admission_paused, checkout_ttl_seconds, waiting_room, queue_policy, pow_difficulty, captcha_required, line_shards, created_at, updated_at";

  static FlashSale fromRow(Row row) {
    return new FlashSale(
        row.getUUID("sale_id").toString(),
        row.getString("product_id"),
        row.getString("product_name"),
        row.getInteger("quantity_available"),
        row.getInteger("quantity_sold"),
        row.getLong("price_cents"),
        row.getString("currency"),
        instant(row, "start_time"),
        instant(row, "end_time"),
        SaleStatus.valueOf(row.getString("status")),
        row.getInteger("per_user_limit"),
        row.getInteger("admission_rate_per_second"),
        row.getBoolean("admission_paused"),
        row.getInteger("checkout_ttl_seconds"),
        row.getBoolean("waiting_room"),
        QueuePolicy.valueOf(row.getString("queue_policy")),
        row.getInteger("pow_difficulty"),
        row.getBoolean("captcha_required"),
        row.getInteger("line_shards"),
        instant(row, "created_at"),
        instant(row, "updated_at"));
  }

  static Instant instant(Row row, String column) {
    OffsetDateTime value = row.getOffsetDateTime(column);
    return value == null ? null : value.toInstant();
  }

  public int remaining() {
    return quantityAvailable - quantitySold;
  }

  /**
   * Open for buying at {@code now}: within its window and not ended (sold out still counts: units
   * can come back).
   */
  public boolean isOpenAt(Instant now) {
    return status != SaleStatus.ENDED && !now.isBefore(startTime) && now.isBefore(endTime);
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("saleId", saleId)
        .put("productId", productId)
        .put("productName", productName)
        .put("quantityAvailable", quantityAvailable)
        .put("quantitySold", quantitySold)
        .put("remaining", remaining())
        .put("priceCents", priceCents)
        .put("currency", currency)
        .put("startTime", startTime.toString())
        .put("endTime", endTime.toString())
        .put("status", status.name())
        .put("perUserLimit", perUserLimit)
        .put("admissionRatePerSecond", admissionRatePerSecond)
        .put("admissionPaused", admissionPaused)
        .put("checkoutTtlSeconds", checkoutTtlSeconds)
        .put("waitingRoom", waitingRoom)
        .put("queuePolicy", queuePolicy.name())
        .put("proofOfWorkDifficulty", powDifficulty)
        .put("captchaRequired", captchaRequired)
        .put("lineShards", lineShards)
        .put("createdAt", createdAt.toString())
        .put("updatedAt", updatedAt.toString());
  }
}
