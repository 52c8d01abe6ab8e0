package io.flashsale.waitingroom;

import io.flashsale.sale.ErrorCode;
import io.flashsale.sale.FlashSaleException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signed proof that a buyer was let out of a sale's line: an HS256 JWT under a key derived from the
 * server secret, so it can never pass as a bearer token nor the other way round. The shop's own
 * checkout (or an edge) can verify it offline with the derived key.
 */
public final class AdmissionTokens {

  /** Admitted buyer, sale, ticket and order, as the token states them. */
  public record Admission(String userId, String saleId, String ticketId, String orderId) {
    public JsonObject toJson() {
      return new JsonObject()
          .put("userId", userId)
          .put("saleId", saleId)
          .put("ticketId", ticketId)
          .put("orderId", orderId);
    }
  }

  private final JWTAuth jwt;
  private final int validSeconds;

  public AdmissionTokens(Vertx vertx, String serverSecret, int validSeconds) {
    this.jwt =
        JWTAuth.create(
            vertx,
            new JWTAuthOptions()
                .addPubSecKey(
                    new PubSecKeyOptions()
                        .setAlgorithm("HS256")
                        .setBuffer(derivedKey(serverSecret))));
    this.validSeconds = validSeconds;
  }

  public String issue(Admission admission) {
    JsonObject claims =
        new JsonObject()
            .put("sub", admission.userId())
            .put("sale", admission.saleId())
            .put("ticket", admission.ticketId())
            .put("order", admission.orderId());
    return jwt.generateToken(
        claims, new JWTOptions().setAlgorithm("HS256").setExpiresInSeconds(validSeconds));
  }

  /** The admission the token proves, if it is genuine, unexpired and names {@code userId}. */
  public Future<Admission> verify(String token, String userId) {
    if (token == null || token.isBlank() || token.length() > 4_096) {
      return Future.failedFuture(forged());
    }
    return jwt.authenticate(new TokenCredentials(token))
        .recover(invalid -> Future.failedFuture(forged()))
        .compose(
            user -> {
              JsonObject claims = user.principal();
              if (!userId.equals(claims.getValue("sub"))
                  || !(claims.getValue("sale") instanceof String saleId)) {
                return Future.failedFuture(forged());
              }
              return Future.succeededFuture(
                  new Admission(
                      userId, saleId, claims.getString("ticket"), claims.getString("order")));
            });
  }

  private static String derivedKey(String serverSecret) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(serverSecret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return Base64.getEncoder()
          .encodeToString(
              mac.doFinal("flashsale admission token".getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static FlashSaleException forged() {
    return new FlashSaleException(ErrorCode.FORBIDDEN, "the admission token is not valid for you");
  }
}
