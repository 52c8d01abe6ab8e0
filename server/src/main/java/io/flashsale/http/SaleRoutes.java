package io.flashsale.http;

import io.flashsale.audit.SaleAudit;
import io.flashsale.lifecycle.SaleTimeline;
import io.flashsale.sale.ErrorCode;
import io.flashsale.sale.FlashSale;
import io.flashsale.sale.FlashSaleException;
import io.flashsale.sale.NewSale;
import io.flashsale.sale.QueuePolicy;
import io.flashsale.sale.SaleCatalog;
import io.flashsale.sale.SaleRepository;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.UUID;

/** Sales: the public product data, creating one, its countdown e-mails and the admin report. */
final class SaleRoutes {

  static final int LIST_LIMIT = 100;

  private final Pool pool;
  private final SaleRepository sales;
  private final SaleCatalog catalog;
  private final SaleTimeline timeline;
  private final SaleAudit audit;
  private final Clock clock;

  SaleRoutes(
      Pool pool,
      SaleRepository sales,
      SaleCatalog catalog,
      SaleTimeline timeline,
      SaleAudit audit,
      Clock clock) {
    this.pool = pool;
    this.sales = sales;
    this.catalog = catalog;
    this.timeline = timeline;
    this.audit = audit;
    this.clock = clock;
  }

  /**
   * The product pages' data is public and cacheable (a CDN can serve it to the herd): no token.
   * Marked before the auth handler, which lets marked requests through, and served after it (by
   * {@link #mount}): served before it, they would hide from the router that DELETE on a sale's path
   * is a 405.
   */
  void markPublic(Router router) {
    router.get("/api/sales").handler(BearerAuth::markPublic);
    router.get("/api/sales/:saleId").handler(BearerAuth::markPublic);
  }

  void mount(Router router, ContractValidation contract) {
    router.post("/api/admin/sales").handler(contract.of("createSale")).handler(this::create);
    router.get("/api/sales").handler(contract.of("listSales")).handler(this::list);
    router.get("/api/sales/:saleId").handler(contract.of("getSale")).handler(this::get);
    router
        .post("/api/sales/:saleId/subscribe")
        .handler(contract.of("subscribe"))
        .handler(this::subscribe);
    router
        .get("/api/admin/sales/:saleId/report")
        .handler(contract.of("saleReport"))
        .handler(this::report);
  }

  private void list(RoutingContext ctx) {
    sales
        .listNewestFirst(pool, LIST_LIMIT)
        .onSuccess(
            found ->
                PublicJson.send(
                    ctx,
                    new JsonObject()
                        .put(
                            "sales",
                            new JsonArray(found.stream().map(FlashSale::toJson).toList()))))
        .onFailure(ctx::fail);
  }

  private void get(RoutingContext ctx) {
    UUID saleId = Replies.pathId(ctx, "saleId");
    sales
        .find(pool, saleId)
        .map(
            found ->
                found.orElseThrow(
                    () -> new FlashSaleException(ErrorCode.NOT_FOUND, "no sale " + saleId)))
        .onSuccess(sale -> PublicJson.send(ctx, sale.toJson()))
        .onFailure(ctx::fail);
  }

  private void subscribe(RoutingContext ctx) {
    UUID saleId = Replies.pathId(ctx, "saleId");
    String email = ContractValidation.body(ctx).getString("email");
    catalog
        .get(saleId)
        .compose(sale -> timeline.subscribe(sale.saleId(), Caller.of(ctx).userId(), email))
        .onSuccess(
            done ->
                Replies.json(
                    ctx,
                    201,
                    new JsonObject().put("saleId", saleId.toString()).put("email", email)))
        .onFailure(ctx::fail);
  }

  private void report(RoutingContext ctx) {
    UUID saleId = Replies.pathId(ctx, "saleId");
    audit
        .report(saleId)
        .onSuccess(
            report -> {
              if (report == null) {
                ctx.fail(new FlashSaleException(ErrorCode.NOT_FOUND, "no sale " + saleId));
              } else {
                Replies.json(ctx, 200, report);
              }
            })
        .onFailure(ctx::fail);
  }

  /**
   * Types, ranges and lengths are the contract's (createSale); what stays here are rules between
   * fields.
   */
  private void create(RoutingContext ctx) {
    JsonObject input = ContractValidation.body(ctx);
    Instant now = clock.instant();
    Instant start = instant(input, "startTime", now);
    Instant end = instant(input, "endTime", start.plus(Duration.ofHours(1)));
    if (!end.isAfter(start)) {
      throw ContractValidation.invalid("endTime must be after startTime");
    }
    if (!end.isAfter(now)) {
      throw ContractValidation.invalid("endTime must be in the future");
    }
    NewSale sale =
        new NewSale(
            input.getString("productId"),
            input.getString("productName"),
            input.getInteger("quantity"),
            input.getLong("priceCents"),
            input.getString("currency"),
            start,
            end,
            input.getInteger("perUserLimit", 1),
            input.getInteger("admissionRatePerSecond", 500),
            input.getInteger("checkoutTtlSeconds", 600),
            input.getBoolean("waitingRoom", false),
            QueuePolicy.valueOf(
                input.getString("queuePolicy", QueuePolicy.RANDOMIZED_PREQUEUE.name())),
            input.getInteger("proofOfWorkDifficulty", 0),
            input.getBoolean("captchaRequired", false),
            input.getInteger("lineShards", 0));
    timeline
        .create(sale)
        .onSuccess(
            created -> ctx.response().putHeader("Location", "/api/sales/" + created.saleId()))
        .onSuccess(created -> Replies.json(ctx, 201, created.toJson()))
        .onFailure(ctx::fail);
  }

  /**
   * A format the contract checked (date-time); parsed here, and refused if java.time reads it
   * otherwise.
   */
  private static Instant instant(JsonObject input, String field, Instant fallback) {
    String text = input.getString(field);
    if (text == null) {
      return fallback;
    }
    try {
      return Instant.parse(text);
    } catch (DateTimeParseException e) {
      throw ContractValidation.invalid(
          field + " must be an ISO-8601 instant such as 2026-11-23T10:00:00Z");
    }
  }
}
