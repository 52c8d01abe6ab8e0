package io.flashsale.http;

import io.flashsale.infra.RequestIds;
import io.flashsale.sale.ErrorCode;
import io.flashsale.sale.FlashSaleException;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;
import java.io.IOException;
import java.util.Locale;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The one place where failures become {@code application/problem+json} answers (RFC 9457). */
final class Problems {

  private static final Logger LOG = LoggerFactory.getLogger(Problems.class);
  static final String MEDIA_TYPE = "application/problem+json";

  private Problems() {}

  static void send(RoutingContext ctx, ErrorCode code, String detail) {
    send(ctx, code, detail, null);
  }

  static void send(RoutingContext ctx, ErrorCode code, String detail, JsonObject extensions) {
    if (ctx.response().headWritten()) {
      ctx.response().reset();
      return;
    }
    send(ctx.request(), code, detail, extensions);
  }

  /**
   * The same answer where no route runs: a request refused at the door ({@link RequestGate}) or one
   * that Netty could not even decode ({@link #invalidRequest}).
   */
  static void send(
      HttpServerRequest request, ErrorCode code, String detail, JsonObject extensions) {
    HttpServerResponse response = request.response();
    // Requests Netty could not decode never reached the gate that names them.
    String requestId = RequestIds.current();
    JsonObject body =
        new JsonObject()
            .put(
                "type",
                "https://flashsale.io/problems/"
                    + code.name().toLowerCase(Locale.ROOT).replace('_', '-'))
            .put("title", code.title())
            .put("status", code.httpStatus())
            .put("code", code.name())
            .put("detail", detail)
            .put("instance", instance(request))
            .put("requestId", requestId != null ? requestId : RequestIds.assign(request));
    if (extensions != null) {
      body.mergeIn(extensions);
    }
    if (code == ErrorCode.UNAUTHORIZED) {
      response.putHeader("WWW-Authenticate", "Bearer");
    }
    response
        .setStatusCode(code.httpStatus())
        .putHeader("Content-Type", MEDIA_TYPE)
        .end(body.encode());
  }

  /** The path as sent, cut short: it may be the over-long or malformed part of the request. */
  private static String instance(HttpServerRequest request) {
    String path = request.path();
    if (path == null) {
      return "";
    }
    return path.length() > 200 ? path.substring(0, 200) : path;
  }

  /**
   * Requests Netty could not decode (an over-long request line or headers, a bad or repeated
   * Content-Length, a NUL in a header): answered as problem+json, then the connection is closed,
   * since its framing can no longer be trusted.
   */
  static void invalidRequest(HttpServerRequest request) {
    Throwable cause = request.decoderResult().cause();
    ErrorCode code;
    String detail;
    if (cause instanceof TooLongHttpLineException) {
      code = ErrorCode.URI_TOO_LONG;
      detail = "the request line is longer than the server accepts";
    } else if (cause instanceof TooLongHttpHeaderException) {
      code = ErrorCode.HEADERS_TOO_LARGE;
      detail = "the request headers are larger than the server accepts";
    } else {
      code = ErrorCode.MALFORMED_REQUEST;
      detail =
          "the request is not well-formed HTTP"
              + (cause == null || cause.getMessage() == null
                  ? ""
                  : ": " + clip(cause.getMessage()));
    }
    request.response().putHeader("Connection", "close");
    send(request, code, detail, null);
    request.connection().close();
  }

  /** Printable and at most 200 characters: client-supplied text quoted back in a problem. */
  static String clip(String text) {
    String printable = text.replaceAll("\\p{Cntrl}", "?");
    return printable.length() > 200 ? printable.substring(0, 200) : printable;
  }

