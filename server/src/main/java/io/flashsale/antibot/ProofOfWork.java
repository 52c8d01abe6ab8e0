package io.flashsale.antibot;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Hashcash-style proof of work. The server hands out a signed challenge bound to the sale, the
 * user, an expiry and a difficulty; the client finds a solution such that SHA-256(challenge + ":" +
 * solution) starts with {@code difficulty} zero bits. Checking costs one HMAC and one SHA-256 and
 * needs no state; only the single-use mark lives in Redis.
 */
public final class ProofOfWork {

  /** A challenge as the client receives it. */
  public record Challenge(String token, int difficulty, Instant expiresAt) {
    public JsonObject toJson() {
      return new JsonObject()
          .put("challenge", token)
          .put("difficulty", difficulty)
          .put("algorithm", "sha256-leading-zero-bits")
          .put("expiresAt", expiresAt.toString());
    }
  }

  /** A checked solution: its nonce (to mark used) and how long the mark must last. */
  public record Verified(String nonce, long validForMillis) {}

  private static final Base64.Encoder BASE64 = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder UNBASE64 = Base64.getUrlDecoder();
  private static final SecureRandom NONCES = new SecureRandom();
  private static final int MAX_SOLUTION_LENGTH = 32;

  private final SecretKeySpec key;
  private final Duration validity;
  private final Clock clock;
  private final ThreadLocal<Mac> macs;
  private static final ThreadLocal<MessageDigest> SHA256 =
      ThreadLocal.withInitial(ProofOfWork::sha256);

  public ProofOfWork(String serverSecret, Duration validity, Clock clock) {
    this.key =
        new SecretKeySpec(("pow|" + serverSecret).getBytes(StandardCharsets.UTF_8), "HmacSHA256");
    this.validity = validity;
    this.clock = clock;
    this.macs =
        ThreadLocal.withInitial(
            () -> {
              try {
                Mac mac = Mac.getInstance("HmacSHA256");
                mac.init(key);
                return mac;
              } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
              }
            });
  }

  public Challenge issue(String saleId, String userId, int difficulty) {
    byte[] nonce = new byte[12];
    NONCES.nextBytes(nonce);
    Instant expiresAt = clock.instant().plus(validity);
    String payload =
        String.join(
            "|",
            "v1",
            saleId,
            userId,
            BASE64.encodeToString(nonce),
            Long.toString(expiresAt.toEpochMilli()),
            Integer.toString(difficulty));
    String encoded = BASE64.encodeToString(payload.getBytes(StandardCharsets.UTF_8));
    return new Challenge(
        encoded + "." + BASE64.encodeToString(sign(encoded)), difficulty, expiresAt);
  }

  /**
   * Checks a solution for this sale and user at the sale's current difficulty. Throws
   * BOT_CHECK_FAILED with a {@link Rejection} reason when it does not hold.
   */
  public Verified verify(
      String token, String solution, String saleId, String userId, int requiredDifficulty) {
    if (token == null
        || solution == null
        || token.length() > 1_024
        || solution.isEmpty()
        || solution.length() > MAX_SOLUTION_LENGTH) {
      throw Rejection.POW_MISSING.exception(
          "a proof-of-work challenge and its solution are required");
    }
    int dot = token.indexOf('.');
    String[] fields;
    try {
      if (dot < 0
          || !MessageDigest.isEqual(
              sign(token.substring(0, dot)), UNBASE64.decode(token.substring(dot + 1)))) {
        throw Rejection.POW_FORGED.exception("the challenge was not issued by this server");
      }
      fields =
          new String(UNBASE64.decode(token.substring(0, dot)), StandardCharsets.UTF_8)
              .split("\\|", -1);
    } catch (IllegalArgumentException badBase64) {
      throw Rejection.POW_FORGED.exception("the challenge was not issued by this server");
    }
    if (fields.length != 6 || !fields[1].equals(saleId) || !fields[2].equals(userId)) {
      throw Rejection.POW_FORGED.exception("the challenge was issued for another sale or user");
    }
    long remaining = Long.parseLong(fields[4]) - clock.millis();
    if (remaining <= 0) {
      throw Rejection.POW_EXPIRED.exception("the challenge has expired; ask for a new one");
    }
    int difficulty = Integer.parseInt(fields[5]);
    if (difficulty < requiredDifficulty) {
      throw Rejection.POW_FORGED.exception("the challenge is easier than this sale requires");
    }
    if (leadingZeroBits(hash(token, solution)) < difficulty) {
      throw Rejection.POW_WRONG.exception("the solution does not meet the difficulty");
    }
    return new Verified(fields[3], remaining);
  }

  /** What a client does: counts up until the hash has enough leading zero bits. */
  public static String solve(String token, int difficulty) {
    for (long counter = 0; ; counter++) {
      String candidate = Long.toString(counter);
      if (leadingZeroBits(hash(token, candidate)) >= difficulty) {
        return candidate;
      }
    }
  }

  static int leadingZeroBits(byte[] hash) {
    int bits = 0;
    for (byte b : hash) {
      if (b == 0) {
        bits += 8;
      } else {
        return bits + Integer.numberOfLeadingZeros(b & 0xff) - 24;
      }
    }
    return bits;
  }

  private static byte[] hash(String token, String solution) {
    MessageDigest digest = SHA256.get();
    digest.reset();
    return digest.digest((token + ":" + solution).getBytes(StandardCharsets.UTF_8));
  }

  private byte[] sign(String encodedPayload) {
    Mac mac = macs.get();
    return mac.doFinal(encodedPayload.getBytes(StandardCharsets.UTF_8));
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
