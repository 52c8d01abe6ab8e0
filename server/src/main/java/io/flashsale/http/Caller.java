package io.flashsale.http;

import io.vertx.ext.web.RoutingContext;

/**
 * Who is calling, from a verified bearer token: the token's subject and whether it carries the
 * admin role.
 */
public record Caller(String userId, boolean admin) {

  static final String CONTEXT_KEY = "flashsale.caller";

  static Caller of(RoutingContext ctx) {
    return ctx.get(CONTEXT_KEY);
  }
}
