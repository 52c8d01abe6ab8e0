package io.flashsale.http;

import io.flashsale.sale.ErrorCode;
import io.flashsale.sale.FlashSale;
import io.flashsale.sale.FlashSaleException;
import io.flashsale.sale.NewSale;
import io.flashsale.sale.QueuePolicy;
import io.flashsale.sale.SaleOrder;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.LoggerFormat;
import io.vertx.ext.web.handler.LoggerHandler;
import io.vertx.micrometer.PrometheusScrapingHandler;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.UUID;
import io.flashsale.waitingroom.LiveFeed;
import io.flashsale.antibot.BotDefence.Attempt;
import io.flashsale.antibot.Blacklist.Kind;
import io.flashsale.operator.OperatorLog.Action;

/** The routes of the public API, the admin API, health and metrics. */
public final class ApiRouter {

  public static final int MAX_BODY_BYTES = 64 * 1024;
  private static final int LIST_LIMIT = 100;
  /** The buyer's default saved card, as the shop's gateway customer knows it. */
  private static final String DEFAULT_PAYMENT_METHOD = "default";

  private ApiRouter() {}

  public static Router create(Vertx vertx, ApiServices services, LiveFeed live, OpenAPIContract openapi,
                              boolean accessLog) {
    ContractValidation contract = new ContractValidation(openapi);
    Router router = Router.router(vertx);
    if (accessLog) {
      router.route().handler(LoggerHandler.create(LoggerFormat.DEFAULT));
    }
    router.route().handler(new RequestTimings(services.metrics()));
    router.route().failureHandler(Problems::handleFailure);
    for (int status : List.of(400, 401, 403, 404, 405, 413, 414, 415, 416, 417, 431, 500)) {
      router.errorHandler(status, Problems::handleStatus);
    }

    router.get("/health/live").handler(contract.of("healthLive"))
        .handler(ctx -> json(ctx, 200, new JsonObject().put("status", "UP")));
    router.get("/health/ready").handler(contract.of("healthReady")).handler(ctx -> ready(ctx, services));
    router.get("/metrics").handler(contract.of("metrics")).handler(PrometheusScrapingHandler.create(services.metrics()));
    ApiDocs.mount(router);

    router.route("/api/*").handler(JsonOnly::check);
    // Browsers cannot set headers on a WebSocket, so the live feed takes its token from the query.
    router.get("/api/sales/:saleId/live").handler(contract.of("liveFeed")).handler(ctx -> openLiveFeed(ctx, services, live));
    // The web pages, the demo sign-in and the dashboard's figures: they say themselves what auth they need.
    WebPages.mount(router, services, contract);

    // The product pages' data is public and cacheable (a CDN can serve it to the herd): no token.
    // Marked here, served after the auth handler, which lets marked requests through: served
    // here, they would hide from the router that DELETE on a sale's path is a 405.
    router.get("/api/sales").handler(BearerAuth::markPublic);
    router.get("/api/sales/:saleId").handler(BearerAuth::markPublic);
    router.route("/api/*").handler(BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES));
    router.route("/api/*").handler(services.auth()::authenticate);
    router.route("/api/admin/*").handler(BearerAuth::requireAdmin);

    router.post("/api/admin/sales").handler(contract.of("createSale")).handler(ctx -> createSale(ctx, services));
    router.get("/api/sales").handler(contract.of("listSales")).handler(ctx -> services.sales().listNewestFirst(services.pool(), LIST_LIMIT)
        .onSuccess(sales -> PublicJson.send(ctx, new JsonObject().put("sales",
            new JsonArray(sales.stream().map(FlashSale::toJson).toList()))))
        .onFailure(ctx::fail));
    router.get("/api/sales/:saleId").handler(contract.of("getSale")).handler(ctx -> {
      UUID saleId = pathId(ctx, "saleId");
      services.sales().find(services.pool(), saleId)
          .map(found -> found.orElseThrow(() -> new FlashSaleException(ErrorCode.NOT_FOUND, "no sale " + saleId)))
          .onSuccess(sale -> PublicJson.send(ctx, sale.toJson()))
          .onFailure(ctx::fail);
    });
    router.post("/api/sales/:saleId/purchase").handler(contract.of("purchase")).handler(ctx -> {
      UUID saleId = pathId(ctx, "saleId");
      JsonObject input = ContractValidation.body(ctx);
      int quantity = input.getInteger("quantity", 1);
      Attempt attempt = attempt(ctx, input, services);
      reply(ctx, 201, services.catalog().get(saleId).compose(sale -> services.botDefence().beforePurchase(sale, attempt)
          .compose(limits -> services.directPurchase().purchase(sale, attempt.userId(), attempt.device(), quantity,
              limits))));
    });
    router.get("/api/sales/:saleId/challenge").handler(contract.of("challenge")).handler(ctx -> {
      UUID saleId = pathId(ctx, "saleId");
      Attempt attempt = attempt(ctx, new JsonObject(), services);
      services.catalog().get(saleId)
          .compose(sale -> services.botDefence().challenge(sale, attempt))
          .onSuccess(challenge -> json(ctx, 200, challenge.toJson()))
          .onFailure(ctx::fail);
    });

