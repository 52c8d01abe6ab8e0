package io.flashsale.http;

import io.flashsale.sale.SaleOrder;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.UUID;

/**
 * How the routes answer: a JSON body, an order once its future completes, and path ids the contract
 * checked.
 */
final class Replies {

  private Replies() {}

  static void json(RoutingContext ctx, int status, JsonObject body) {
    ctx.response()
        .setStatusCode(status)
        .putHeader("Content-Type", "application/json")
        .end(body.encode());
  }

  static void order(RoutingContext ctx, int status, Future<SaleOrder> order) {
    order.onSuccess(result -> json(ctx, status, result.toJson())).onFailure(ctx::fail);
  }

  /** A path id the contract has already checked against its UUID pattern. */
  static UUID pathId(RoutingContext ctx, String name) {
    return UUID.fromString(ctx.pathParam(name));
  }
}
