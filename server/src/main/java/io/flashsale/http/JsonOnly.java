package io.flashsale.http;

import io.flashsale.sale.ErrorCode;
import io.flashsale.sale.FlashSaleException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import java.util.Locale;

/**
 * The API reads JSON bodies only. A body of any other type (a form, multipart, text) is refused
 * with 415 before it is read, rather than ignored and replaced by defaults: a {@code quantity:
 * 5000} sent as a form must not buy one unit. A request without a body and without a Content-Type
 * (a bare {@code POST .../checkout}, any {@code GET}) goes on. The rule holds for every method: a
 * {@code GET} that claims a form body would otherwise make Vert.x's body handler throw (multipart
 * decoding is for POST, PUT, PATCH and DELETE only).
 */
final class JsonOnly {

  private JsonOnly() {}

  static void check(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    String type = request.getHeader(HttpHeaders.CONTENT_TYPE);
    boolean json = type != null && isJson(type);
    if (type == null ? hasBody(request) : !json) {
      ctx.fail(
          new FlashSaleException(
              ErrorCode.UNSUPPORTED_MEDIA_TYPE,
              type == null
                  ? "a body needs Content-Type: application/json"
                  : "the body must be application/json, not " + Problems.clip(type)));
      return;
    }
    ctx.next();
  }

  /** {@code application/json}, with or without parameters such as {@code charset=utf-8}. */
  static boolean isJson(String contentType) {
    int semicolon = contentType.indexOf(';');
    String media = (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim();
    return media.toLowerCase(Locale.ROOT).equals("application/json");
  }

  private static boolean hasBody(HttpServerRequest request) {
    String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
    return request.getHeader(HttpHeaders.TRANSFER_ENCODING) != null
        || (length != null && !length.trim().equals("0"));
  }
}
