package io.flashsale.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.payment.SimulatedPaymentGateway;
import io.flashsale.payment.SimulatedPaymentGateway.Ledger;
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
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An ended sale is closed at once, on every instance, whatever the sweeps have done yet: the
 * hold-expiry and void sweeps are slowed right down here, so only the checkout's own guard can
 * refuse. Two instances share one Redis and one PostgreSQL; the gateway answers after 200 ms so
 * that checkouts can be caught mid-capture.
 */
class EndedSaleTest {

  private static final int HOLDERS = 20;

  @RegisterExtension
  static final Engine engine =
      Engine.start(
              Map.of(
                  "FLASHSALE_CHECKOUT_SWEEP_MS", "600000",
                  "FLASHSALE_LIFECYCLE_TICK_MS", "200",
                  "FLASHSALE_PAYMENT_SIMULATED_LATENCY_MS", "200"))
          .withSecondNode();

  @Test
  void afterAnEarlyEndNoHolderCanPayOnEitherInstance() throws Exception {
    String saleId =
        Await.result(
                engine
                    .server()
                    .createSale(
                        HOLDERS,
                        new JsonObject()
                            .put("waitingRoom", true)
                            .put("queuePolicy", "FIFO")
                            .put("admissionRatePerSecond", 500)))
            .getString("saleId");
    List<String> buyers = buyers(saleId);
    Await.result(
        Future.all(
            buyers.stream().map(buyer -> instanceFor(buyer).join(saleId, buyer, 1)).toList()));
    Map<String, String> orders =
        Poll.until(
            () -> ordersIn(saleId, "RESERVED"),
            held -> held.size() == HOLDERS,
            Duration.ofSeconds(30));

    assertThat(end(engine.server(), saleId).statusCode()).isEqualTo(200);
    // Each instance has a simulated gateway of its own: a buyer pays through the one holding their
    // card.
    List<HttpResponse<Buffer>> answers =
        Await.result(checkOutAll(orders, EndedSaleTest::authorisedOn));
    List<HttpResponse<Buffer>> elsewhere =
        Await.result(
            checkOutAll(
                orders,
                buyer ->
                    authorisedOn(buyer) == engine.server()
                        ? engine.secondNode()
                        : engine.server()));

    assertThat(answers)
        .extracting(EndedSaleTest::describe)
        .hasSize(HOLDERS)
        .containsOnly("409 SALE_NOT_ACTIVE");
    assertThat(elsewhere)
        .extracting(EndedSaleTest::describe)
        .hasSize(HOLDERS)
        .containsOnly("409 SALE_NOT_ACTIVE");
    assertNothingPaidOrCaptured(saleId, buyers);
  }

  @Test
  void checkoutClosesTheMomentTheEndTimePasses() throws Exception {
    String saleId =
        Await.result(
                engine
                    .server()
                    .createSale(
                        HOLDERS,
                        new JsonObject()
                            // Seconds ahead: enough for a cold instance on a busy machine to take
                            // twenty purchases.
                            .put("endTime", Instant.now().plusSeconds(15).toString())))
            .getString("saleId");
    List<String> buyers = buyers(saleId);
    List<HttpResponse<Buffer>> purchases =
        Await.result(
            Future.all(
                    buyers.stream()
                        .map(buyer -> instanceFor(buyer).purchase(saleId, buyer, 1))
                        .toList())
                .map(all -> all.list()));
    assertThat(purchases).extracting(EndedSaleTest::describe).containsOnly("201");
    Map<String, String> orders = ordersIn(saleId, "RESERVED");
    assertThat(orders).hasSize(HOLDERS);

    // By the database's clock, which the guard reads; the sale row itself may still say ACTIVE.
    Poll.until(
        () ->
            query(
                    saleId,
                    "SELECT clock_timestamp() >= end_time FROM flash_sales WHERE sale_id = ?",
                    row -> row.getBoolean(1))
                .get(0),
        Boolean::booleanValue,
        Duration.ofSeconds(30));
    List<HttpResponse<Buffer>> answers = Await.result(checkOutAll(orders));

    assertThat(answers)
        .extracting(EndedSaleTest::describe)
        .hasSize(HOLDERS)
        .containsOnly("409 SALE_NOT_ACTIVE");
    assertNothingPaidOrCaptured(saleId, buyers);
  }

