package io.flashsale.http;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A public, cacheable JSON answer: {@code Cache-Control: public, max-age=1} and an {@code ETag} of
 * the body, with {@code 304 Not Modified} when the client's {@code If-None-Match} names it. A CDN
 * in front of the engine then serves a sale's page data to the herd from its edge, asking the
 * engine at most once a second, and a browser revalidating gets no body when nothing changed.
 */
final class PublicJson {

  static final String CACHE_CONTROL = "public, max-age=1";

  private PublicJson() {}

  static void send(RoutingContext ctx, JsonObject body) {
    String encoded = body.encode();
    String etag = '"' + digest(encoded) + '"';
    ctx.response().putHeader("Cache-Control", CACHE_CONTROL).putHeader("ETag", etag);
    if (matches(ctx.request().getHeader("If-None-Match"), etag)) {
      ctx.response().setStatusCode(304).end();
    } else {
      ctx.response().setStatusCode(200).putHeader("Content-Type", "application/json").end(encoded);
    }
  }

  /** RFC 9110 weak comparison: any listed tag equal to ours, with or without W/, or "*". */
  static boolean matches(String ifNoneMatch, String etag) {
    if (ifNoneMatch == null) {
      return false;
    }
    for (String tag : ifNoneMatch.split(",")) {
      String candidate = tag.trim();
      if (candidate.startsWith("W/")) {
        candidate = candidate.substring(2);
      }
      if (candidate.equals("*") || candidate.equals(etag)) {
        return true;
      }
    }
    return false;
  }

  private static String digest(String body) {
    try {
      byte[] hash =
          MessageDigest.getInstance("SHA-256").digest(body.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(hash, 0, 12);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
