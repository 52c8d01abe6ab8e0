package io.flashsale.http;

import io.flashsale.sale.ErrorCode;
import io.flashsale.sale.FlashSaleException;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.pgclient.PgException;
import java.io.IOException;
import java.util.Locale;
import java.util.logging.Level;
import java.util.logging.Logger;

/** The one place where failures become {@code application/problem+json} answers (RFC 9457). */
final class Problems {

  private static final Logger LOG = Logger.getLogger(Problems.class.getName());
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
    JsonObject body = new JsonObject()
        .put("type", "https://flashsale.io/problems/" + code.name().toLowerCase().replace('_', '-'))
        .put("title", code.title())
        .put("status", code.httpStatus())
        .put("code", code.name())
        .put("detail", detail)
        .put("instance", ctx.request().path());
    if (extensions != null) {
      body.mergeIn(extensions);
    }
    if (code == ErrorCode.UNAUTHORIZED) {
      ctx.response().putHeader("WWW-Authenticate", "Bearer");
    }
    ctx.response()
        .setStatusCode(code.httpStatus())
        .putHeader("Content-Type", MEDIA_TYPE)
        .end(body.encode());
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
    } else if (failure == null) {
      handleStatus(ctx);
    } else if (isOutage(failure)) {
      LOG.log(Level.WARNING, "dependency unavailable on " + ctx.request().path() + ": " + failure);
      send(ctx, ErrorCode.UNAVAILABLE, "a backing store is unavailable; try again shortly");
    } else {
      LOG.log(Level.SEVERE, "unexpected failure on " + ctx.request().method() + " " + ctx.request().path(), failure);
      send(ctx, ErrorCode.INTERNAL, "unexpected error");
    }
  }

  /** Failures raised by Vert.x Web itself (no route, wrong method, body too large) carry only a status. */
  static void handleStatus(RoutingContext ctx) {
    ErrorCode code = switch (ctx.statusCode()) {
      case 400 -> ErrorCode.VALIDATION_FAILED;
      case 401 -> ErrorCode.UNAUTHORIZED;
      case 403 -> ErrorCode.FORBIDDEN;
      case 404 -> ErrorCode.NOT_FOUND;
      case 405 -> ErrorCode.METHOD_NOT_ALLOWED;
      case 413 -> ErrorCode.PAYLOAD_TOO_LARGE;
      case 415 -> ErrorCode.UNSUPPORTED_MEDIA_TYPE;
      default -> ErrorCode.INTERNAL;
    };
    if (code == ErrorCode.INTERNAL) {
      LOG.severe("request failed with status " + ctx.statusCode() + " on " + ctx.request().path());
    }
    send(ctx, code, switch (code) {
      case NOT_FOUND -> "no such resource";
      case METHOD_NOT_ALLOWED -> "method " + ctx.request().method() + " is not allowed here";
      case PAYLOAD_TOO_LARGE -> "the body is larger than the limit";
      default -> code.title();
    });
  }

  /**
   * A store that cannot be reached or dropped the connection: refused, reset, timed out,
   * closed under us (the Redis client says CONNECTION_CLOSED), or PostgreSQL shutting down
   * (SQLSTATE class 57P) or losing the connection (class 08).
   */
  private static boolean isOutage(Throwable failure) {
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      if (cause instanceof IOException
          || cause instanceof java.util.concurrent.TimeoutException
          || cause instanceof io.vertx.sqlclient.ClosedConnectionException
          || (cause instanceof PgException pg && pg.getSqlState() != null
              && (pg.getSqlState().startsWith("57P") || pg.getSqlState().startsWith("08")))
          || String.valueOf(cause.getMessage()).toLowerCase(Locale.ROOT).contains("connection")) {
        return true;
      }
    }
    return false;
  }

}
