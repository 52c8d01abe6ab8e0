package io.flashsale.inventory;

/**
 * Units taken in Redis whose database write is not confirmed yet, as the sale's inflight hash holds
 * them under their order id: {@code user|quantity|takenAtMillis} (Redis' clock). Read from the
 * right, as the Lua twin in {@code lua/lib/prelude.lua} reads it.
 */
public record InFlight(String userId, int quantity, long takenAtMillis) {

  public static InFlight decode(String encoded) {
    int last = encoded.lastIndexOf('|');
    int middle = encoded.lastIndexOf('|', last - 1);
    return new InFlight(
        encoded.substring(0, middle),
        Integer.parseInt(encoded.substring(middle + 1, last)),
        Long.parseLong(encoded.substring(last + 1)));
  }

  public String encode() {
    return userId + "|" + quantity + "|" + takenAtMillis;
  }
}
