package io.flashsale.waitingroom;

import static io.flashsale.support.PreludeLua.eval;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The ticket record: Java's {@link Ticket} and the prelude's Lua codec agree on one golden string
 * each way.
 */
class TicketCodecTest {

  private static final String ADMITTED =
      "9b2c7e3a-0d41-4c55-9a7e-2f1d5c6b8e90|42|2|ADMITTED||1767225600123";
  private static final Ticket ADMITTED_TICKET =
      new Ticket(
          "9b2c7e3a-0d41-4c55-9a7e-2f1d5c6b8e90",
          42,
          2,
          TicketState.ADMITTED,
          null,
          1767225600123L);
  private static final String RESERVED = "t-1|7|1|RESERVED|order-9|1767225600123";
  private static final String PREQUEUED = "t-2|0|3|QUEUED||";

  @Test
  void javaEncodesAndDecodesTheGoldenStrings() {
    assertThat(ADMITTED_TICKET.encode()).isEqualTo(ADMITTED);
    assertThat(Ticket.decode(ADMITTED)).isEqualTo(ADMITTED_TICKET);
    assertThat(Ticket.decode(RESERVED).encode()).isEqualTo(RESERVED);
    assertThat(Ticket.decode(PREQUEUED))
        .isEqualTo(new Ticket("t-2", 0, 3, TicketState.QUEUED, null, 0));
    assertThat(Ticket.decode(PREQUEUED).encode()).isEqualTo(PREQUEUED);
  }

  @Test
  void luaEncodesTheSameGoldenString() {
    assertThat(
            eval(
                "return encode_ticket({id = ARGV[1], number = tonumber(ARGV[2]), quantity = tonumber(ARGV[3]),"
                    + " state = 'ADMITTED', order = '', admitted_at = tonumber(ARGV[4])})",
                "9b2c7e3a-0d41-4c55-9a7e-2f1d5c6b8e90",
                "42",
                "2",
                "1767225600123"))
        .containsExactly(ADMITTED);
    assertThat(
            eval(
                "return encode_ticket({id = 't-2', number = 0, quantity = 3, state = 'QUEUED', order = '',"
                    + " admitted_at = ''})"))
        .containsExactly(PREQUEUED);
  }

  @Test
  void luaDecodesTheGoldenStringsToTheSameFields() {
    String fields =
        "local t = decode_ticket(ARGV[1])\n"
            + "return {t.id, tostring(t.number), tostring(t.quantity), t.state, t.order, t.admitted_at}";
    assertThat(eval(fields, ADMITTED))
        .containsExactly(
            "9b2c7e3a-0d41-4c55-9a7e-2f1d5c6b8e90", "42", "2", "ADMITTED", "", "1767225600123");
    assertThat(eval(fields, RESERVED))
        .containsExactly("t-1", "7", "1", "RESERVED", "order-9", "1767225600123");
    assertThat(eval(fields, PREQUEUED)).containsExactly("t-2", "0", "3", "QUEUED", "", "");
    assertThat(eval("return encode_ticket(ticket_in(decode_ticket(ARGV[1]), 'LEFT'))", PREQUEUED))
        .containsExactly("t-2|0|3|LEFT||");
  }
}