  @Test
  void anEarlyEndWaitsForCheckoutsMidCaptureAndNoneIsPaidAfterIt() throws Exception {
    String saleId =
        Await.result(engine.server().createSale(HOLDERS, new JsonObject())).getString("saleId");
    List<String> buyers = buyers(saleId);
    Await.result(
        Future.all(
            buyers.stream().map(buyer -> instanceFor(buyer).purchase(saleId, buyer, 1)).toList()));
    Map<String, String> orders = ordersIn(saleId, "RESERVED");
    assertThat(orders).hasSize(HOLDERS);

    Map<String, String> early = new LinkedHashMap<>();
    Map<String, String> late = new LinkedHashMap<>();
    orders.forEach(
        (orderId, buyer) -> (early.size() < HOLDERS / 2 ? early : late).put(orderId, buyer));
    Future<List<HttpResponse<Buffer>>> inFlight = checkOutAll(early);
    // A card authorised means its checkout is past the guard and now waits 200 ms for the capture.
    Poll.until(
        () -> ledger(buyers).stream().filter(entry -> entry.state() == State.AUTHORIZED).count(),
        authorised -> authorised > 0,
        Duration.ofSeconds(10));
    assertThat(end(engine.secondNode(), saleId).statusCode()).isEqualTo(200);
    int paidWhenEnded = ordersIn(saleId, "PAID").size();
    List<HttpResponse<Buffer>> answers = Await.result(inFlight);
    List<HttpResponse<Buffer>> afterTheEnd = Await.result(checkOutAll(late));

    assertThat(paidWhenEnded)
        .as("the checkouts caught mid-capture finished before the end")
        .isPositive();
    assertThat(ordersIn(saleId, "PAID"))
        .as("nothing is paid after the end answered")
        .hasSize(paidWhenEnded);
    assertThat(answers)
        .extracting(EndedSaleTest::describe)
        .filteredOn("200"::equals)
        .hasSize(paidWhenEnded);
    assertThat(answers)
        .extracting(EndedSaleTest::describe)
        .isSubsetOf("200", "409 SALE_NOT_ACTIVE");
    assertThat(afterTheEnd)
        .extracting(EndedSaleTest::describe)
        .hasSize(HOLDERS / 2)
        .containsOnly("409 SALE_NOT_ACTIVE");
    assertThat(ledger(buyers))
        .filteredOn(entry -> entry.captures() > 0)
        .as("a capture for every PAID order and no other")
        .hasSize(paidWhenEnded);
    assertThat(
            query(
                saleId,
                "SELECT count(*) FROM sale_orders o WHERE o.sale_id = ? AND o.status = 'PAID'"
                    + " AND o.paid_at > (SELECT end_time FROM flash_sales s WHERE s.sale_id = o.sale_id)",
                row -> row.getInt(1)))
        .as("no order paid after the end time")
        .containsExactly(0);
    try (Connection db = engine.server().database()) {
      Invariants.assertNoOversell(db, saleId);
    }
  }

  @Test
  void buyersAdmittedAsTheSaleEndsAreToldItEndedNotRefused() throws Exception {
    String saleId =
        Await.result(
                engine
                    .server()
                    .createSale(
                        5,
                        new JsonObject()
                            .put("waitingRoom", true)
                            .put("queuePolicy", "FIFO")
                            .put("admissionRatePerSecond", 500)))
            .getString("saleId");
    List<String> buyers = buyers(saleId).subList(0, 5);
    try (Connection blocker = engine.server().database()) {
      // Holds this step's reservation transaction at its first statement (the per-buyer guard
      // waits on these uncommitted rows) so the end lands between admission and reservation.
      blocker.setAutoCommit(false);
      try (PreparedStatement hold =
          blocker.prepareStatement(
              "INSERT INTO user_sale_eligibility (user_id, sale_id, quantity_purchased) VALUES (?, ?, 0)")) {
        for (String buyer : buyers) {
          hold.setString(1, buyer);
          hold.setObject(2, UUID.fromString(saleId));
          hold.executeUpdate();
        }
      }
      Await.result(
          Future.all(
              buyers.stream().map(buyer -> instanceFor(buyer).join(saleId, buyer, 1)).toList()));
      // Each instance's ticker waits for its step, so one or two buyers are let out, the rest wait.
      Map<String, String> admitted =
          Poll.until(
              () -> states(saleId, buyers),
              states -> states.containsValue("ADMITTED"),
              Duration.ofSeconds(30));
      assertThat(end(engine.server(), saleId).statusCode()).isEqualTo(200);
      blocker.rollback();
      assertThat(admitted.values()).doesNotContain("REFUSED", "RESERVED");
    }

    Map<String, String> answered =
        Poll.until(
            () -> states(saleId, buyers),
            states -> !states.containsValue("ADMITTED"),
            Duration.ofSeconds(30));
    assertThat(answered.values())
        .as("every buyer, admitted or waiting, is told the sale ended")
        .containsOnly("ENDED");
    assertThat(ordersIn(saleId, "RESERVED")).isEmpty();
    try (Connection db = engine.server().database()) {
      Invariants.assertNoOversell(db, saleId);
    }
    JsonObject report =
        Poll.until(
            () -> Await.result(engine.server().report(saleId)),
            r -> r.getJsonObject("invariants").getBoolean("I4"),
            Duration.ofSeconds(10));
    assertThat(report.getJsonObject("invariants").getBoolean("I4"))
        .as("the units went back to Redis")
        .isTrue();
  }

