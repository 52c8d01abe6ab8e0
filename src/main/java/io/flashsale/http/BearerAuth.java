package io.flashsale.http;

import io.flashsale.sale.ErrorCode;
import io.flashsale.sale.FlashSaleException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import io.vertx.ext.web.RoutingContext;

/**
 * HS256 bearer tokens: {@code sub} is the user, {@code roles} containing "admin" opens the
 * admin API. Signature and expiry are checked on every request, and a token without an expiry
 * is refused; nothing else is trusted.
 */
public final class BearerAuth {

  private static final int MAX_USER_ID_LENGTH = 128;

  private final JWTAuth jwt;

  /** Clock skew allowed on {@code exp}, {@code iat} and {@code nbf} when none is configured. */
  public static final int DEFAULT_LEEWAY_SECONDS = 5;

  public BearerAuth(Vertx vertx, String secret) {
    this(vertx, secret, DEFAULT_LEEWAY_SECONDS);
  }

  /** {@code leewaySeconds}: how far past its {@code exp} a token is still taken (clock skew). */
  public BearerAuth(Vertx vertx, String secret, int leewaySeconds) {
    this.jwt = JWTAuth.create(vertx, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(secret))
        .setJWTOptions(new JWTOptions().setLeeway(leewaySeconds)));
  }

  /** Issues a token (demo sale, load test, tests); production tokens come from the shop's identity provider. */
  public String issue(String userId, boolean admin, int validSeconds) {
    JsonObject claims = new JsonObject().put("sub", userId);
    if (admin) {
      claims.put("roles", new JsonArray().add("admin"));
    }
    return jwt.generateToken(claims, new JWTOptions().setAlgorithm("HS256").setExpiresInSeconds(validSeconds));
  }

  /**
   * A user id goes into Redis keys, pipe-delimited Lua records and SQL text: no control
   * characters (PostgreSQL refuses NUL in text) and no '|', the records' delimiter.
   */
  static boolean isUsableUserId(String userId) {
    for (int i = 0; i < userId.length(); i++) {
      char c = userId.charAt(i);
      if (Character.isISOControl(c) || c == '|') {
        return false;
      }
    }
    return true;
  }

  /** Verifies a raw token (also used by the WebSocket, whose browser API cannot send headers). */
  public Future<Caller> verify(String token) {
    if (token == null || token.isBlank()) {
      return Future.failedFuture(unauthorized("a bearer token is required"));
    }
    return jwt.authenticate(new TokenCredentials(token))
        .recover(invalid -> Future.failedFuture(unauthorized("the token is invalid or expired")))
        .compose(user -> {
          // The library checks exp only when present: a token without one would be good forever.
          // (It moves exp, iat and nbf out of the principal into the attributes.)
          if (!(user.attributes().getValue("exp") instanceof Number)) {
            return Future.failedFuture(unauthorized("the token must carry an expiry (exp)"));
          }
          Object subject = user.principal().getValue("sub");
          if (!(subject instanceof String userId) || userId.isBlank() || userId.length() > MAX_USER_ID_LENGTH) {
            return Future.failedFuture(unauthorized("the token has no usable subject"));
          }
          if (!isUsableUserId(userId)) {
            return Future.failedFuture(unauthorized(
                "the token's subject has a control character or '|', which the engine's records cannot hold"));
          }
          Object roles = user.principal().getValue("roles");
          boolean admin = roles instanceof JsonArray list && list.contains("admin");
          return Future.succeededFuture(new Caller(userId, admin));
        });
  }

  private static final String PUBLIC = "flashsale.public";

  /** Marks a request that needs no token (the public sale reads): {@link #authenticate} lets it through. */
  static void markPublic(RoutingContext ctx) {
    ctx.put(PUBLIC, Boolean.TRUE);
    ctx.next();
  }

  void authenticate(RoutingContext ctx) {
    if (ctx.get(PUBLIC) != null) {
      ctx.next();
      return;
    }
    String header = ctx.request().getHeader("Authorization");
    String token = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7) ? header.substring(7).trim() : null;
    verify(token).onComplete(result -> {
      if (result.succeeded()) {
        ctx.put(Caller.CONTEXT_KEY, result.result());
        ctx.next();
      } else {
        ctx.fail(result.cause());
      }
    });
  }

  static void requireAdmin(RoutingContext ctx) {
    if (Caller.of(ctx).admin()) {
      ctx.next();
    } else {
      ctx.fail(new FlashSaleException(ErrorCode.FORBIDDEN, "this call needs the admin role"));
    }
  }

  private static FlashSaleException unauthorized(String detail) {
    return new FlashSaleException(ErrorCode.UNAUTHORIZED, detail);
  }
}
