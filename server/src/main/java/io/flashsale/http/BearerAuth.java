package io.flashsale.http;

import io.flashsale.sale.ErrorCode;
import io.flashsale.sale.FlashSaleException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.User;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

/**
 * Bearer tokens: signed HS256 with the engine's secret (development, tools, tests) or RS256/ES256
 * by the shop's OpenID Connect provider ({@link OidcKeys}: its keys, issuer and audience). {@code
 * sub} is the user; the roles claim (configurable, e.g. {@code realm_access.roles}) holding the
 * admin role opens the admin API. Signature and expiry are checked on every request, a token
 * without an expiry is refused, and nothing else is trusted.
 */
public final class BearerAuth {

  private static final int MAX_USER_ID_LENGTH = 128;

  /** Clock skew allowed on {@code exp}, {@code iat} and {@code nbf} when none is configured. */
  public static final int DEFAULT_LEEWAY_SECONDS = 5;

  /**
   * {@code leewaySeconds}: how far past its {@code exp} a token is still taken (clock skew); {@code
   * acceptSecretTokens}: whether HS256 tokens signed with {@code secret} are taken; {@code
   * rolesClaim}: a claim name, or a dotted path into nested claims.
   */
  public record Settings(
      String secret,
      int leewaySeconds,
      boolean acceptSecretTokens,
      String rolesClaim,
      String adminRole) {
    public static Settings secretOnly(String secret, int leewaySeconds) {
      return new Settings(secret, leewaySeconds, true, "roles", "admin");
    }
  }

  private final JWTAuth jwt;
  private final Settings settings;
  private final String[] rolesPath;

  /** Null: no OpenID provider configured. */
  private final OidcKeys provider;

  public BearerAuth(Vertx vertx, String secret) {
    this(vertx, Settings.secretOnly(secret, DEFAULT_LEEWAY_SECONDS), null);
  }

  public BearerAuth(Vertx vertx, Settings settings, OidcKeys provider) {
    this.settings = settings;
    this.provider = provider;
    this.rolesPath = settings.rolesClaim().split("\\.");
    this.jwt =
        JWTAuth.create(
            vertx,
            new JWTAuthOptions()
                .addPubSecKey(
                    new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(settings.secret()))
                .setJWTOptions(new JWTOptions().setLeeway(settings.leewaySeconds())));
  }

  /**
   * Issues a token (demo sale, load test, tests); production tokens come from the shop's identity
   * provider.
   */
  public String issue(String userId, boolean admin, int validSeconds) {
    JsonObject claims = new JsonObject().put("sub", userId);
    if (admin) {
      claims.put("roles", new JsonArray().add(settings.adminRole()));
    }
    return jwt.generateToken(
        claims, new JWTOptions().setAlgorithm("HS256").setExpiresInSeconds(validSeconds));
  }

  /**
   * A user id goes into Redis keys, pipe-delimited Lua records and SQL text: no control characters
   * (PostgreSQL refuses NUL in text) and no '|', the records' delimiter.
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
    return checked(token)
        .recover(invalid -> Future.failedFuture(unauthorized("the token is invalid or expired")))
        .compose(
            user -> {
              // The library checks exp only when present: a token without one would be good
              // forever.
              // (It moves exp, iat and nbf out of the principal into the attributes.)
              if (!(user.attributes().getValue("exp") instanceof Number)) {
                return Future.failedFuture(unauthorized("the token must carry an expiry (exp)"));
              }
              Object subject = user.principal().getValue("sub");
              if (!(subject instanceof String userId)
                  || userId.isBlank()
                  || userId.length() > MAX_USER_ID_LENGTH) {
                return Future.failedFuture(unauthorized("the token has no usable subject"));
              }
              if (!isUsableUserId(userId)) {
                return Future.failedFuture(
                    unauthorized(
                        "the token's subject has a control character or '|', which the engine's records cannot hold"));
              }
              return Future.succeededFuture(new Caller(userId, hasAdminRole(user.principal())));
            });
  }

  /**
   * Signature, issuer, audience and expiry. Without an OpenID provider there is one verifier, which
   * refuses any other algorithm itself: the header is read only to choose between two.
   */
  private Future<User> checked(String token) {
    if (provider == null) {
      return settings.acceptSecretTokens()
          ? jwt.authenticate(new TokenCredentials(token))
          : Future.failedFuture("no verifier is configured");
    }
    String algorithm = algorithm(token);
    if ("HS256".equals(algorithm) && settings.acceptSecretTokens()) {
      return jwt.authenticate(new TokenCredentials(token));
    }
    return algorithm != null
        ? provider.authenticate(token, algorithm)
        : Future.failedFuture("the token's header names no algorithm");
  }

  /**
   * The header's {@code alg}, or null when the token is not three dot-separated parts with a JSON
   * header.
   */
  private static String algorithm(String token) {
    int dot = token.indexOf('.');
    if (dot <= 0 || dot > 2_048) {
      return null;
    }
    try {
      JsonObject header =
          new JsonObject(
              new String(
                  Base64.getUrlDecoder().decode(token.substring(0, dot)), StandardCharsets.UTF_8));
      return header.getValue("alg") instanceof String alg ? alg : null;
    } catch (RuntimeException notJson) {
      return null;
    }
  }

  /** The roles claim holds the admin role: a JSON array of names, or one space-separated string. */
  boolean hasAdminRole(JsonObject claims) {
    Object value = claims;
    for (String step : rolesPath) {
      value = value instanceof JsonObject object ? object.getValue(step) : null;
    }
    if (value instanceof JsonArray list) {
      return list.contains(settings.adminRole());
    }
    return value instanceof String names
        && List.of(names.trim().split("\\s+")).contains(settings.adminRole());
  }

  private static final String PUBLIC = "flashsale.public";

  /**
   * Marks a request that needs no token (the public sale reads): {@link #authenticate} lets it
   * through.
   */
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
    String token =
        header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)
            ? header.substring(7).trim()
            : null;
    verify(token)
        .onComplete(
            result -> {
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
