package io.flashsale.waitingroom;

/**
 * A buyer's place in one sale's waiting room, as stored in the sale's tickets hash: {@code
 * ticketId|number|quantity|state|orderId|admittedAtMillis|payment|seenAtMillis|paymentMethod}, the
 * whole per-buyer record of the line (the prelude's ticket codec is its twin). Number 0 means "in
 * the pre-queue, not yet numbered"; admittedAtMillis and seenAtMillis (Redis' clock) are 0 until
 * known.
 */
public record Ticket(
    String ticketId,
    long number,
    int quantity,
    TicketState state,
    String orderId,
    long admittedAtMillis,
    Payment payment,
    long seenAtMillis,
    String paymentMethod) {

  /** The card pre-authorisation's state, one letter in Redis. */
  public enum Payment {
    NONE(""),
    /** Not started yet. */
    WAITING("Q"),
    /** Being authorised, under a lease. */
    AUTHORIZING("A"),
    AUTHORIZED("Y"),
    DECLINED("N");

    private final String code;

    Payment(String code) {
      this.code = code;
    }

    static Payment of(String code) {
      for (Payment payment : values()) {
        if (payment.code.equals(code)) {
          return payment;
        }
      }
      throw new IllegalArgumentException("unknown payment state " + code);
    }
  }

  /** A ticket with no card pre-authorisation, never seen, e.g. one rebuilt from the database. */
  public Ticket(
      String ticketId,
      long number,
      int quantity,
      TicketState state,
      String orderId,
      long admittedAtMillis) {
    this(ticketId, number, quantity, state, orderId, admittedAtMillis, Payment.NONE, 0, "");
  }

  public static Ticket decode(String encoded) {
    String[] parts = encoded.split("\\|", 9);
    return new Ticket(
        parts[0],
        Long.parseLong(parts[1]),
        Integer.parseInt(parts[2]),
        TicketState.valueOf(parts[3]),
        parts[4].isEmpty() ? null : parts[4],
        parts[5].isEmpty() ? 0 : Long.parseLong(parts[5]),
        Payment.of(parts[6]),
        parts[7].isEmpty() ? 0 : Long.parseLong(parts[7]),
        parts[8]);
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
        + (admittedAtMillis == 0 ? "" : Long.toString(admittedAtMillis))
        + "|"
        + payment.code
        + "|"
        + seenAtMillis
        + "|"
        + paymentMethod;
  }

  public boolean numbered() {
    return number > 0;
  }
}
