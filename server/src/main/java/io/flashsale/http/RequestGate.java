package io.flashsale.http;

import io.flashsale.infra.RequestIds;
import io.flashsale.sale.ErrorCode;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;

/**
 * The door in front of the router: a request that is not well-formed HTTP is answered here with
 * problem+json before any route, body handler or store sees it. Vert.x Web would otherwise fail
 * such requests in ways that reach the failure handler without a status (a 500) or write a bare
 * text answer of its own.
 */
final class RequestGate implements Handler<HttpServerRequest> {

  private final Handler<HttpServerRequest> next;

  RequestGate(Handler<HttpServerRequest> next) {
    this.next = next;
  }

  @Override
  public void handle(HttpServerRequest request) {
    RequestIds.assign(request);
    String refusal = refusal(request);
    if (refusal != null) {
      ErrorCode code =
          refusal.startsWith("Expect") ? ErrorCode.EXPECTATION_FAILED : ErrorCode.MALFORMED_REQUEST;
      Problems.send(request, code, refusal, null);
      return;
    }
    next.handle(request);
  }

  /** Why the request is refused, or null when it may go on. */
  static String refusal(HttpServerRequest request) {
    if (request.version() != HttpVersion.HTTP_1_0 && request.authority() == null) {
      return "the Host header is missing or not a valid host[:port]";
    }
    String uri = request.uri();
    if (uri == null || !hasValidEscapes(uri)) {
      return "the path or query has a malformed percent-escape (% must be followed by two hex digits)";
    }
    String expect = request.getHeader(HttpHeaders.EXPECT);
    if (expect != null && !expect.trim().equalsIgnoreCase("100-continue")) {
      return "Expect: only 100-continue is supported";
    }
    return null;
  }

  /** Every '%' is followed by two hexadecimal digits. */
  static boolean hasValidEscapes(String uri) {
    for (int i = uri.indexOf('%'); i >= 0; i = uri.indexOf('%', i + 1)) {
      if (i + 2 >= uri.length() || !isHex(uri.charAt(i + 1)) || !isHex(uri.charAt(i + 2))) {
        return false;
      }
    }
    return true;
  }

  private static boolean isHex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  }
}
