package io.flashsale.waitingroom;

/**
 * A buyer's place in one sale's waiting room, as stored in the sale's tickets hash:
 * {@code ticketId|number|quantity|state|orderId}. Number 0 means "in the pre-queue, not yet
 * numbered".
 */
public record Ticket(String ticketId, long number, int quantity, TicketState state, String orderId) {

  public static Ticket decode(String encoded) {
    String[] parts = encoded.split("\\|", -1);
    return new Ticket(parts[0], Long.parseLong(parts[1]), Integer.parseInt(parts[2]),
        TicketState.valueOf(parts[3]), parts[4].isEmpty() ? null : parts[4]);
  }

  public String encode() {
    return ticketId + "|" + number + "|" + quantity + "|" + state + "|" + (orderId == null ? "" : orderId);
  }

  public Ticket with(TicketState newState, String newOrderId) {
    return new Ticket(ticketId, number, quantity, newState, newOrderId);
  }

  public boolean numbered() {
    return number > 0;
  }
}