  /** Failure handler for every route: typed failures keep their meaning, anything else is a 5xx. */
  static void handleFailure(RoutingContext ctx) {
    Throwable failure = ctx.failure();
    if (failure instanceof FlashSaleException domain) {
      if (domain.retryAfterSeconds() != null) {
        ctx.response().putHeader("Retry-After", Integer.toString(domain.retryAfterSeconds()));
      }
      send(ctx, domain.code(), domain.getMessage(), domain.extensions());
    } else if (failure instanceof DecodeException) {
      send(ctx, ErrorCode.VALIDATION_FAILED, "the body is not valid JSON");
    } else if (failure == null || (ctx.statusCode() >= 400 && ctx.statusCode() < 500)) {
      // Vert.x Web refused the request itself (no Host, a bad escape, a body too large, an
      // unsatisfiable Range, an unknown Expect): a client error, whatever exception it carries.
      handleStatus(ctx);
    } else if (isConstraintViolation(failure)) {
      // The schema refused what validation let through: the client's input, not an outage.
      LOG.warn(
          "constraint refused a request on " + ctx.request().path() + ": " + failure.getMessage());
      send(ctx, ErrorCode.VALIDATION_FAILED, "the request breaks a rule of the sale's data");
    } else if (isOutage(failure)) {
      LOG.warn("dependency unavailable on " + ctx.request().path() + ": " + failure);
      send(ctx, ErrorCode.UNAVAILABLE, "a backing store is unavailable; try again shortly");
    } else {
      LOG.error(
          "unexpected failure on " + ctx.request().method() + " " + ctx.request().path(), failure);
      send(ctx, ErrorCode.INTERNAL, "unexpected error");
    }
  }

  /**
   * Failures raised by Vert.x Web itself (no route, wrong method, body too large) carry only a
   * status.
   */
  static void handleStatus(RoutingContext ctx) {
    int status = ctx.statusCode();
    ErrorCode code =
        switch (status) {
          case 400 -> ErrorCode.MALFORMED_REQUEST;
          case 401 -> ErrorCode.UNAUTHORIZED;
          case 403 -> ErrorCode.FORBIDDEN;
          case 404 -> ErrorCode.NOT_FOUND;
          case 405 -> ErrorCode.METHOD_NOT_ALLOWED;
          case 413 -> ErrorCode.PAYLOAD_TOO_LARGE;
          case 414 -> ErrorCode.URI_TOO_LONG;
          case 415 -> ErrorCode.UNSUPPORTED_MEDIA_TYPE;
          case 416 -> ErrorCode.RANGE_NOT_SATISFIABLE;
          case 417 -> ErrorCode.EXPECTATION_FAILED;
          case 431 -> ErrorCode.HEADERS_TOO_LARGE;
          default ->
              status >= 400 && status < 500 ? ErrorCode.MALFORMED_REQUEST : ErrorCode.INTERNAL;
        };
    if (code == ErrorCode.INTERNAL) {
      LOG.error(
          "request failed with status " + status + " on " + ctx.request().path(), ctx.failure());
    }
    send(
        ctx,
        code,
        switch (code) {
          case NOT_FOUND -> "no such resource";
          case METHOD_NOT_ALLOWED -> "method " + ctx.request().method() + " is not allowed here";
          case PAYLOAD_TOO_LARGE -> "the body is larger than the limit";
          case RANGE_NOT_SATISFIABLE -> "the requested range is outside the file";
          case EXPECTATION_FAILED -> "only Expect: 100-continue is supported";
          case MALFORMED_REQUEST ->
              ctx.failure() != null && ctx.failure().getMessage() != null
                  ? clip(ctx.failure().getMessage())
                  : "the request is not well-formed";
          default -> code.title();
        });
  }

  /** SQLSTATE class 23: a CHECK, NOT NULL, unique or foreign-key constraint refused the write. */
  private static boolean isConstraintViolation(Throwable failure) {
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      if (cause instanceof PgException pg
          && pg.getSqlState() != null
          && pg.getSqlState().startsWith("23")) {
        return true;
      }
    }
    return false;
  }

  /**
   * A store that cannot be reached or dropped the connection: refused, reset, timed out, closed
   * under us (the Redis client says CONNECTION_CLOSED), or PostgreSQL shutting down (SQLSTATE class
   * 57P) or losing the connection (class 08).
   */
  private static boolean isOutage(Throwable failure) {
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      if (cause instanceof IOException
          || cause instanceof TimeoutException
          || cause instanceof ClosedConnectionException
          || (cause instanceof PgException pg
              && pg.getSqlState() != null
              && (pg.getSqlState().startsWith("57") || pg.getSqlState().startsWith("08")))
          || String.valueOf(cause.getMessage()).toLowerCase(Locale.ROOT).contains("connection")) {
        return true;
      }
    }
    return false;
  }
}
