package io.flashsale.http;

import io.flashsale.audit.SaleStats;
import io.flashsale.operator.SaleExport.Part;
import io.flashsale.sale.ErrorCode;
import io.flashsale.sale.FlashSale;
import io.flashsale.sale.FlashSaleException;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.UUID;

/**
 * The admin API's controls and figures of a running sale; {@code /api/admin/*} is admin-only
 * already.
 */
final class OperatorRoutes {

  private OperatorRoutes() {}

  static void mount(Router router, ApiServices services, ContractValidation contract) {
    // The dashboard's figures of one sale, read every second while an operator watches it.
    SaleStats stats =
        new SaleStats(services.pool(), services.redis(), services.metrics(), services.clock());
    router
        .get("/api/admin/sales/:saleId/stats")
        .handler(contract.of("saleStats"))
        .handler(
            ctx -> {
              UUID saleId = saleId(ctx);
              stats
                  .of(saleId)
                  .onSuccess(
                      figures -> {
                        if (figures == null) {
                          ctx.fail(
                              new FlashSaleException(ErrorCode.NOT_FOUND, "no sale " + saleId));
                        } else {
                          ctx.response()
                              .putHeader("Content-Type", "application/json")
                              .putHeader("Cache-Control", "no-store")
                              .end(figures.encode());
                        }
                      })
                  .onFailure(ctx::fail);
            });
    router
        .post("/api/admin/sales/:saleId/pause")
        .handler(contract.of("pauseSale"))
        .handler(ctx -> control(ctx, services.controls().pause(saleId(ctx), actor(ctx))));
    router
        .post("/api/admin/sales/:saleId/resume")
        .handler(contract.of("resumeSale"))
        .handler(ctx -> control(ctx, services.controls().resume(saleId(ctx), actor(ctx))));
    // The contract bounds the rate by SaleControls.MAX_ADMISSION_RATE (ContractRoutesTest keeps
    // them equal).
    router
        .post("/api/admin/sales/:saleId/rate")
        .handler(contract.of("setAdmissionRate"))
        .handler(
            ctx -> {
              UUID saleId = saleId(ctx);
              int rate = ContractValidation.body(ctx).getInteger("admissionRatePerSecond");
              control(ctx, services.controls().setRate(saleId, actor(ctx), rate));
            });
    router
        .post("/api/admin/sales/:saleId/end")
        .handler(contract.of("endSale"))
        .handler(ctx -> control(ctx, services.controls().endEarly(saleId(ctx), actor(ctx))));
    router
        .get("/api/admin/sales/:saleId/actions")
        .handler(contract.of("operatorActions"))
        .handler(
            ctx -> {
              UUID saleId = saleId(ctx);
              services
                  .catalog()
                  .get(saleId)
                  .compose(sale -> services.operatorLog().list(services.pool(), saleId))
                  .onSuccess(
                      actions ->
                          Replies.json(
                              ctx,
                              200,
                              new JsonObject()
                                  .put("saleId", saleId.toString())
                                  .put("actions", actions)))
                  .onFailure(ctx::fail);
            });
    router
        .get("/api/admin/sales/:saleId/export/:part")
        .handler(contract.of("exportSale"))
        .handler(
            ctx -> {
              UUID saleId = saleId(ctx);
              Part part = Part.parse(ctx.pathParam("part").replaceFirst("\\.csv$", ""));
              services
                  .catalog()
                  .get(saleId)
                  .compose(sale -> services.export().csv(saleId, part, actor(ctx)))
                  .onSuccess(
                      csv ->
                          ctx.response()
                              .putHeader("Content-Type", "text/csv; charset=utf-8")
                              .putHeader(
                                  "Content-Disposition",
                                  "attachment; filename=\"sale-"
                                      + saleId
                                      + "-"
                                      + part.name().toLowerCase()
                                      + ".csv\"")
                              .end(csv))
                  .onFailure(ctx::fail);
            });
  }

  private static UUID saleId(RoutingContext ctx) {
    return Replies.pathId(ctx, "saleId");
  }

  private static String actor(RoutingContext ctx) {
    return Caller.of(ctx).userId();
  }

  private static void control(RoutingContext ctx, Future<FlashSale> changed) {
    changed.onSuccess(sale -> Replies.json(ctx, 200, sale.toJson())).onFailure(ctx::fail);
  }
}
