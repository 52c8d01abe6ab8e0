package io.flashsale.checkout;

import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.payment.SimulatedPaymentGateway;
import io.flashsale.payment.SimulatedPaymentGateway.State;
import io.flashsale.support.Await;
import io.flashsale.support.Engine;
import io.flashsale.support.Invariants;
import io.flashsale.support.Poll;
import io.flashsale.support.TestServer;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class CheckoutAndCancelTest {

  @RegisterExtension
  static final Engine engine =
      Engine.start(
          Map.of("FLASHSALE_LIFECYCLE_TICK_MS", "100", "FLASHSALE_PAYMENT_TIMEOUT_MS", "1000"));

  @RegisterExtension
  static final Engine declining =
      Engine.start(Map.of("FLASHSALE_PAYMENT_SIMULATED_DECLINE_RATE", "1.0"));

  @Test
  void checkoutPaysOnceEvenWhenRetriedConcurrently() {
    String saleId = sale(engine.server(), 3, new JsonObject());
    String orderId =
        Await.result(engine.server().purchase(saleId, "payer", 1))
            .bodyAsJsonObject()
            .getString("orderId");

    List<Future<HttpResponse<Buffer>>> retries =
        List.of(
            post(engine.server(), "/api/orders/" + orderId + "/checkout", "payer"),
            post(engine.server(), "/api/orders/" + orderId + "/checkout", "payer"),
            post(engine.server(), "/api/orders/" + orderId + "/checkout", "payer"));
    Await.result(Future.all(retries));

    for (Future<HttpResponse<Buffer>> retry : retries) {
      assertThat(retry.result().statusCode()).isEqualTo(200);
      assertThat(retry.result().bodyAsJsonObject().getString("status")).isEqualTo("PAID");
    }
    SimulatedPaymentGateway gateway =
        (SimulatedPaymentGateway) engine.server().services().gateway();
    assertThat(
            Await.result(gateway.ledger()).values().stream()
                .filter(entry -> entry.userId().equals("payer")))
        .singleElement()
        .satisfies(
            entry -> {
              assertThat(entry.state()).isEqualTo(State.CAPTURED);
              assertThat(entry.captures()).isEqualTo(1);
              assertThat(entry.amountCents()).isEqualTo(1_999);
            });
    HttpResponse<Buffer> cancel =
        Await.result(post(engine.server(), "/api/orders/" + orderId + "/cancel", "payer"));
    assertThat(cancel.statusCode()).isEqualTo(409);
    assertThat(cancel.bodyAsJsonObject().getString("code")).isEqualTo("CONFLICT");
  }

  @Test
  void aPaymentAnsweredTooLateKeepsTheHoldAndTheRetryFindsItPaid() {
    String saleId = sale(engine.server(), 3, new JsonObject());
    String orderId =
        Await.result(engine.server().purchase(saleId, "late-payer", 1))
            .bodyAsJsonObject()
            .getString("orderId");
    SimulatedPaymentGateway gateway =
        (SimulatedPaymentGateway) engine.server().services().gateway();

    // The card is authorised and captured at once, but the answers come after the engine stopped
    // waiting.
    gateway.slowFor(Duration.ofMillis(2_500), Duration.ofMillis(1_500));
    HttpResponse<Buffer> unanswered =
        Await.result(post(engine.server(), "/api/orders/" + orderId + "/checkout", "late-payer"));
    assertThat(unanswered.statusCode()).as(unanswered.bodyAsString()).isEqualTo(503);
    assertThat(unanswered.bodyAsJsonObject().getString("code")).isEqualTo("PAYMENT_UNAVAILABLE");
    assertThat(
            Await.result(
                    engine
                        .server()
                        .client()
                        .get("/api/orders/" + orderId)
                        .bearerTokenAuthentication(engine.server().token("late-payer"))
                        .send())
                .bodyAsJsonObject()
                .getString("status"))
        .as("the hold stands: the money may have moved")
        .isEqualTo("RESERVED");

    // The buyer checks out again once the gateway answers in time: the same keys replay what it
    // did.
    HttpResponse<Buffer> paid =
        Poll.until(
            () ->
                Await.result(
                    post(engine.server(), "/api/orders/" + orderId + "/checkout", "late-payer")),
            answer -> answer.statusCode() != 503,
            Duration.ofSeconds(20));
    assertThat(paid.statusCode()).as(paid.bodyAsString()).isEqualTo(200);
    assertThat(paid.bodyAsJsonObject().getString("status")).isEqualTo("PAID");
    assertThat(
            Await.result(gateway.ledger()).values().stream()
                .filter(entry -> entry.userId().equals("late-payer")))
        .as("one authorisation, captured once")
        .singleElement()
        .satisfies(entry -> assertThat(entry.captures()).isEqualTo(1));
  }

  @Test
  void aCancelledUnitCanBeBoughtByTheNextBuyer() throws Exception {
    String saleId = sale(engine.server(), 1, new JsonObject());
    String orderId =
        Await.result(engine.server().purchase(saleId, "first", 1))
            .bodyAsJsonObject()
            .getString("orderId");
    assertThat(code(Await.result(engine.server().purchase(saleId, "second", 1))))
        .isEqualTo("SOLD_OUT");

    HttpResponse<Buffer> cancelled =
        Await.result(post(engine.server(), "/api/orders/" + orderId + "/cancel", "first"));
    assertThat(cancelled.bodyAsJsonObject().getString("status")).isEqualTo("CANCELLED");
    assertThat(
            Await.result(post(engine.server(), "/api/orders/" + orderId + "/cancel", "first"))
                .statusCode())
        .as("cancelling twice is harmless")
        .isEqualTo(200);
    HttpResponse<Buffer> checkoutCancelled =
        Await.result(post(engine.server(), "/api/orders/" + orderId + "/checkout", "first"));
    assertThat(code(checkoutCancelled)).isEqualTo("CONFLICT");

    assertThat(Await.result(engine.server().purchase(saleId, "second", 1)).statusCode())
        .isEqualTo(201);
    try (Connection db = engine.server().database()) {
      assertThat(Invariants.assertNoOversell(db, saleId).quantitySold()).isEqualTo(1);
    }
    assertThat(Await.result(engine.server().services().stockGate().stock(saleId))).isZero();
  }

  @Test
  void aDeclinedCardCancelsTheOrderAndFreesTheUnit() throws Exception {
    String saleId = sale(declining.server(), 1, new JsonObject());
    String orderId =
        Await.result(declining.server().purchase(saleId, "broke", 1))
            .bodyAsJsonObject()
            .getString("orderId");

    HttpResponse<Buffer> declined =
        Await.result(post(declining.server(), "/api/orders/" + orderId + "/checkout", "broke"));

    assertThat(declined.statusCode()).isEqualTo(402);
    assertThat(code(declined)).isEqualTo("PAYMENT_DECLINED");
    try (Connection db = declining.server().database()) {
      assertThat(Invariants.assertNoOversell(db, saleId).quantitySold()).isZero();
    }
    assertThat(Await.result(declining.server().services().stockGate().stock(saleId))).isEqualTo(1);
    HttpResponse<Buffer> order =
        Await.result(
            declining
                .server()
                .client()
                .get("/api/orders/" + orderId)
                .bearerTokenAuthentication(declining.server().token("broke"))
                .send());
    assertThat(order.bodyAsJsonObject().getString("status")).isEqualTo("CANCELLED");
  }

  @Test
  void anExpiredHoldCannotBeCheckedOut() throws Exception {
    String saleId = sale(engine.server(), 2, new JsonObject().put("checkoutTtlSeconds", 1));
    String orderId =
        Await.result(engine.server().purchase(saleId, "slow", 1))
            .bodyAsJsonObject()
            .getString("orderId");
    Thread.sleep(1_300);

    HttpResponse<Buffer> late =
        Await.result(post(engine.server(), "/api/orders/" + orderId + "/checkout", "slow"));

    assertThat(code(late)).isEqualTo("HOLD_EXPIRED");
    SimulatedPaymentGateway gateway =
        (SimulatedPaymentGateway) engine.server().services().gateway();
    assertThat(Await.result(gateway.ledger()).values())
        .noneMatch(entry -> entry.userId().equals("slow"));
  }

  @Test
  void listsOnlyTheCallersOwnOrders() {
    String saleId = sale(engine.server(), 5, new JsonObject());
    Await.result(engine.server().purchase(saleId, "lister", 1));
    Await.result(engine.server().purchase(saleId, "other-lister", 1));

    JsonObject mine =
        Await.result(
                engine
                    .server()
                    .client()
                    .get("/api/me/orders")
                    .bearerTokenAuthentication(engine.server().token("lister"))
                    .send())
            .bodyAsJsonObject();

    assertThat(mine.getJsonArray("orders")).hasSize(1);
    assertThat(mine.getJsonArray("orders").getJsonObject(0).getString("saleId")).isEqualTo(saleId);
  }

  @Test
  void aScheduledSaleOpensAtItsStartAndClosesAtItsEnd() throws Exception {
    // Leads with room for a loaded machine: the sale must still be scheduled when the first buyer
    // presses.
    Instant start = Instant.now().plusMillis(3_000);
    String saleId =
        sale(
            engine.server(),
            5,
            new JsonObject()
                .put("startTime", start.toString())
                .put("endTime", start.plusMillis(2_000).toString()));
    assertThat(status(saleId)).isEqualTo("SCHEDULED");
    assertThat(code(Await.result(engine.server().purchase(saleId, "early", 1))))
        .isEqualTo("SALE_NOT_ACTIVE");

    awaitStatus(saleId, "ACTIVE");
    assertThat(Await.result(engine.server().purchase(saleId, "early", 1)).statusCode())
        .isEqualTo(201);

    awaitStatus(saleId, "ENDED");
    assertThat(code(Await.result(engine.server().purchase(saleId, "late", 1))))
        .isEqualTo("SALE_NOT_ACTIVE");
  }

  /**
   * The scheduler ticks every 100 ms; a loaded machine may be late, so poll with a generous bound.
   */
  private static void awaitStatus(String saleId, String expected) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 10_000;
    while (!status(saleId).equals(expected) && System.currentTimeMillis() < deadline) {
      Thread.sleep(50);
    }
    assertThat(status(saleId)).isEqualTo(expected);
  }

  private static String status(String saleId) {
    return Await.result(
            engine
                .server()
                .client()
                .get("/api/sales/" + saleId)
                .bearerTokenAuthentication(engine.server().token("viewer"))
                .send())
        .bodyAsJsonObject()
        .getString("status");
  }

  private static String sale(TestServer target, int quantity, JsonObject extra) {
    return Await.result(target.createSale(quantity, extra)).getString("saleId");
  }

  private static Future<HttpResponse<Buffer>> post(TestServer target, String path, String user) {
    return target.client().post(path).bearerTokenAuthentication(target.token(user)).send();
  }

  private static String code(HttpResponse<Buffer> response) {
    return response.bodyAsJsonObject().getString("code");
  }
}
