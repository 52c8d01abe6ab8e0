package io.flashsale.waitingroom;

import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.support.Await;
import io.flashsale.support.Engine;
import io.flashsale.support.Invariants;
import io.flashsale.support.LineUsers;
import io.flashsale.support.Poll;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** DELETE queue/me: out of the line at once, everyone behind moves up, the card hold is voided. */
class LeaveQueueTest {

  @RegisterExtension
  static final Engine engine = Engine.start(Map.of("FLASHSALE_CHECKOUT_SWEEP_MS", "200"));

  private static HttpResponse<Buffer> leave(String saleId, String user, String ticket) {
    return Await.result(
        engine
            .server()
            .client()
            .delete("/api/sales/" + saleId + "/queue/" + ticket)
            .bearerTokenAuthentication(engine.server().token(user))
            .send());
  }

  private static JsonObject status(String saleId, String user) {
    return Await.result(engine.server().queueStatus(saleId, user)).bodyAsJsonObject();
  }

  @Test
  void aBuyerWhoLeavesIsOutAtOnceTheLineMovesUpAndTheirHoldIsVoided() throws Exception {
    String saleId =
        Await.result(
                engine
                    .server()
                    .createSale(
                        10,
                        new JsonObject()
                            .put("waitingRoom", true)
                            .put("queuePolicy", "FIFO")
                            .put("startTime", Instant.now().plusSeconds(60).toString())))
            .getString("saleId");
    for (int i = 0; i < 5; i++) {
      assertThat(Await.result(engine.server().join(saleId, LineUsers.at("lv", i), 1)).statusCode())
          .isEqualTo(202);
    }
    List<JsonObject> live = new CopyOnWriteArrayList<>();
    WebSocket socket =
        Await.result(
            engine
                .server()
                .webSockets()
                .connect(
                    new WebSocketConnectOptions()
                        .setHost("127.0.0.1")
                        .setPort(engine.server().port())
                        .setURI(
                            "/api/sales/"
                                + saleId
                                + "/live?access_token="
                                + engine.server().token(LineUsers.at("lv", 3)))));
    socket.textMessageHandler(text -> live.add(new JsonObject(text)));
    Poll.until(() -> live.size(), n -> n > 0, Duration.ofSeconds(10));
    assertThat(live.get(0).getLong("position")).isEqualTo(4);
    try (Connection db = engine.server().database()) {
      Poll.until(
          () -> authorization(db, saleId, LineUsers.at("lv", 1)),
          "AUTHORIZED"::equals,
          Duration.ofSeconds(10));
    }

    HttpResponse<Buffer> left = leave(saleId, LineUsers.at("lv", 1), "me");
    assertThat(left.statusCode()).isEqualTo(200);
    assertThat(left.bodyAsJsonObject().getString("state")).isEqualTo("LEFT");

    assertThat(status(saleId, LineUsers.at("lv", 2)).getLong("position"))
        .as("the line moves up at once")
        .isEqualTo(2);
    assertThat(status(saleId, LineUsers.at("lv", 4)).getLong("position")).isEqualTo(4);
    assertThat(status(saleId, LineUsers.at("lv", 1)).getString("state")).isEqualTo("LEFT");
    Poll.until(
        () -> live.get(live.size() - 1).getLong("position"),
        position -> position == 3,
        Duration.ofSeconds(5));
    try (Connection db = engine.server().database()) {
      Poll.until(
          () -> authorization(db, saleId, LineUsers.at("lv", 1)),
          "VOIDED"::equals,
          Duration.ofSeconds(10));
    }
    socket.close();
  }

