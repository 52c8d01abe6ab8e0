package io.flashsale.http;

import io.flashsale.antibot.Blacklist;
import io.flashsale.antibot.Blacklist.Kind;
import io.flashsale.operator.OperatorLog;
import io.flashsale.operator.OperatorLog.Action;
import io.flashsale.sale.ErrorCode;
import io.flashsale.sale.FlashSaleException;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/** The admin API's account and device blacklists; {@code /api/admin/*} is admin-only already. */
final class BlacklistRoutes {

  private final Blacklist blacklist;
  private final OperatorLog operatorLog;

  BlacklistRoutes(Blacklist blacklist, OperatorLog operatorLog) {
    this.blacklist = blacklist;
    this.operatorLog = operatorLog;
  }

  void mount(Router router, ContractValidation contract) {
    router.get("/api/admin/blacklist").handler(contract.of("listBlacklist")).handler(this::list);
    router.post("/api/admin/blacklist").handler(contract.of("addToBlacklist")).handler(this::add);
    router
        .delete("/api/admin/blacklist/:userId")
        .handler(contract.of("removeFromBlacklist"))
        .handler(ctx -> remove(ctx, Kind.ACCOUNT, ctx.pathParam("userId")));
    router
        .delete("/api/admin/blacklist/devices/:fingerprint")
        .handler(contract.of("removeDeviceFromBlacklist"))
        .handler(ctx -> remove(ctx, Kind.DEVICE, ctx.pathParam("fingerprint")));
  }

  private void list(RoutingContext ctx) {
    Future.all(blacklist.list(Kind.ACCOUNT), blacklist.list(Kind.DEVICE))
        .onSuccess(
            lists ->
                Replies.json(
                    ctx,
                    200,
                    new JsonObject()
                        .put("accounts", new JsonArray(lists.<List<JsonObject>>resultAt(0)))
                        .put("devices", new JsonArray(lists.<List<JsonObject>>resultAt(1)))))
        .onFailure(ctx::fail);
  }

  /** The contract lets through exactly one of userId and fingerprint. */
  private void add(RoutingContext ctx) {
    JsonObject input = ContractValidation.body(ctx);
    Kind kind = input.containsKey("fingerprint") ? Kind.DEVICE : Kind.ACCOUNT;
    String subject = input.getString(kind.field());
    blacklist
        .add(kind, subject, input.getString("reason"), Caller.of(ctx).userId())
        .onSuccess(added -> operatorLog.count(Action.BLACKLIST_ADD))
        .onSuccess(
            added ->
                Replies.json(
                    ctx,
                    added ? 201 : 200,
                    new JsonObject().put(kind.field(), subject).put("blacklisted", true)))
        .onFailure(ctx::fail);
  }

  private void remove(RoutingContext ctx, Kind kind, String subject) {
    blacklist
        .remove(kind, subject)
        .onSuccess(
            removed -> {
              if (removed) {
                operatorLog.count(Action.BLACKLIST_REMOVE);
                ctx.response().setStatusCode(204).end();
              } else {
                ctx.fail(new FlashSaleException(ErrorCode.NOT_FOUND, "not blacklisted"));
              }
            })
        .onFailure(ctx::fail);
  }
}
