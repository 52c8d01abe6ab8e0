package io.flashsale.events;

import io.vertx.core.json.JsonObject;
import java.util.Objects;

/**
 * Units went back to a sale's pool (a hold released, a lost take returned by reconciliation): the
 * head of its line, admitted by any node, gets them now rather than at the next tick.
 */
public record UnitsReturned(String saleId, int units) implements SaleEvent {

  public static final String ADDRESS = "flashsale.inventory.units-returned";

  public UnitsReturned {
    Objects.requireNonNull(saleId, "saleId");
  }

  @Override
  public String address() {
    return ADDRESS;
  }

  @Override
  public JsonObject toJson() {
    return new JsonObject().put("saleId", saleId).put("units", units);
  }

  static UnitsReturned fromJson(JsonObject json) {
    return new UnitsReturned(json.getString("saleId"), json.getInteger("units"));
  }
}