  @Test
  void leavingTwiceSomeoneElsesPlaceOrAPlaceNeverTakenIsRefusedAndChangesNothing() {
    String saleId =
        Await.result(
                engine
                    .server()
                    .createSale(
                        10,
                        new JsonObject()
                            .put("waitingRoom", true)
                            .put("queuePolicy", "FIFO")
                            .put("startTime", Instant.now().plusSeconds(60).toString())))
            .getString("saleId");
    String firstTicket =
        Await.result(engine.server().join(saleId, "bad-0", 1))
            .bodyAsJsonObject()
            .getString("ticketId");
    Await.result(engine.server().join(saleId, "bad-1", 1));
    assertThat(leave(saleId, "bad-1", "me").statusCode()).isEqualTo(200);

    HttpResponse<Buffer> twice = leave(saleId, "bad-1", "me");
    assertThat(twice.statusCode()).isEqualTo(409);
    assertThat(twice.getHeader("Content-Type")).startsWith("application/problem+json");
    assertThat(twice.bodyAsJsonObject().getString("detail")).contains("already left");

    HttpResponse<Buffer> notMine = leave(saleId, "bad-1", firstTicket);
    assertThat(notMine.statusCode()).as("someone else's place").isEqualTo(403);
    assertThat(leave(saleId, "bad-2", "me").statusCode()).as("never joined").isEqualTo(404);
    assertThat(leave(saleId, "bad-0", "not-a-ticket").statusCode()).isEqualTo(404);
    assertThat(leave(UUID.randomUUID().toString(), "bad-0", "me").statusCode()).isEqualTo(404);

    JsonObject owner = status(saleId, "bad-0");
    assertThat(owner.getString("state"))
        .as("the place named by someone else is untouched")
        .isEqualTo("QUEUED");
    assertThat(owner.getLong("position")).isEqualTo(1);
    HttpResponse<Buffer> rejoin = Await.result(engine.server().join(saleId, "bad-1", 1));
    assertThat(rejoin.statusCode()).isEqualTo(409);
    assertThat(rejoin.bodyAsJsonObject().getJsonObject("ticket").getString("state"))
        .isEqualTo("LEFT");

    // The owner may name their own ticket.
    assertThat(leave(saleId, "bad-0", firstTicket).bodyAsJsonObject().getString("state"))
        .isEqualTo("LEFT");
  }

  @Test
  void leavingWithAHoldReleasesItToTheNextBuyer() throws Exception {
    String saleId =
        Await.result(
                engine
                    .server()
                    .createSale(
                        1, new JsonObject().put("waitingRoom", true).put("queuePolicy", "FIFO")))
            .getString("saleId");
    Await.result(engine.server().join(saleId, LineUsers.at("hold", 0), 1));
    Await.result(engine.server().join(saleId, LineUsers.at("hold", 1), 1));
    Poll.until(
        () -> status(saleId, LineUsers.at("hold", 0)).getString("state"),
        "RESERVED"::equals,
        Duration.ofSeconds(10));

    HttpResponse<Buffer> released = leave(saleId, LineUsers.at("hold", 0), "me");
    assertThat(released.statusCode()).isEqualTo(200);
    assertThat(released.bodyAsJsonObject().getString("state")).isEqualTo("CANCELLED");
    assertThat(released.bodyAsJsonObject().getString("orderId")).isNotBlank();

    Poll.until(
        () -> status(saleId, LineUsers.at("hold", 1)).getString("state"),
        "RESERVED"::equals,
        Duration.ofSeconds(10));
    assertThat(leave(saleId, LineUsers.at("hold", 0), "me").statusCode()).isEqualTo(409);
    try (Connection db = engine.server().database()) {
      assertThat(Invariants.assertNoOversell(db, saleId).quantitySold()).isEqualTo(1);
      Poll.until(
          () -> authorization(db, saleId, LineUsers.at("hold", 0)),
          "VOIDED"::equals,
          Duration.ofSeconds(10));
    }
  }

  private static String authorization(Connection db, String saleId, String user) {
    try (var query =
        db.prepareStatement(
            "SELECT status FROM payment_authorizations WHERE sale_id = ? AND user_id = ?")) {
      query.setObject(1, UUID.fromString(saleId));
      query.setString(2, user);
      try (var row = query.executeQuery()) {
        return row.next() ? row.getString(1) : "";
      }
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
