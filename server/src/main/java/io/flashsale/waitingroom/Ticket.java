package io.flashsale.waitingroom;

/**
 * A buyer's place in one sale's waiting room, as stored in the sale's tickets hash: {@code
 * ticketId|number|quantity|state|orderId|admittedAtMillis}. Number 0 means "in the pre-queue, not
 * yet numbered"; admittedAtMillis (Redis' clock) is 0 until admitted.
 */
public record Ticket(
    String ticketId,
    long number,
    int quantity,
    TicketState state,
    String orderId,
    long admittedAtMillis) {

  public static Ticket decode(String encoded) {
    String[] parts = encoded.split("\\|", -1);
    return new Ticket(
        parts[0],
        Long.parseLong(parts[1]),
        Integer.parseInt(parts[2]),
        TicketState.valueOf(parts[3]),
        parts[4].isEmpty() ? null : parts[4],
        parts[5].isEmpty() ? 0 : Long.parseLong(parts[5]));
  }

  public String encode() {
    return ticketId
        + "|"
        + number
        + "|"
        + quantity
        + "|"
        + state
        + "|"
        + (orderId == null ? "" : orderId)
        + "|"
        + (admittedAtMillis == 0 ? "" : Long.toString(admittedAtMillis));
  }

  public boolean numbered() {
    return number > 0;
  }
}