    router.post("/api/sales/:saleId/queue").handler(contract.of("joinQueue")).handler(ctx -> {
      UUID saleId = pathId(ctx, "saleId");
      JsonObject input = ContractValidation.body(ctx);
      int quantity = input.getInteger("quantity", 1);
      String paymentMethodId = input.getString("paymentMethodId", DEFAULT_PAYMENT_METHOD);
      Attempt attempt = attempt(ctx, input, services);
      services.catalog().get(saleId)
          .compose(sale -> services.botDefence().guardsForJoin(sale, attempt)
              .compose(guards -> services.waitingRoom().join(sale, attempt.userId(), attempt.device(), quantity,
                  paymentMethodId, guards)))
          .onSuccess(view -> json(ctx, 202, view.toJson()))
          .onFailure(ctx::fail);
    });
    router.get("/api/sales/:saleId/queue/me").handler(contract.of("queueStatus")).handler(ctx -> {
      UUID saleId = pathId(ctx, "saleId");
      services.waitingRoom().status(Caller.of(ctx).userId(), saleId)
          .onSuccess(view -> json(ctx, 200, view.toJson()))
          .onFailure(ctx::fail);
    });
    router.delete("/api/sales/:saleId/queue/:ticketId").handler(contract.of("leaveQueue")).handler(ctx -> leave(ctx, services));
    router.post("/api/sales/:saleId/subscribe").handler(contract.of("subscribe")).handler(ctx -> {
      UUID saleId = pathId(ctx, "saleId");
      String email = ContractValidation.body(ctx).getString("email");
      services.catalog().get(saleId)
          .compose(sale -> services.timeline().subscribe(sale.saleId(), Caller.of(ctx).userId(), email))
          .onSuccess(done -> json(ctx, 201, new JsonObject().put("saleId", saleId.toString()).put("email", email)))
          .onFailure(ctx::fail);
    });
    router.post("/api/admission/verify").handler(contract.of("verifyAdmission")).handler(ctx -> {
      String token = ContractValidation.body(ctx).getString("admissionToken");
      services.admissionTokens().verify(token, Caller.of(ctx).userId())
          .onSuccess(admission -> json(ctx, 200, admission.toJson()))
          .onFailure(ctx::fail);
    });

    router.get("/api/admin/blacklist").handler(contract.of("listBlacklist")).handler(ctx -> Future.all(services.blacklist().list(Kind.ACCOUNT),
            services.blacklist().list(Kind.DEVICE))
        .onSuccess(lists -> json(ctx, 200, new JsonObject()
            .put("accounts", new JsonArray(lists.<List<JsonObject>>resultAt(0)))
            .put("devices", new JsonArray(lists.<List<JsonObject>>resultAt(1)))))
        .onFailure(ctx::fail));
    router.post("/api/admin/blacklist").handler(contract.of("addToBlacklist")).handler(ctx -> {
      JsonObject input = ContractValidation.body(ctx);
      Kind kind = input.containsKey("fingerprint") ? Kind.DEVICE : Kind.ACCOUNT;
      String subject = input.getString(kind.field());
      services.blacklist().add(kind, subject, input.getString("reason"), Caller.of(ctx).userId())
          .onSuccess(added -> services.operatorLog().count(Action.BLACKLIST_ADD))
          .onSuccess(added -> json(ctx, added ? 201 : 200, new JsonObject().put(kind.field(), subject)
              .put("blacklisted", true)))
          .onFailure(ctx::fail);
    });
    router.delete("/api/admin/blacklist/:userId").handler(contract.of("removeFromBlacklist")).handler(ctx -> unflag(ctx, services, Kind.ACCOUNT,
        ctx.pathParam("userId")));
    router.delete("/api/admin/blacklist/devices/:fingerprint").handler(contract.of("removeDeviceFromBlacklist"))
        .handler(ctx -> unflag(ctx, services, Kind.DEVICE,
        ctx.pathParam("fingerprint")));
    router.get("/api/admin/sales/:saleId/report").handler(contract.of("saleReport")).handler(ctx -> {
      UUID saleId = pathId(ctx, "saleId");
      services.audit().report(saleId)
          .onSuccess(report -> {
            if (report == null) {
              ctx.fail(new FlashSaleException(ErrorCode.NOT_FOUND, "no sale " + saleId));
            } else {
              json(ctx, 200, report);
            }
          })
          .onFailure(ctx::fail);
    });

