package io.flashsale.antibot;

/**
 * SipHash-2-4 (Aumasson and Bernstein): a fast keyed hash, so that whoever does not hold the key
 * cannot pick inputs that land on the same value. The rate-limit sketch places subjects with it
 * ({@link RateLimitSketch}); an address or device chosen by a client must not be able to steer
 * itself onto an honest buyer's cells.
 */
final class SipHash {

  private final long k0;
  private final long k1;

  /** A 128-bit key, as two little-endian 64-bit halves. */
  SipHash(long k0, long k1) {
    this.k0 = k0;
    this.k1 = k1;
  }

  long hash(byte[] message) {
    long[] v = {
      0x736f6d6570736575L ^ k0,
      0x646f72616e646f6dL ^ k1,
      0x6c7967656e657261L ^ k0,
      0x7465646279746573L ^ k1
    };
    int whole = message.length & ~7;
    for (int at = 0; at < whole; at += 8) {
      absorb(v, word(message, at, 8));
    }
    absorb(v, ((long) message.length << 56) | word(message, whole, message.length - whole));
    v[2] ^= 0xff;
    rounds(v, 4);
    return v[0] ^ v[1] ^ v[2] ^ v[3];
  }

  private static void absorb(long[] v, long m) {
    v[3] ^= m;
    rounds(v, 2);
    v[0] ^= m;
  }

  private static void rounds(long[] v, int count) {
    for (int i = 0; i < count; i++) {
      v[0] += v[1];
      v[1] = Long.rotateLeft(v[1], 13) ^ v[0];
      v[0] = Long.rotateLeft(v[0], 32);
      v[2] += v[3];
      v[3] = Long.rotateLeft(v[3], 16) ^ v[2];
      v[0] += v[3];
      v[3] = Long.rotateLeft(v[3], 21) ^ v[0];
      v[2] += v[1];
      v[1] = Long.rotateLeft(v[1], 17) ^ v[2];
      v[2] = Long.rotateLeft(v[2], 32);
    }
  }

  /** {@code length} bytes from {@code at}, little-endian. */
  static long word(byte[] bytes, int at, int length) {
    long word = 0;
    for (int i = 0; i < length; i++) {
      word |= (bytes[at + i] & 0xffL) << (8 * i);
    }
    return word;
  }
}
