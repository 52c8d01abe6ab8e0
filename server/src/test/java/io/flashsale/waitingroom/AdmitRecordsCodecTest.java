package io.flashsale.waitingroom;

import static io.flashsale.support.PreludeLua.eval;
import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.waitingroom.AdmitScript.Admitted;
import io.flashsale.waitingroom.AdmitScript.Dropped;
import org.junit.jupiter.api.Test;

/**
 * The admit script's records: Java's codecs and the prelude's Lua codecs agree on one golden string
 * each.
 */
class AdmitRecordsCodecTest {

  private static final String ADMITTED =
      "user-7|9b2c7e3a-0d41-4c55-9a7e-2f1d5c6b8e90|42|2|1767225600123";
  private static final Admitted ADMITTED_BUYER =
      new Admitted("user-7", "9b2c7e3a-0d41-4c55-9a7e-2f1d5c6b8e90", 42, 2, 1767225600123L);
  private static final String DROPPED = "user-8|t-3|43";
  private static final Dropped DROPPED_BUYER = new Dropped("user-8", "t-3", 43);

  @Test
  void javaEncodesAndDecodesTheGoldenStrings() {
    assertThat(ADMITTED_BUYER.encode()).isEqualTo(ADMITTED);
    assertThat(Admitted.decode(ADMITTED)).isEqualTo(ADMITTED_BUYER);
    assertThat(DROPPED_BUYER.encode()).isEqualTo(DROPPED);
    assertThat(Dropped.decode(DROPPED)).isEqualTo(DROPPED_BUYER);
  }

  @Test
  void luaEncodesTheSameGoldenStringsFromTheTicket() {
    assertThat(
            eval(
                "return encode_admitted(ARGV[1], {id = ARGV[2], number = tonumber(ARGV[3]),"
                    + " quantity = tonumber(ARGV[4]), state = 'ADMITTED', order = '', admitted_at = tonumber(ARGV[5])})",
                "user-7",
                "9b2c7e3a-0d41-4c55-9a7e-2f1d5c6b8e90",
                "42",
                "2",
                "1767225600123"))
        .containsExactly(ADMITTED);
    assertThat(
            eval(
                "return encode_dropped(ARGV[1], decode_ticket(ARGV[2]))",
                "user-8",
                "t-3|43|1|QUEUED|||Q|1767225600000|pm_card_visa"))
        .containsExactly(DROPPED);
  }

  @Test
  void anAdmittedBuyersTicketIsTheTicketCodecs() {
    assertThat(ADMITTED_BUYER.ticket(TicketState.ADMITTED, null).encode())
        .isEqualTo("9b2c7e3a-0d41-4c55-9a7e-2f1d5c6b8e90|42|2|ADMITTED||1767225600123|Y|0|");
  }
}
