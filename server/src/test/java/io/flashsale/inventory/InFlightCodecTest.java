package io.flashsale.inventory;

import static io.flashsale.support.PreludeLua.eval;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The in-flight record: Java's {@link InFlight} and the prelude's Lua codec agree on one golden
 * string.
 */
class InFlightCodecTest {

  private static final String GOLDEN = "auth0|user-7|3|1767225600123";
  private static final InFlight ENTRY = new InFlight("auth0|user-7", 3, 1767225600123L);

  @Test
  void javaEncodesAndDecodesTheGoldenString() {
    assertThat(ENTRY.encode()).isEqualTo(GOLDEN);
    assertThat(InFlight.decode(GOLDEN)).isEqualTo(ENTRY);
  }

  @Test
  void luaEncodesAndDecodesTheSameGoldenString() {
    assertThat(
            eval(
                "return encode_inflight(ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]))",
                "auth0|user-7",
                "3",
                "1767225600123"))
        .containsExactly(GOLDEN);
    assertThat(
            eval(
                "local e = decode_inflight(ARGV[1])\n"
                    + "return {e.user, tostring(e.quantity), string.format('%d', e.taken_at)}",
                GOLDEN))
        .containsExactly("auth0|user-7", "3", "1767225600123");
  }
}
