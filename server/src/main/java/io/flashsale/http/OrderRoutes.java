package io.flashsale.http;

import io.flashsale.antibot.BotDefence;
import io.flashsale.antibot.BotDefence.Attempt;
import io.flashsale.checkout.Checkout;
import io.flashsale.inventory.DirectPurchase;
import io.flashsale.sale.ErrorCode;
import io.flashsale.sale.FlashSaleException;
import io.flashsale.sale.OrderRepository;
import io.flashsale.sale.SaleCatalog;
import io.flashsale.sale.SaleOrder;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import java.util.UUID;

/** Orders: a direct purchase, the buyer's own orders, one-click checkout and cancelling a hold. */
final class OrderRoutes {

  private final Pool pool;
  private final SaleCatalog catalog;
  private final BotDefence botDefence;
  private final BotAttempts attempts;
  private final DirectPurchase directPurchase;
  private final OrderRepository orders;
  private final Checkout checkout;

  OrderRoutes(
      Pool pool,
      SaleCatalog catalog,
      BotDefence botDefence,
      BotAttempts attempts,
      DirectPurchase directPurchase,
      OrderRepository orders,
      Checkout checkout) {
    this.pool = pool;
    this.catalog = catalog;
    this.botDefence = botDefence;
    this.attempts = attempts;
    this.directPurchase = directPurchase;
    this.orders = orders;
    this.checkout = checkout;
  }

  void mount(Router router, ContractValidation contract) {
    router
        .post("/api/sales/:saleId/purchase")
        .handler(contract.of("purchase"))
        .handler(this::purchase);
    router.get("/api/me/orders").handler(contract.of("myOrders")).handler(this::mine);
    router.get("/api/orders/:orderId").handler(contract.of("getOrder")).handler(this::get);
    router
        .post("/api/orders/:orderId/checkout")
        .handler(contract.of("checkout"))
        .handler(this::checkout);
    router
        .post("/api/orders/:orderId/cancel")
        .handler(contract.of("cancelOrder"))
        .handler(this::cancel);
  }

  private void purchase(RoutingContext ctx) {
    UUID saleId = Replies.pathId(ctx, "saleId");
    JsonObject input = ContractValidation.body(ctx);
    int quantity = input.getInteger("quantity", 1);
    Attempt attempt = attempts.of(ctx, input);
    Replies.order(
        ctx,
        201,
        catalog
            .get(saleId)
            .compose(
                sale ->
                    botDefence
                        .beforePurchase(sale, attempt)
                        .compose(
                            limits ->
                                directPurchase.purchase(
                                    sale, attempt.userId(), attempt.device(), quantity, limits))));
  }

  private void mine(RoutingContext ctx) {
    orders
        .listOwn(pool, Caller.of(ctx).userId(), SaleRoutes.LIST_LIMIT)
        .onSuccess(
            found ->
                Replies.json(
                    ctx,
                    200,
                    new JsonObject()
                        .put(
                            "orders",
                            new JsonArray(found.stream().map(SaleOrder::toJson).toList()))))
        .onFailure(ctx::fail);
  }

  private void get(RoutingContext ctx) {
    UUID orderId = Replies.pathId(ctx, "orderId");
    Replies.order(
        ctx,
        200,
        orders
            .findOwn(pool, orderId, Caller.of(ctx).userId())
            .map(
                found ->
                    found.orElseThrow(
                        () -> new FlashSaleException(ErrorCode.NOT_FOUND, "no order " + orderId))));
  }

  private void checkout(RoutingContext ctx) {
    Replies.order(
        ctx, 200, checkout.checkout(Caller.of(ctx).userId(), Replies.pathId(ctx, "orderId")));
  }

  private void cancel(RoutingContext ctx) {
    Replies.order(
        ctx, 200, checkout.cancel(Caller.of(ctx).userId(), Replies.pathId(ctx, "orderId")));
  }
}
