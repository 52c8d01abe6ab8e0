package io.flashsale.events;

import io.flashsale.operator.OperatorLog.Action;
import io.vertx.core.json.JsonObject;
import java.util.Objects;

/**
 * An operator changed the sale (paused, resumed, set the rate, ended it early): every node's
 * catalog forgets it and every live connection re-reads its state.
 */
public record SaleChanged(String saleId, Action action) implements SaleEvent {

  public static final String ADDRESS = "flashsale.waitingroom.sale-changed";

  public SaleChanged {
    Objects.requireNonNull(saleId, "saleId");
    Objects.requireNonNull(action, "action");
  }

  @Override
  public String address() {
    return ADDRESS;
  }

  @Override
  public JsonObject toJson() {
    return new JsonObject().put("saleId", saleId).put("action", action.name());
  }

  static SaleChanged fromJson(JsonObject json) {
    return new SaleChanged(json.getString("saleId"), Action.valueOf(json.getString("action")));
  }
}
