package io.flashsale.events;

import io.flashsale.sale.SaleOrder;
import io.flashsale.waitingroom.TicketState;
import io.vertx.core.json.JsonObject;
import java.util.Objects;

/**
 * A buyer's ticket reached a new state: every live connection of theirs, on any node, re-reads it.
 *
 * @param orderId the order the state is about; null when there is none (left, dropped, declined...)
 */
public record BuyerOutcome(String saleId, String userId, TicketState state, String orderId)
    implements SaleEvent {

  public static final String ADDRESS = "flashsale.waitingroom.outcome";

  public BuyerOutcome {
    Objects.requireNonNull(saleId, "saleId");
    Objects.requireNonNull(userId, "userId");
    Objects.requireNonNull(state, "state");
  }

  /** An outcome with no order. */
  public static BuyerOutcome of(String saleId, String userId, TicketState state) {
    return new BuyerOutcome(saleId, userId, state, null);
  }

  /** The outcome an order's status is: reserved, paid, cancelled or expired. */
  public static BuyerOutcome of(SaleOrder order) {
    return new BuyerOutcome(
        order.saleId(),
        order.userId(),
        TicketState.valueOf(order.status().name()),
        order.orderId());
  }

  @Override
  public String address() {
    return ADDRESS;
  }

  @Override
  public JsonObject toJson() {
    return new JsonObject()
        .put("saleId", saleId)
        .put("userId", userId)
        .put("state", state.name())
        .put("orderId", orderId);
  }

  static BuyerOutcome fromJson(JsonObject json) {
    return new BuyerOutcome(
        json.getString("saleId"),
        json.getString("userId"),
        TicketState.valueOf(json.getString("state")),
        json.getString("orderId"));
  }
}
