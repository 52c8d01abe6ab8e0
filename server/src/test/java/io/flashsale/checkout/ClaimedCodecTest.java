package io.flashsale.checkout;

import static io.flashsale.support.PreludeLua.eval;
import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.checkout.ClaimPreauthorizationsScript.Claimed;
import org.junit.jupiter.api.Test;

/**
 * The claimed record: Java's {@link Claimed} and the prelude's Lua codec agree on one golden
 * string.
 */
class ClaimedCodecTest {

  private static final String GOLDEN = "user-7|9b2c7e3a-0d41-4c55-9a7e-2f1d5c6b8e90|2|pm_card_visa";
  private static final Claimed CLAIMED =
      new Claimed("user-7", "9b2c7e3a-0d41-4c55-9a7e-2f1d5c6b8e90", 2, "pm_card_visa");

  @Test
  void javaEncodesAndDecodesTheGoldenString() {
    assertThat(CLAIMED.encode()).isEqualTo(GOLDEN);
    assertThat(Claimed.decode(GOLDEN)).isEqualTo(CLAIMED);
  }

  @Test
  void luaEncodesTheSameGoldenStringFromTheTicket() {
    assertThat(
            eval(
                "return encode_claimed(ARGV[1], decode_ticket(ARGV[2]), ARGV[3])",
                "user-7",
                "9b2c7e3a-0d41-4c55-9a7e-2f1d5c6b8e90|12|2|QUEUED|||A|0|pm_card_visa",
                "pm_card_visa"))
        .containsExactly(GOLDEN);
  }
}