    OperatorRoutes.mount(router, services, contract);

    router.get("/api/me/orders").handler(contract.of("myOrders")).handler(ctx -> services.orders().listOwn(services.pool(), Caller.of(ctx).userId(), LIST_LIMIT)
        .onSuccess(orders -> json(ctx, 200, new JsonObject().put("orders",
            new JsonArray(orders.stream().map(SaleOrder::toJson).toList()))))
        .onFailure(ctx::fail));
    router.get("/api/orders/:orderId").handler(contract.of("getOrder")).handler(ctx -> {
      UUID orderId = pathId(ctx, "orderId");
      reply(ctx, 200, services.orders().findOwn(services.pool(), orderId, Caller.of(ctx).userId())
          .map(found -> found.orElseThrow(() -> new FlashSaleException(ErrorCode.NOT_FOUND, "no order " + orderId))));
    });
    router.post("/api/orders/:orderId/checkout").handler(contract.of("checkout")).handler(ctx -> {
      UUID orderId = pathId(ctx, "orderId");
      reply(ctx, 200, services.checkout().checkout(Caller.of(ctx).userId(), orderId));
    });
    router.post("/api/orders/:orderId/cancel").handler(contract.of("cancelOrder")).handler(ctx -> {
      UUID orderId = pathId(ctx, "orderId");
      reply(ctx, 200, services.checkout().cancel(Caller.of(ctx).userId(), orderId));
    });
    return router;
  }

  /** Types, ranges and lengths are the contract's (createSale); what stays here are rules between fields. */
  private static void createSale(RoutingContext ctx, ApiServices services) {
    JsonObject input = ContractValidation.body(ctx);
    Instant start = instant(input, "startTime", Instant.now());
    Instant end = instant(input, "endTime", start.plus(Duration.ofHours(1)));
    if (!end.isAfter(start)) {
      throw ContractValidation.invalid("endTime must be after startTime");
    }
    if (!end.isAfter(Instant.now())) {
      throw ContractValidation.invalid("endTime must be in the future");
    }
    NewSale sale = new NewSale(
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
        QueuePolicy.valueOf(input.getString("queuePolicy", QueuePolicy.RANDOMIZED_PREQUEUE.name())),
        input.getInteger("proofOfWorkDifficulty", 0),
        input.getBoolean("captchaRequired", false));
    services.timeline().create(sale)
        .onSuccess(created -> ctx.response().putHeader("Location", "/api/sales/" + created.saleId()))
        .onSuccess(created -> json(ctx, 201, created.toJson()))
        .onFailure(ctx::fail);
  }

  /** The header a client sends its device fingerprint in (e.g. a FingerprintJS visitor id). */
  public static final String DEVICE_HEADER = "X-Device-Fingerprint";

  /** What the bot defence needs to know about this request. */
  /** The header was checked by the contract (DeviceFingerprint), the body's fields too. */
  private static Attempt attempt(RoutingContext ctx, JsonObject input, ApiServices services) {
    String device = ctx.request().getHeader(DEVICE_HEADER);
    JsonObject work = input.getJsonObject("proofOfWork");
    return new Attempt(Caller.of(ctx).userId(), services.clientAddress().of(ctx), device == null ? "" : device,
        work == null ? null : work.getString("challenge"),
        work == null ? null : work.getString("solution"),
        input.getString("captchaToken"));
  }

  /** A format the contract checked (date-time); parsed here, and refused if java.time reads it otherwise. */
  private static Instant instant(JsonObject input, String field, Instant fallback) {
    String text = input.getString(field);
    if (text == null) {
      return fallback;
    }
    try {
      return Instant.parse(text);
    } catch (DateTimeParseException e) {
      throw ContractValidation.invalid(field + " must be an ISO-8601 instant such as 2026-11-23T10:00:00Z");
    }
  }

  /** A path id the contract has already checked against its UUID pattern. */
  static UUID pathId(RoutingContext ctx, String name) {
    return UUID.fromString(ctx.pathParam(name));
  }

  private static void unflag(RoutingContext ctx, ApiServices services, Kind kind, String subject) {
    services.blacklist().remove(kind, subject)
        .onSuccess(removed -> {
          if (removed) {
            services.operatorLog().count(Action.BLACKLIST_REMOVE);
            ctx.response().setStatusCode(204).end();
          } else {
            ctx.fail(new FlashSaleException(ErrorCode.NOT_FOUND, "not blacklisted"));
          }
        })
        .onFailure(ctx::fail);
  }

  private static void openLiveFeed(RoutingContext ctx, ApiServices services, LiveFeed live) {
    UUID saleId = pathId(ctx, "saleId");
    refuseBadHandshake(ctx);
    String token = ctx.request().getParam("access_token");
    // The upgrade happens after asynchronous checks: the request must not end under us meanwhile.
    ctx.request().pause();
    services.auth().verify(token)
        .compose(caller -> services.catalog().get(saleId).compose(sale -> sale.waitingRoom()
            ? ctx.request().toWebSocket().onSuccess(socket -> live.attach(socket, caller.userId(), sale))
            : Future.failedFuture(new FlashSaleException(ErrorCode.CONFLICT, "this sale has no waiting room"))))
        .onFailure(ctx::fail);
  }

  /**
   * Checked before the asynchronous token and sale checks, so a request that cannot become a
   * WebSocket is told why in problem+json (Vert.x's own refusal is a bare text line, sent after
   * those checks have run). Only RFC 6455's version 13 is spoken, as every browser does.
   */
  private static void refuseBadHandshake(RoutingContext ctx) {
    io.vertx.core.http.HttpServerRequest request = ctx.request();
    String upgrade = request.getHeader("Upgrade");
    String connection = request.getHeader("Connection");
    if (upgrade == null || !upgrade.trim().equalsIgnoreCase("websocket")
        || connection == null || !connection.toLowerCase(java.util.Locale.ROOT).contains("upgrade")) {
      ctx.response().putHeader("Upgrade", "websocket");
      throw new FlashSaleException(ErrorCode.UPGRADE_REQUIRED,
          "the live feed is a WebSocket: send Upgrade: websocket and Connection: Upgrade");
    }
    if (!"13".equals(request.getHeader("Sec-WebSocket-Version"))) {
      ctx.response().putHeader("Sec-WebSocket-Version", "13");
      throw new FlashSaleException(ErrorCode.UPGRADE_REQUIRED, "only WebSocket version 13 is supported");
    }
    String key = request.getHeader("Sec-WebSocket-Key");
    if (key == null || !key.trim().matches("[A-Za-z0-9+/]{22}==")) {
      throw new FlashSaleException(ErrorCode.MALFORMED_REQUEST, "Sec-WebSocket-Key must be 16 bytes in base64");
    }
  }

  private static void ready(RoutingContext ctx, ApiServices services) {
    Future<Boolean> pg = services.pool().query("SELECT count(*) AS applied FROM flyway_schema_history WHERE success")
        .execute()
        .map(rows -> rows.iterator().next().getLong("applied") > 0);
    Future<Boolean> redis = services.redis().send(Request.cmd(Command.PING)).map(pong -> true);
    Future.join(pg, redis).onComplete(done -> {
      boolean pgUp = pg.succeeded() && pg.result();
      boolean redisUp = redis.succeeded();
      JsonObject body = new JsonObject()
          .put("status", pgUp && redisUp ? "UP" : "DOWN")
          .put("postgres", pgUp ? "UP" : "DOWN")
          .put("redis", redisUp ? "UP" : "DOWN");
      json(ctx, pgUp && redisUp ? 200 : 503, body);
    });
  }

  /** DELETE queue/me (or queue/{own ticket id}): out of the line, or the hold released. */
  private static void leave(RoutingContext ctx, ApiServices services) {
    UUID saleId = pathId(ctx, "saleId");
    String named = ctx.pathParam("ticketId");
    String ticketId = named.equals("me") ? null : UUID.fromString(named).toString();
    String userId = Caller.of(ctx).userId();
    services.waitingRoom().leave(userId, saleId, ticketId)
        .compose(departure -> (departure.heldOrderId() == null
            ? Future.succeededFuture(new JsonObject().put("state", departure.ticket().state().name()))
            : services.checkout().cancel(userId, UUID.fromString(departure.heldOrderId()))
                .map(order -> new JsonObject().put("state", order.status().name()).put("orderId", order.orderId())))
            .map(answer -> answer.put("saleId", saleId.toString()).put("ticketId", departure.ticket().ticketId())))
        .onSuccess(answer -> json(ctx, 200, answer))
        .onFailure(ctx::fail);
  }

  private static void reply(RoutingContext ctx, int status, Future<SaleOrder> order) {
    order.onSuccess(result -> json(ctx, status, result.toJson())).onFailure(ctx::fail);
  }

  static void json(RoutingContext ctx, int status, JsonObject body) {
    ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.encode());
  }
}
