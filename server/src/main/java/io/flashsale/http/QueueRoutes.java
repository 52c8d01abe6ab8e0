package io.flashsale.http;

import io.flashsale.antibot.BotDefence;
import io.flashsale.antibot.BotDefence.Attempt;
import io.flashsale.checkout.LeavingTheLine;
import io.flashsale.sale.ErrorCode;
import io.flashsale.sale.FlashSaleException;
import io.flashsale.sale.SaleCatalog;
import io.flashsale.waitingroom.AdmissionTokens;
import io.flashsale.waitingroom.LiveFeed;
import io.flashsale.waitingroom.WaitingRoom;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Locale;
import java.util.UUID;

/**
 * The waiting room: the bot check, joining, one's place, leaving, the live feed and admission
 * tokens.
 */
final class QueueRoutes {

  /** The buyer's default saved card, as the shop's gateway customer knows it. */
  private static final String DEFAULT_PAYMENT_METHOD = "default";

  private final SaleCatalog catalog;
  private final BotDefence botDefence;
  private final BotAttempts attempts;
  private final WaitingRoom room;
  private final LeavingTheLine leaving;
  private final AdmissionTokens admissionTokens;
  private final BearerAuth auth;
  private final LiveFeed live;

  QueueRoutes(
      SaleCatalog catalog,
      BotDefence botDefence,
      BotAttempts attempts,
      WaitingRoom room,
      LeavingTheLine leaving,
      AdmissionTokens admissionTokens,
      BearerAuth auth,
      LiveFeed live) {
    this.catalog = catalog;
    this.botDefence = botDefence;
    this.attempts = attempts;
    this.room = room;
    this.leaving = leaving;
    this.admissionTokens = admissionTokens;
    this.auth = auth;
    this.live = live;
  }

  /**
   * Before the body handler and the header auth: browsers cannot set headers on a WebSocket, so the
   * token is in the query.
   */
  void mountLiveFeed(Router router, ContractValidation contract) {
    router
        .get("/api/sales/:saleId/live")
        .handler(contract.of("liveFeed"))
        .handler(this::openLiveFeed);
  }

  void mount(Router router, ContractValidation contract) {
    router.post("/api/sales/:saleId/queue").handler(contract.of("joinQueue")).handler(this::join);
    router
        .get("/api/sales/:saleId/queue/me")
        .handler(contract.of("queueStatus"))
        .handler(this::status);
    router
        .get("/api/sales/:saleId/challenge")
        .handler(contract.of("challenge"))
        .handler(this::challenge);
    router
        .delete("/api/sales/:saleId/queue/:ticketId")
        .handler(contract.of("leaveQueue"))
        .handler(this::leave);
    router
        .post("/api/admission/verify")
        .handler(contract.of("verifyAdmission"))
        .handler(this::verifyAdmission);
  }

  private void challenge(RoutingContext ctx) {
    UUID saleId = Replies.pathId(ctx, "saleId");
    Attempt attempt = attempts.of(ctx, new JsonObject());
    catalog
        .get(saleId)
        .compose(sale -> botDefence.challenge(sale, attempt))
        .onSuccess(challenge -> Replies.json(ctx, 200, challenge.toJson()))
        .onFailure(ctx::fail);
  }

  private void join(RoutingContext ctx) {
    UUID saleId = Replies.pathId(ctx, "saleId");
    JsonObject input = ContractValidation.body(ctx);
    int quantity = input.getInteger("quantity", 1);
    String paymentMethodId = input.getString("paymentMethodId", DEFAULT_PAYMENT_METHOD);
    Attempt attempt = attempts.of(ctx, input);
    catalog
        .get(saleId)
        .compose(
            sale ->
                botDefence
                    .guardsForJoin(sale, attempt)
                    .compose(
                        guards ->
                            room.join(
                                sale,
                                attempt.userId(),
                                attempt.device(),
                                quantity,
                                paymentMethodId,
                                guards)))
        .onSuccess(view -> Replies.json(ctx, 202, view.toJson()))
        .onFailure(ctx::fail);
  }

  private void status(RoutingContext ctx) {
    UUID saleId = Replies.pathId(ctx, "saleId");
    room.status(Caller.of(ctx).userId(), saleId)
        .onSuccess(view -> Replies.json(ctx, 200, view.toJson()))
        .onFailure(ctx::fail);
  }

  /** DELETE queue/me (or queue/{own ticket id}): out of the line, or the hold released. */
  private void leave(RoutingContext ctx) {
    UUID saleId = Replies.pathId(ctx, "saleId");
    String named = ctx.pathParam("ticketId");
    String ticketId = named.equals("me") ? null : UUID.fromString(named).toString();
    leaving
        .leave(Caller.of(ctx).userId(), saleId, ticketId)
        .onSuccess(answer -> Replies.json(ctx, 200, answer))
        .onFailure(ctx::fail);
  }

  private void verifyAdmission(RoutingContext ctx) {
    String token = ContractValidation.body(ctx).getString("admissionToken");
    admissionTokens
        .verify(token, Caller.of(ctx).userId())
        .onSuccess(admission -> Replies.json(ctx, 200, admission.toJson()))
        .onFailure(ctx::fail);
  }

  private void openLiveFeed(RoutingContext ctx) {
    UUID saleId = Replies.pathId(ctx, "saleId");
    refuseBadHandshake(ctx);
    String token = ctx.request().getParam("access_token");
    // The upgrade happens after asynchronous checks: the request must not end under us meanwhile.
    ctx.request().pause();
    auth.verify(token)
        .compose(
            caller ->
                catalog
                    .get(saleId)
                    .compose(
                        sale ->
                            sale.waitingRoom()
                                ? ctx.request()
                                    .toWebSocket()
                                    .onSuccess(socket -> live.attach(socket, caller.userId(), sale))
                                : Future.failedFuture(
                                    new FlashSaleException(
                                        ErrorCode.CONFLICT, "this sale has no waiting room"))))
        .onFailure(ctx::fail);
  }

  /**
   * Checked before the asynchronous token and sale checks, so a request that cannot become a
   * WebSocket is told why in problem+json (Vert.x's own refusal is a bare text line, sent after
   * those checks have run). Only RFC 6455's version 13 is spoken, as every browser does.
   */
  private static void refuseBadHandshake(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    String upgrade = request.getHeader("Upgrade");
    String connection = request.getHeader("Connection");
    if (upgrade == null
        || !upgrade.trim().equalsIgnoreCase("websocket")
        || connection == null
        || !connection.toLowerCase(Locale.ROOT).contains("upgrade")) {
      ctx.response().putHeader("Upgrade", "websocket");
      throw new FlashSaleException(
          ErrorCode.UPGRADE_REQUIRED,
          "the live feed is a WebSocket: send Upgrade: websocket and Connection: Upgrade");
    }
    if (!"13".equals(request.getHeader("Sec-WebSocket-Version"))) {
      ctx.response().putHeader("Sec-WebSocket-Version", "13");
      throw new FlashSaleException(
          ErrorCode.UPGRADE_REQUIRED, "only WebSocket version 13 is supported");
    }
    String key = request.getHeader("Sec-WebSocket-Key");
    if (key == null || !key.trim().matches("[A-Za-z0-9+/]{22}==")) {
      throw new FlashSaleException(
          ErrorCode.MALFORMED_REQUEST, "Sec-WebSocket-Key must be 16 bytes in base64");
    }
  }
}