  /** The status, and the problem code if there is one: readable when an assertion fails. */
  private static String describe(HttpResponse<Buffer> answer) {
    boolean problem =
        String.valueOf(answer.getHeader("Content-Type")).startsWith("application/problem+json");
    return answer.statusCode() + (problem ? " " + answer.bodyAsJsonObject().getString("code") : "");
  }

  private static List<String> buyers(String saleId) {
    return Stream.iterate(0, i -> i + 1)
        .limit(HOLDERS)
        .map(i -> saleId.substring(0, 8) + "-" + i)
        .toList();
  }

  /** Buyers alternate between the instances, so both serve joins, purchases and checkouts. */
  private static TestServer instanceFor(String buyer) {
    return Integer.parseInt(buyer.substring(buyer.lastIndexOf('-') + 1)) % 2 == 0
        ? engine.server()
        : engine.secondNode();
  }

  /** The instance whose gateway pre-authorised the buyer's card. */
  private static TestServer authorisedOn(String buyer) {
    return Stream.of(engine.server(), engine.secondNode())
        .filter(
            server ->
                Await.result(((SimulatedPaymentGateway) server.services().gateway()).ledger())
                    .values()
                    .stream()
                    .anyMatch(entry -> entry.userId().equals(buyer)))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no card authorised for " + buyer));
  }

  private static HttpResponse<Buffer> end(TestServer via, String saleId) {
    return Await.result(
        via.client()
            .post("/api/admin/sales/" + saleId + "/end")
            .bearerTokenAuthentication(via.adminToken())
            .send());
  }

  private static Future<List<HttpResponse<Buffer>>> checkOutAll(Map<String, String> orders) {
    return checkOutAll(orders, EndedSaleTest::instanceFor);
  }

  /** Every holder checks out at once; {@code orders} maps order id to buyer. */
  private static Future<List<HttpResponse<Buffer>>> checkOutAll(
      Map<String, String> orders, Function<String, TestServer> via) {
    List<Future<HttpResponse<Buffer>>> checkouts = new ArrayList<>();
    orders.forEach(
        (orderId, buyer) ->
            checkouts.add(
                via.apply(buyer)
                    .client()
                    .post("/api/orders/" + orderId + "/checkout")
                    .bearerTokenAuthentication(engine.server().token(buyer))
                    .send()));
    return Future.all(checkouts).map(all -> all.list());
  }

  private static void assertNothingPaidOrCaptured(String saleId, List<String> buyers)
      throws SQLException {
    assertThat(ordersIn(saleId, "PAID")).as("no order paid").isEmpty();
    assertThat(
            query(
                saleId,
                "SELECT count(*) FROM payments p JOIN sale_orders o ON o.order_id = p.order_id"
                    + " WHERE o.sale_id = ?",
                row -> row.getInt(1)))
        .as("no payment recorded")
        .containsExactly(0);
    assertThat(ledger(buyers))
        .as("no card captured on either instance's gateway")
        .noneMatch(entry -> entry.captures() > 0 || entry.state() == State.CAPTURED);
    try (Connection db = engine.server().database()) {
      Invariants.assertNoOversell(db, saleId);
    }
  }

  /**
   * The simulated gateway's ledger (one, in the database both instances share), for these buyers.
   */
  private static List<Ledger> ledger(List<String> buyers) {
    return Await.result(((SimulatedPaymentGateway) engine.server().services().gateway()).ledger())
        .values()
        .stream()
        .filter(entry -> buyers.contains(entry.userId()))
        .toList();
  }

  private static Map<String, String> states(String saleId, List<String> buyers) {
    Map<String, String> states = new LinkedHashMap<>();
    for (String buyer : buyers) {
      states.put(
          buyer,
          Await.result(instanceFor(buyer).queueStatus(saleId, buyer))
              .bodyAsJsonObject()
              .getString("state"));
    }
    return states;
  }

  /** Order id to buyer, for the sale's orders in {@code status}. */
  private static Map<String, String> ordersIn(String saleId, String status) {
    Map<String, String> orders = new LinkedHashMap<>();
    query(
        saleId,
        "SELECT order_id, user_id FROM sale_orders WHERE sale_id = ? AND status = ?",
        row -> orders.put(row.getString(1), row.getString(2)),
        status);
    return orders;
  }

  private interface RowReader<T> {
    T read(ResultSet row) throws SQLException;
  }

  /** {@code sql}'s first parameter is the sale, {@code more} the ones after it. */
  private static <T> List<T> query(String saleId, String sql, RowReader<T> reader, Object... more) {
    try (Connection db = engine.server().database();
        PreparedStatement query = db.prepareStatement(sql)) {
      query.setObject(1, UUID.fromString(saleId));
      for (int i = 0; i < more.length; i++) {
        query.setObject(i + 2, more[i]);
      }
      List<T> values = new ArrayList<>();
      try (ResultSet rows = query.executeQuery()) {
        while (rows.next()) {
          values.add(reader.read(rows));
        }
      }
      return values;
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
  }
}
