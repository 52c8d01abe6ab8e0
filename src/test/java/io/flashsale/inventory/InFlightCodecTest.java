package io.flashsale.inventory;

import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.support.PreludeLua;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The in-flight record: Java's {@link InFlight} and the prelude's Lua codec agree on one golden string. */
class InFlightCodecTest {

  private static final String GOLDEN = "auth0|user-7|3|1767225600123";
  private static final InFlight ENTRY = new InFlight("auth0|user-7", 3, 1767225600123L);

  private static PreludeLua lua;

  @BeforeAll
  static void connect() {
    lua = new PreludeLua();
  }

  @AfterAll
  static void close() {
    lua.close();
  }

  @Test
  void javaEncodesAndDecodesTheGoldenString() {
    assertThat(ENTRY.encode()).isEqualTo(GOLDEN);
    assertThat(InFlight.decode(GOLDEN)).isEqualTo(ENTRY);
  }

  @Test
  void luaEncodesAndDecodesTheSameGoldenString() {
    assertThat(lua.eval("return encode_inflight(ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]))",
        "auth0|user-7", "3", "1767225600123")).containsExactly(GOLDEN);
    assertThat(lua.eval("local e = decode_inflight(ARGV[1])\n"
        + "return {e.user, tostring(e.quantity), string.format('%d', e.taken_at)}", GOLDEN))
        .containsExactly("auth0|user-7", "3", "1767225600123");
  }
}
