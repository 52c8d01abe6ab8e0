package io.flashsale.infra;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.internal.VertxBootstrap;
import io.vertx.core.spi.VertxServiceProvider;
import io.vertx.core.spi.context.storage.ContextLocal;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Each HTTP request's id: the caller's {@code X-Request-Id} when it is a plain token, else a new
 * one. It is sent back in the same header, named in every problem+json, and kept in the request's
 * Vert.x context (Vert.x gives each request a context of its own, which the Redis and PostgreSQL
 * callbacks of that request run on), where the log encoder finds it for every line logged on the
 * request's behalf.
 *
 * <p>A Vert.x service provider, so the context storage is registered before any Vert.x instance is
 * built (declared in {@code META-INF/services}).
 */
public final class RequestIds implements VertxServiceProvider {

  public static final String HEADER = "X-Request-Id";
  private static final int MAX_LENGTH = 128;
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private static final ContextLocal<String> ID = ContextLocal.registerLocal(String.class);

  @Override
  public void init(VertxBootstrap builder) {
    // Registering the storage (the static field above) is all this provider is for.
  }

  /**
   * Takes or makes the request's id, keeps it for the request and sends it back. Call once per
   * request.
   */
  public static String assign(HttpServerRequest request) {
    String given = request.getHeader(HEADER);
    String id = given != null && isPlainToken(given) ? given : newId();
    Context context = Vertx.currentContext();
    if (context != null) {
      context.putLocal(ID, id);
    }
    request.response().putHeader(HEADER, id);
    return id;
  }

  /** The id of the request being served on this thread, or null outside a request. */
  public static String current() {
    Context context = Vertx.currentContext();
    return context == null ? null : context.getLocal(ID);
  }

  /** Letters, digits and {@code . _ : -}, at most 128: safe to log and to echo in a header. */
  static boolean isPlainToken(String id) {
    if (id.isEmpty() || id.length() > MAX_LENGTH) {
      return false;
    }
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      boolean plain =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || c == '.'
              || c == '_'
              || c == ':'
              || c == '-';
      if (!plain) {
        return false;
      }
    }
    return true;
  }

  private static String newId() {
    long bits = ThreadLocalRandom.current().nextLong();
    char[] id = new char[16];
    for (int i = 15; i >= 0; i--) {
      id[i] = HEX[(int) (bits & 0xF)];
      bits >>>= 4;
    }
    return new String(id);
  }
}
