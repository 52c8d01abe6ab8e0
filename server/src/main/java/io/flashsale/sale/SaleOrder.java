package io.flashsale.sale;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Instant;

public record SaleOrder(
    String orderId,
    String saleId,
    String userId,
    int quantity,
    OrderStatus status,
    long amountCents,
    String currency,
    Instant reservedAt,
    Instant expiresAt,
    Instant paidAt,
    Instant closedAt,
    String paymentReference) {

  static final String COLUMNS =
      "order_id, sale_id, user_id, quantity, status, amount_cents, currency,"
          + " reserved_at, expires_at, paid_at, closed_at, payment_reference";

  static SaleOrder fromRow(Row row) {
    return new SaleOrder(
        row.getUUID("order_id").toString(),
        row.getUUID("sale_id").toString(),
        row.getString("user_id"),
        row.getInteger("quantity"),
        OrderStatus.valueOf(row.getString("status")),
        row.getLong("amount_cents"),
        row.getString("currency"),
        FlashSale.instant(row, "reserved_at"),
        FlashSale.instant(row, "expires_at"),
        FlashSale.instant(row, "paid_at"),
        FlashSale.instant(row, "closed_at"),
        row.getString("payment_reference"));
  }

  public boolean isHeldAt(Instant now) {
    return status == OrderStatus.RESERVED && now.isBefore(expiresAt);
  }

  public JsonObject toJson() {
    JsonObject json =
        new JsonObject()
            .put("orderId", orderId)
            .put("saleId", saleId)
            .put("quantity", quantity)
            .put("status", status.name())
            .put("amountCents", amountCents)
            .put("currency", currency)
            .put("reservedAt", reservedAt.toString())
            .put("expiresAt", expiresAt.toString());
    if (paidAt != null) {
      json.put("paidAt", paidAt.toString()).put("paymentReference", paymentReference);
    }
    if (closedAt != null) {
      json.put("closedAt", closedAt.toString());
    }
    return json;
  }
}
