package io.flashsale.waitingroom;

import io.vertx.core.json.JsonObject;

/**
 * What a buyer is told about their place: {@code position} counts from 1 at the head of the line;
 * before the pre-queue is shuffled it is an upper bound and {@code prequeue} is true. On a sharded
 * line {@code queueNumber} counts within the buyer's {@code lineShard} (-1: the line has one).
 */
public record QueueView(
    String saleId,
    String ticketId,
    long queueNumber,
    long position,
    long ahead,
    TicketState state,
    long estimatedWaitSeconds,
    boolean prequeue,
    String orderId,
    String admissionToken,
    String payment,
    int lineShard) {

  public JsonObject toJson() {
    JsonObject json =
        new JsonObject()
            .put("saleId", saleId)
            .put("ticketId", ticketId)
            .put("state", state.name())
            .put("position", position)
            .put("ahead", ahead)
            .put("estimatedWaitSeconds", estimatedWaitSeconds)
            .put("prequeue", prequeue);
    if (payment != null && !payment.isEmpty()) {
      json.put("payment", payment);
    }
    if (queueNumber > 0) {
      json.put("queueNumber", queueNumber);
    }
    if (lineShard >= 0) {
      json.put("lineShard", lineShard);
    }
    if (orderId != null) {
      json.put("orderId", orderId);
    }
    if (admissionToken != null) {
      json.put("admissionToken", admissionToken);
    }
    return json;
  }
}
