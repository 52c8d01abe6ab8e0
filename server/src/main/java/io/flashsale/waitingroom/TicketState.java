package io.flashsale.waitingroom;

/** Where a buyer stands. QUEUED and SOLD_OUT are both "still in line"; the rest are answers. */
public enum TicketState {
  /** In line, units left. */
  QUEUED,
  /** In line while nothing is left: waitlisted for a unit that comes back. */
  SOLD_OUT,
  /** Let out of the line with units taken; the reservation is being written. */
  ADMITTED,
  /** Holds a reservation ({@code orderId}). */
  RESERVED,
  PAID,
  CANCELLED,
  EXPIRED,
  /** The card pre-authorisation was declined while the buyer waited; they left the line. */
  DECLINED,
  /** Admitted, but the database refused the reservation; the units went back. */
  REFUSED,
  /**
   * The sale ended while the buyer was still in line, or before their admission could be reserved.
   */
  ENDED,
  /** The buyer left the line themselves. */
  LEFT,
  /** Away when their turn came and not back within the grace period: out of the line. */
  DROPPED;

  public boolean waiting() {
    return this == QUEUED || this == SOLD_OUT;
  }
}
