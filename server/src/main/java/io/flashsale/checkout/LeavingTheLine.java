package io.flashsale.checkout;

import io.flashsale.waitingroom.WaitingRoom;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.UUID;

/**
 * A buyer leaving a sale's waiting room: out of the line, or, for one already admitted and holding
 * a unit, that hold cancelled like any other (the unit goes to the next buyer and the card
 * authorisation is voided).
 */
public final class LeavingTheLine {

  private final WaitingRoom room;
  private final Checkout checkout;

  public LeavingTheLine(WaitingRoom room, Checkout checkout) {
    this.room = room;
    this.checkout = checkout;
  }

  /**
   * {@code ticketId} null: the caller's own ticket. The answer: saleId, ticketId, state and, after
   * a hold, orderId.
   */
  public Future<JsonObject> leave(String userId, UUID saleId, String ticketId) {
    return room.leave(userId, saleId, ticketId)
        .compose(
            departure ->
                (departure.heldOrderId() == null
                        ? Future.succeededFuture(
                            new JsonObject().put("state", departure.ticket().state().name()))
                        : checkout
                            .cancel(userId, UUID.fromString(departure.heldOrderId()))
                            .map(
                                order ->
                                    new JsonObject()
                                        .put("state", order.status().name())
                                        .put("orderId", order.orderId())))
                    .map(
                        answer ->
                            answer
                                .put("saleId", saleId.toString())
                                .put("ticketId", departure.ticket().ticketId())));
  }
}
