package io.flashsale.faults;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The card API of {@code HttpPaymentGateway}'s javadoc on a fixed loopback port, shared by every
 * node of a fault run: one ledger, answers replayed by idempotency key. It can be dropped (the port
 * refuses connections) and brought back, and its ledger is the payment history the checker reads:
 * how many times each authorisation was captured.
 */
final class CardApi {

  static final String API_KEY = "fault-run-key";

  enum State {
    AUTHORIZED,
    CAPTURED,
    VOIDED
  }

  record Entry(String id, String customer, long amount, State state, int captures) {}

  private final Vertx vertx;
  private final int port;
  private final Map<String, Entry> ledger = new ConcurrentHashMap<>();
  private final Map<String, JsonObject> answers = new ConcurrentHashMap<>();
  private HttpServer server;

  CardApi(Vertx vertx, int port) {
    this.vertx = vertx;
    this.port = port;
  }

  String url() {
    return "http://127.0.0.1:" + port;
  }

  Map<String, Entry> ledger() {
    return Map.copyOf(ledger);
  }

  Future<Void> up() {
    Router router = Router.router(vertx);
    router.route().handler(BodyHandler.create());
    router
        .route()
        .handler(
            ctx -> {
              if (!("Bearer " + API_KEY).equals(ctx.request().getHeader("Authorization"))
                  || ctx.request().getHeader("Idempotency-Key") == null) {
                send(
                    ctx,
                    401,
                    new JsonObject()
                        .put("error", new JsonObject().put("type", "authentication_error")));
              } else {
                ctx.next();
              }
            });
    router
        .post("/v1/authorizations")
        .handler(ctx -> replay(ctx, () -> authorize(ctx.body().asJsonObject())));
    router
        .post("/v1/authorizations/:id/capture")
        .handler(ctx -> replay(ctx, () -> capture(ctx.pathParam("id"))));
    router
        .post("/v1/authorizations/:id/void")
        .handler(ctx -> replay(ctx, () -> voidIt(ctx.pathParam("id"))));
    return vertx
        .createHttpServer()
        .requestHandler(router)
        .listen(port, "127.0.0.1")
        .onSuccess(listening -> server = listening)
        .mapEmpty();
  }

  /** Closes the port: calls are refused until {@link #up()}. */
  Future<Void> down() {
    HttpServer closing = server;
    server = null;
    return closing == null ? Future.succeededFuture() : closing.close();
  }

  private void replay(RoutingContext ctx, Supplier<JsonObject> work) {
    JsonObject answer =
        answers.computeIfAbsent(ctx.request().getHeader("Idempotency-Key"), key -> work.get());
    send(ctx, answer.getInteger("_status"), answer.copy());
  }

  private synchronized JsonObject authorize(JsonObject body) {
    String id = "auth_" + UUID.randomUUID();
    ledger.put(
        id, new Entry(id, body.getString("customer"), body.getLong("amount"), State.AUTHORIZED, 0));
    return new JsonObject().put("_status", 200).put("id", id).put("status", "authorized");
  }

  private synchronized JsonObject capture(String id) {
    Entry entry = ledger.get(id);
    if (entry == null) {
      return new JsonObject()
          .put("_status", 404)
          .put("error", new JsonObject().put("type", "invalid_request_error"));
    }
    if (entry.state() != State.AUTHORIZED) {
      return new JsonObject()
          .put("_status", 402)
          .put("status", "declined")
          .put("decline_code", "authorization_not_capturable");
    }
    ledger.put(
        id, new Entry(id, entry.customer(), entry.amount(), State.CAPTURED, entry.captures() + 1));
    return new JsonObject()
        .put("_status", 200)
        .put("id", id)
        .put("status", "captured")
        .put("capture_id", "cap_" + UUID.randomUUID());
  }

  private synchronized JsonObject voidIt(String id) {
    Entry entry = ledger.get(id);
    if (entry == null) {
      return new JsonObject()
          .put("_status", 404)
          .put("error", new JsonObject().put("type", "invalid_request_error"));
    }
    if (entry.state() != State.AUTHORIZED) {
      return new JsonObject()
          .put("_status", 409)
          .put("error", new JsonObject().put("type", "invalid_state"));
    }
    ledger.put(id, new Entry(id, entry.customer(), entry.amount(), State.VOIDED, entry.captures()));
    return new JsonObject().put("_status", 200).put("id", id).put("status", "voided");
  }

  private static void send(RoutingContext ctx, int status, JsonObject body) {
    body.remove("_status");
    if (!ctx.response().closed()) {
      ctx.response()
          .setStatusCode(status)
          .putHeader("Content-Type", "application/json")
          .end(body.encode());
    }
  }
}
