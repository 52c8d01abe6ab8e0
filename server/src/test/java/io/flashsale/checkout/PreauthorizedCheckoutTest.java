package io.flashsale.checkout;

import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.payment.SimulatedPaymentGateway;
import io.flashsale.payment.SimulatedPaymentGateway.Ledger;
import io.flashsale.payment.SimulatedPaymentGateway.State;
import io.flashsale.support.Await;
import io.flashsale.support.Engine;
import io.flashsale.support.Invariants;
import io.flashsale.support.Poll;
import io.flashsale.support.Sql;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A whole queued sale with real-world trouble: declined cards, buyers who never check out, captures
 * that fail. Units recirculate until exactly the stock is paid for; every card hold that did not
 * become a sale is voided; the verdict comes from PostgreSQL, Redis and the gateway's own ledger.
 */
class PreauthorizedCheckoutTest {

  private static final int UNITS = 100;
  private static final int BUYERS = 1_000;

  @RegisterExtension
  static final Engine engine =
      Engine.start(
          Map.of(
              "FLASHSALE_CHECKOUT_SWEEP_MS", "200",
              "FLASHSALE_LIFECYCLE_TICK_MS", "200"));

  /**
   * Every fifth buyer's card is declined; one in ten fails at capture; three in ten never check
   * out.
   */
  private static String paymentMethodOf(int buyer) {
    return switch (buyer % 10) {
      case 0, 5 -> SimulatedPaymentGateway.DECLINED_CARD;
      case 1 -> SimulatedPaymentGateway.CAPTURE_ERROR_CARD;
      default -> "pm_card_visa";
    };
  }

  private static boolean abandons(int buyer) {
    return buyer % 10 == 2 || buyer % 10 == 3 || buyer % 10 == 4;
  }

