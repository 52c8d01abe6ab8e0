package io.flashsale.waitingroom;

import static io.flashsale.support.PreludeLua.eval;
import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.waitingroom.Ticket.Payment;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The ticket record: Java's {@link Ticket} and the prelude's Lua codec agree on one golden string
 * each way.
 */
class TicketCodecTest {

  private static final String ADMITTED =
      "9b2c7e3a-0d41-4c55-9a7e-2f1d5c6b8e90|42|2|ADMITTED||1767225600123|Y|1767225590456|pm_card_visa";
  private static final Ticket ADMITTED_TICKET =
      new Ticket(
          "9b2c7e3a-0d41-4c55-9a7e-2f1d5c6b8e90",
          42,
          2,
          TicketState.ADMITTED,
          null,
          1767225600123L,
          Payment.AUTHORIZED,
          1767225590456L,
          "pm_card_visa");

  /** Rebuilt from the database: no card pre-authorisation, never seen. */
  private static final String RESERVED = "t-1|7|1|RESERVED|order-9|1767225600123||0|";

  private static final String PREQUEUED = "t-2|0|3|QUEUED|||Q|1767225590456|pm_card_visa";

  /** The payment method is the caller's string, read to the end: it may hold the separator. */
  private static final String AUTHORIZING = "t-3|5|1|QUEUED|||A|1767225590456|pm|odd|method";

  @Test
  void javaEncodesAndDecodesTheGoldenStrings() {
    assertThat(ADMITTED_TICKET.encode()).isEqualTo(ADMITTED);
    assertThat(Ticket.decode(ADMITTED)).isEqualTo(ADMITTED_TICKET);
    assertThat(Ticket.decode(RESERVED))
        .isEqualTo(new Ticket("t-1", 7, 1, TicketState.RESERVED, "order-9", 1767225600123L));
    assertThat(Ticket.decode(RESERVED).encode()).isEqualTo(RESERVED);
    assertThat(Ticket.decode(PREQUEUED))
        .isEqualTo(
            new Ticket(
                "t-2",
                0,
                3,
                TicketState.QUEUED,
                null,
                0,
                Payment.WAITING,
                1767225590456L,
                "pm_card_visa"));
    assertThat(Ticket.decode(PREQUEUED).encode()).isEqualTo(PREQUEUED);
    assertThat(Ticket.decode(AUTHORIZING).paymentMethod()).isEqualTo("pm|odd|method");
    assertThat(Ticket.decode(AUTHORIZING).encode()).isEqualTo(AUTHORIZING);
  }

  @Test
  void eachPaymentStateIsTheScriptsLetterBothWays() {
    assertThat(Arrays.stream(Payment.values()).map(TicketCodecTest::letter))
        .containsExactly("", "Q", "A", "Y", "N");
    for (Payment payment : Payment.values()) {
      assertThat(Ticket.decode("t|1|1|QUEUED|||" + letter(payment) + "|0|").payment())
          .isEqualTo(payment);
    }
  }

  private static String letter(Payment payment) {
    return new Ticket("t", 1, 1, TicketState.QUEUED, null, 0, payment, 0, "")
        .encode()
        .split("\\|", -1)[6];
  }

  @Test
  void luaEncodesTheSameGoldenString() {
    assertThat(
            eval(
                "return encode_ticket({id = ARGV[1], number = tonumber(ARGV[2]), quantity = tonumber(ARGV[3]),"
                    + " state = 'ADMITTED', order = '', admitted_at = tonumber(ARGV[4]), pay = 'Y',"
                    + " seen = tonumber(ARGV[5]), method = ARGV[6]})",
                "9b2c7e3a-0d41-4c55-9a7e-2f1d5c6b8e90",
                "42",
                "2",
                "1767225600123",
                "1767225590456",
                "pm_card_visa"))
        .containsExactly(ADMITTED);
    assertThat(
            eval(
                "return encode_ticket({id = 't-2', number = 0, quantity = 3, state = 'QUEUED', order = '',"
                    + " admitted_at = '', pay = 'Q', seen = 1767225590456, method = 'pm_card_visa'})"))
        .containsExactly(PREQUEUED);
  }

  @Test
  void luaDecodesTheGoldenStringsToTheSameFields() {
    String fields =
        "local t = decode_ticket(ARGV[1])\n"
            + "return {t.id, tostring(t.number), tostring(t.quantity), t.state, t.order, t.admitted_at,"
            + " t.pay, tostring(t.seen), t.method}";
    assertThat(eval(fields, ADMITTED))
        .containsExactly(
            "9b2c7e3a-0d41-4c55-9a7e-2f1d5c6b8e90",
            "42",
            "2",
            "ADMITTED",
            "",
            "1767225600123",
            "Y",
            "1767225590456",
            "pm_card_visa");
    assertThat(eval(fields, RESERVED))
        .containsExactly("t-1", "7", "1", "RESERVED", "order-9", "1767225600123", "", "0", "");
    assertThat(eval(fields, PREQUEUED))
        .containsExactly("t-2", "0", "3", "QUEUED", "", "", "Q", "1767225590456", "pm_card_visa");
    assertThat(eval(fields, AUTHORIZING))
        .containsExactly("t-3", "5", "1", "QUEUED", "", "", "A", "1767225590456", "pm|odd|method");
  }

  @Test
  void luaReencodesEveryGoldenStringUnchanged() {
    for (String golden : new String[] {ADMITTED, RESERVED, PREQUEUED, AUTHORIZING}) {
      assertThat(eval("return encode_ticket(decode_ticket(ARGV[1]))", golden))
          .containsExactly(golden);
    }
  }

  @Test
  void aTicketInANewStateKeepsItsCardAndPresence() {
    assertThat(eval("return encode_ticket(ticket_in(decode_ticket(ARGV[1]), 'LEFT'))", PREQUEUED))
        .containsExactly("t-2|0|3|LEFT|||Q|1767225590456|pm_card_visa");
    assertThat(
            eval(
                "return encode_ticket(ticket_in(decode_ticket(ARGV[1]), 'QUEUED', '', ''))",
                ADMITTED))
        .containsExactly(
            "9b2c7e3a-0d41-4c55-9a7e-2f1d5c6b8e90|42|2|QUEUED|||Y|1767225590456|pm_card_visa");
  }

  @Test
  void luaNamesEachPaymentLetterAsCallersKnowIt() {
    assertThat(
            eval(
                "return {payment_word('Q'), payment_word('A'), payment_word('Y'), payment_word('N'),"
                    + " payment_word('')}"))
        .containsExactly("AUTHORIZING", "AUTHORIZING", "AUTHORIZED", "DECLINED", "");
  }
}
