package io.flashsale.events;

import io.vertx.core.json.JsonObject;

/** Something that happened to a sale, published to every node: {@link SaleEvents#publish}. */
public sealed interface SaleEvent permits BuyerOutcome, SoldOut, SaleChanged, UnitsReturned {

  String saleId();

  /** The event-bus address of this kind of event, {@code flashsale.<capability>.<event>}. */
  String address();

  /** The wire form between nodes. */
  JsonObject toJson();
}