  @Test
  void unitsRecirculateUntilExactlyTheStockIsPaidAndEveryOtherHoldIsVoided() throws Exception {
    Instant end = Instant.now().plusSeconds(25);
    String saleId =
        Await.result(
                engine
                    .server()
                    .createSale(
                        UNITS,
                        new JsonObject()
                            .put("waitingRoom", true)
                            .put("queuePolicy", "FIFO")
                            .put("admissionRatePerSecond", 400)
                            .put("checkoutTtlSeconds", 2)
                            .put("endTime", end.toString())))
            .getString("saleId");

    List<Future<HttpResponse<Buffer>>> joins = new ArrayList<>();
    for (int i = 0; i < BUYERS; i++) {
      joins.add(
          engine
              .server()
              .client()
              .post("/api/sales/" + saleId + "/queue")
              .bearerTokenAuthentication(engine.server().token("card-" + i))
              .sendJsonObject(
                  new JsonObject().put("quantity", 1).put("paymentMethodId", paymentMethodOf(i))));
    }
    Await.result(Future.all(joins));
    assertThat(joins).allMatch(join -> join.result().statusCode() == 202);

    // The buyers: whoever holds a reservation checks out, unless they are one who walks away.
    Set<String> attempted = new HashSet<>();
    Poll.until(
        () -> {
          try (Connection db = engine.server().database();
              ResultSet held =
                  Sql.query(
                      db,
                      "SELECT order_id, user_id FROM sale_orders WHERE sale_id = ?"
                          + " AND status = 'RESERVED'",
                      UUID.fromString(saleId))) {
            List<Future<HttpResponse<Buffer>>> checkouts = new ArrayList<>();
            while (held.next()) {
              String orderId = held.getString("order_id");
              String user = held.getString("user_id");
              if (attempted.add(orderId)
                  && !abandons(Integer.parseInt(user.substring("card-".length())))) {
                checkouts.add(
                    engine
                        .server()
                        .client()
                        .post("/api/orders/" + orderId + "/checkout")
                        .bearerTokenAuthentication(engine.server().token(user))
                        .send());
              }
            }
            Await.result(Future.join(checkouts));
            return Invariants.count(
                db,
                "SELECT count(*) FROM sale_orders WHERE sale_id = ? AND status = 'PAID'",
                UUID.fromString(saleId));
          } catch (Exception e) {
            throw new AssertionError(e);
          }
        },
        paid -> paid == UNITS,
        Duration.ofSeconds(60));

    // The sale ends; holds left expire and every authorisation that did not become a sale is
    // voided.
    Poll.until(
        () ->
            Await.result(engine.server().report(saleId))
                .getJsonObject("database")
                .getString("status"),
        "ENDED"::equals,
        Duration.ofSeconds(60));
    SimulatedPaymentGateway gateway =
        (SimulatedPaymentGateway) engine.server().services().gateway();
    Poll.until(
        () ->
            Await.result(gateway.ledger()).values().stream()
                .filter(e -> e.state() == State.AUTHORIZED)
                .count(),
        open -> open == 0,
        Duration.ofSeconds(30));

    try (Connection db = engine.server().database()) {
      Invariants.SaleFigures figures = Invariants.assertNoOversell(db, saleId);
      assertThat(figures.quantitySold()).as("I3: every unit sold and paid").isEqualTo(UNITS);
      Map<String, Integer> orders = new TreeMap<>();
      try (ResultSet rows =
          Sql.query(
              db,
              "SELECT status, count(*) FROM sale_orders WHERE sale_id = ? GROUP BY status",
              UUID.fromString(saleId))) {
        while (rows.next()) {
          orders.put(rows.getString(1), rows.getInt(2));
        }
      }
      assertThat(orders.get("PAID")).isEqualTo(UNITS);
      assertThat(orders.keySet())
          .as("every other order was cancelled or expired")
          .isSubsetOf(Set.of("PAID", "CANCELLED", "EXPIRED"));
      assertThat(orders.getOrDefault("EXPIRED", 0)).as("abandoned holds expired").isPositive();
      assertThat(orders.getOrDefault("CANCELLED", 0)).as("failed captures cancelled").isPositive();
      assertThat(
              Invariants.count(
                  db,
                  "SELECT count(*) FROM payments p JOIN sale_orders o ON o.order_id = p.order_id"
                      + " WHERE o.sale_id = ?",
                  UUID.fromString(saleId)))
          .isEqualTo(UNITS);
      assertThat(
              Invariants.count(
                  db,
                  "SELECT count(*) FROM payment_authorizations WHERE sale_id = ?"
                      + " AND status = 'AUTHORIZED'",
                  UUID.fromString(saleId)))
          .as("no authorisation left open")
          .isZero();
    }

    List<Ledger> cards =
        Await.result(gateway.ledger()).values().stream()
            .filter(entry -> entry.userId().startsWith("card-"))
            .toList();
    assertThat(cards).hasSize(BUYERS);
    assertThat(cards)
        .filteredOn(entry -> entry.state() == State.CAPTURED)
        .hasSize(UNITS)
        .allMatch(entry -> entry.captures() == 1, "captured exactly once");
    assertThat(cards)
        .filteredOn(entry -> entry.paymentMethodId().equals(SimulatedPaymentGateway.DECLINED_CARD))
        .allMatch(entry -> entry.state() == State.DECLINED);
    assertThat(cards)
        .as("every hold that did not become a sale was voided")
        .allMatch(
            entry ->
                entry.state() == State.CAPTURED
                    || entry.state() == State.VOIDED
                    || entry.state() == State.DECLINED);

    JsonObject report = Await.result(engine.server().report(saleId));
    assertThat(report.getJsonObject("invariants").getBoolean("I4"))
        .as("I4: Redis stock + sold = available")
        .isTrue();

    // I6: every buyer who joined has a final answer.
    Map<String, Integer> answers = new TreeMap<>();
    for (int i = 0; i < BUYERS; i++) {
      answers.merge(
          Await.result(engine.server().queueStatus(saleId, "card-" + i))
              .bodyAsJsonObject()
              .getString("state"),
          1,
          Integer::sum);
    }
    assertThat(answers.keySet())
        .isSubsetOf(Set.of("PAID", "CANCELLED", "EXPIRED", "DECLINED", "ENDED"));
    assertThat(answers.get("PAID")).isEqualTo(UNITS);
    assertThat(answers.get("DECLINED")).isEqualTo(BUYERS / 5);
  }

