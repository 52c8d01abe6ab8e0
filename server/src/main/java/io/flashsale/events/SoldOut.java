package io.flashsale.events;

import io.vertx.core.json.JsonObject;
import java.util.Objects;

/**
 * A sale's stock reached zero with buyers still waiting: every waiting connection sees SOLD_OUT.
 */
public record SoldOut(String saleId) implements SaleEvent {

  public static final String ADDRESS = "flashsale.waitingroom.sold-out";

  public SoldOut {
    Objects.requireNonNull(saleId, "saleId");
  }

  @Override
  public String address() {
    return ADDRESS;
  }

  @Override
  public JsonObject toJson() {
    return new JsonObject().put("saleId", saleId);
  }

  static SoldOut fromJson(JsonObject json) {
    return new SoldOut(json.getString("saleId"));
  }
}
