package io.flashsale.antibot;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** SipHash-2-4 against the reference vectors of its paper (Aumasson and Bernstein, appendix A). */
class SipHashTest {

  /** Key 00 01 .. 0f. */
  private static final SipHash REFERENCE = new SipHash(0x0706050403020100L, 0x0f0e0d0c0b0a0908L);

  private static byte[] counting(int length) {
    byte[] message = new byte[length];
    for (int i = 0; i < length; i++) {
      message[i] = (byte) i;
    }
    return message;
  }

  @Test
  void hashesThePapersFifteenByteMessage() {
    assertThat(REFERENCE.hash(counting(15))).isEqualTo(0xa129ca6149be45e5L);
  }

  @Test
  void hashesTheEmptyMessageAndAWholeWordAsTheReferenceCodeDoes() {
    // vectors.h of the reference implementation: the output bytes, little-endian.
    assertThat(REFERENCE.hash(counting(0))).isEqualTo(0x726fdb47dd0e0e31L);
    assertThat(REFERENCE.hash(counting(8))).isEqualTo(0x93f5f5799a932462L);
  }
}