  @Test
  void aGatewayThatDoesNotKnowTheAuthorisationLeavesTheOrderHeldForARetry() throws Exception {
    String saleId =
        Await.result(
                engine
                    .server()
                    .createSale(
                        1,
                        new JsonObject()
                            .put("waitingRoom", true)
                            .put("queuePolicy", "FIFO")
                            .put("admissionRatePerSecond", 400)
                            .put("checkoutTtlSeconds", 120)))
            .getString("saleId");
    assertThat(Await.result(engine.server().join(saleId, "forgotten", 1)).statusCode())
        .isEqualTo(202);
    String orderId =
        Poll.until(
            () -> heldOrderOf(saleId, "forgotten"), id -> id != null, Duration.ofSeconds(20));
    // The engine's record now names a hold the gateway never issued: a gateway that lost or never
    // shared its ledger, as each node's private simulator did in a cluster.
    String issued = swapAuthorizationId(saleId, "forgotten", "auth_never_issued");

    HttpResponse<Buffer> unknown = Await.result(checkout(orderId, "forgotten"));

    assertThat(unknown.statusCode())
        .as("no outcome is an outage to retry, not a decline")
        .isEqualTo(503);
    assertThat(unknown.getHeader("Content-Type")).isEqualTo("application/problem+json");
    assertThat(unknown.getHeader("Retry-After")).isNotNull();
    assertThat(unknown.bodyAsJsonObject().getString("code")).isEqualTo("PAYMENT_UNAVAILABLE");
    try (Connection db = engine.server().database()) {
      assertThat(
              Invariants.count(
                  db,
                  "SELECT count(*) FROM sale_orders WHERE order_id = ? AND status = 'RESERVED'",
                  UUID.fromString(orderId)))
          .as("the order is still held")
          .isEqualTo(1);
      assertThat(Invariants.assertNoOversell(db, saleId).quantitySold())
          .as("the unit was not released")
          .isEqualTo(1);
      assertThat(
              Invariants.count(
                  db,
                  "SELECT count(*) FROM payment_authorizations WHERE sale_id = ?"
                      + " AND status = 'AUTHORIZED' AND void_requested_at IS NULL",
                  UUID.fromString(saleId)))
          .as("the card hold is not given up")
          .isEqualTo(1);
    }
    assertThat(Await.result(engine.server().services().stockGate().stock(saleId))).isZero();

    swapAuthorizationId(saleId, "forgotten", issued);
    HttpResponse<Buffer> retried = Await.result(checkout(orderId, "forgotten"));

    assertThat(retried.statusCode()).as("the buyer's retry pays").isEqualTo(200);
    assertThat(retried.bodyAsJsonObject().getString("status")).isEqualTo("PAID");
    SimulatedPaymentGateway gateway =
        (SimulatedPaymentGateway) engine.server().services().gateway();
    assertThat(Await.result(gateway.ledger()).get(issued).captures()).isEqualTo(1);
  }

  private static Future<HttpResponse<Buffer>> checkout(String orderId, String userId) {
    return engine
        .server()
        .client()
        .post("/api/orders/" + orderId + "/checkout")
        .bearerTokenAuthentication(engine.server().token(userId))
        .send();
  }

  private static String heldOrderOf(String saleId, String userId) {
    try (Connection db = engine.server().database();
        PreparedStatement query =
            db.prepareStatement(
                "SELECT order_id FROM sale_orders WHERE sale_id = ? AND user_id = ? AND status = 'RESERVED'")) {
      query.setObject(1, UUID.fromString(saleId));
      query.setString(2, userId);
      try (ResultSet rows = query.executeQuery()) {
        return rows.next() ? rows.getString(1) : null;
      }
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** Points the buyer's stored authorisation at {@code authorizationId}; returns the id it had. */
  private static String swapAuthorizationId(String saleId, String userId, String authorizationId)
      throws Exception {
    try (Connection db = engine.server().database();
        PreparedStatement update =
            db.prepareStatement(
                """
        UPDATE payment_authorizations p SET authorization_id = ?
        FROM payment_authorizations old WHERE old.sale_id = p.sale_id AND old.user_id = p.user_id
          AND p.sale_id = ? AND p.user_id = ?
        RETURNING old.authorization_id""")) {
      update.setString(1, authorizationId);
      update.setObject(2, UUID.fromString(saleId));
      update.setString(3, userId);
      try (ResultSet rows = update.executeQuery()) {
        assertThat(rows.next()).as("a stored authorisation for " + userId).isTrue();
        return rows.getString(1);
      }
    }
  }
}
