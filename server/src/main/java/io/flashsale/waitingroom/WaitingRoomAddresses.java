package io.flashsale.waitingroom;

/** Event-bus addresses of the waiting room. Payloads are JsonObjects with a {@code saleId}. */
public final class WaitingRoomAddresses {

  /** A buyer's ticket reached a new state: {@code saleId, userId, state, orderId?}. */
  public static final String OUTCOME = "flashsale.waitingroom.outcome";

  /** A sale's stock reached zero with buyers still waiting: {@code saleId}. */
  public static final String SOLD_OUT = "flashsale.waitingroom.sold-out";

  /** An operator changed the sale (ended it early, paused it): every live connection re-reads its state. */
  public static final String SALE_CHANGED = "flashsale.waitingroom.sale-changed";

  private WaitingRoomAddresses() {}
}
