package io.flashsale.waitingroom;

import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.events.BuyerOutcome;
import io.flashsale.infra.SaleKeys;
import io.flashsale.payment.SimulatedPaymentGateway;
import io.flashsale.support.Await;
import io.flashsale.support.Engine;
import io.flashsale.support.Invariants;
import io.flashsale.support.LineUsers;
import io.flashsale.support.Poll;
import io.flashsale.support.Sql;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Positions and outcomes over the WebSocket, waitlist recirculation, and the admission token. */
class WaitingRoomLiveTest {

  @RegisterExtension
  static final Engine engine = Engine.start(Map.of("FLASHSALE_WAITINGROOM_LIVE_PUSH_MS", "100"));

  @Test
  void aWaitingBuyerSeesTheLineMoveThenSoldOutWhileAWinnerHearsOfTheReservationAtOnce()
      throws Exception {
    Instant start = Instant.now().plusSeconds(2);
    String saleId = sale(2, 4, start);
    for (int i = 1; i <= 6; i++) {
      assertThat(
              Await.result(engine.server().join(saleId, LineUsers.nth("live", i), 1)).statusCode())
          .isEqualTo(202);
    }
    List<JsonObject> first = listen(saleId, LineUsers.nth("live", 1));
    List<JsonObject> last = listen(saleId, LineUsers.nth("live", 6));

    JsonObject reserved =
        Poll.until(
            () ->
                first.stream()
                    .filter(m -> "RESERVED".equals(m.getString("state")))
                    .findFirst()
                    .orElse(null),
            m -> m != null,
            Duration.ofSeconds(20));
    Poll.until(
        () -> last.stream().anyMatch(m -> "SOLD_OUT".equals(m.getString("state"))),
        done -> done,
        Duration.ofSeconds(20));

    assertThat(reserved.getString("type")).isEqualTo("outcome");
    assertThat(reserved.getString("orderId")).isNotBlank();
    assertThat(last.get(0).getLong("position")).as("first message: place in line").isEqualTo(6);
    assertThat(
            last.stream()
                .filter(m -> m.containsKey("position"))
                .map(m -> m.getLong("position"))
                .toList())
        .as("positions only go down")
        .isSortedAccordingTo((a, b) -> Long.compare(b, a));

    HttpResponse<Buffer> verified =
        Await.result(
            engine
                .server()
                .client()
                .post("/api/admission/verify")
                .bearerTokenAuthentication(engine.server().token(LineUsers.nth("live", 1)))
                .sendJsonObject(
                    new JsonObject().put("admissionToken", reserved.getString("admissionToken"))));
    assertThat(verified.statusCode()).isEqualTo(200);
    assertThat(verified.bodyAsJsonObject().getString("orderId"))
        .isEqualTo(reserved.getString("orderId"));
  }

  @Test
  void aUnitThatComesBackGoesToTheNextBuyerInLineWhoIsToldSo() throws Exception {
    String saleId = sale(1, 50, Instant.now().minusSeconds(1));
    for (String buyer :
        List.of(LineUsers.nth("wl", 1), LineUsers.nth("wl", 2), LineUsers.nth("wl", 3))) {
      Await.result(engine.server().join(saleId, buyer, 1));
    }
    JsonObject winner =
        Poll.until(
            () -> status(saleId, LineUsers.nth("wl", 1)),
            v -> v.getString("state").equals("RESERVED"),
            Duration.ofSeconds(20));
    Poll.until(
        () -> status(saleId, LineUsers.nth("wl", 2)),
        v -> v.getString("state").equals("SOLD_OUT"),
        Duration.ofSeconds(20));
    List<JsonObject> second = listen(saleId, LineUsers.nth("wl", 2));

    Await.result(
        engine
            .server()
            .client()
            .post("/api/orders/" + winner.getString("orderId") + "/cancel")
            .bearerTokenAuthentication(engine.server().token(LineUsers.nth("wl", 1)))
            .send());

    Poll.until(
        () -> second.stream().anyMatch(m -> "RESERVED".equals(m.getString("state"))),
        told -> told,
        Duration.ofSeconds(20));
    assertThat(status(saleId, LineUsers.nth("wl", 2)).getString("state")).isEqualTo("RESERVED");
    assertThat(status(saleId, LineUsers.nth("wl", 3)).getString("state")).isEqualTo("SOLD_OUT");
    assertThat(status(saleId, LineUsers.nth("wl", 1)).getString("state")).isEqualTo("CANCELLED");
    try (Connection db = engine.server().database()) {
      assertThat(Invariants.assertNoOversell(db, saleId).quantitySold()).isEqualTo(1);
    }
  }

  @Test
  void aSlowCardDoesNotStallTheLineAndItsOwnerIsLetOutAtTheirPlaceOnceAuthorised()
      throws Exception {
    String saleId = sale(5, 100, Instant.now().plusSeconds(1));
    for (int i = 1; i <= 6; i++) {
      String card = i == 1 ? SimulatedPaymentGateway.SLOW_CARD : "pm_card_visa";
      Await.result(
          engine
              .server()
              .client()
              .post("/api/sales/" + saleId + "/queue")
              .bearerTokenAuthentication(engine.server().token(LineUsers.nth("slow", i)))
              .sendJsonObject(new JsonObject().put("quantity", 1).put("paymentMethodId", card)));
    }

    Poll.until(
        () -> status(saleId, LineUsers.nth("slow", 5)),
        v -> v.getString("state").equals("RESERVED"),
        Duration.ofSeconds(20));
    Poll.until(
        () -> status(saleId, LineUsers.nth("slow", 1)),
        v -> v.getString("state").equals("RESERVED"),
        Duration.ofSeconds(20));
    Poll.until(
        () -> status(saleId, LineUsers.nth("slow", 6)),
        v -> v.getString("state").equals("SOLD_OUT"),
        Duration.ofSeconds(20));

    JsonObject fairness = Await.result(engine.server().report(saleId)).getJsonObject("fairness");
    assertThat(fairness.getBoolean("winnersAreHeadOfLine")).as("%s", fairness).isTrue();
    try (Connection db = engine.server().database();
        var order =
            Sql.query(
                db,
                "SELECT user_id FROM sale_orders WHERE sale_id = ? ORDER BY reserved_at, user_id",
                UUID.fromString(saleId))) {
      List<String> reservedInOrder = new ArrayList<>();
      while (order.next()) {
        reservedInOrder.add(order.getString(1));
      }
      assertThat(reservedInOrder)
          .as("the line went on past the slow card")
          .startsWith(LineUsers.nth("slow", 2))
          .endsWith(LineUsers.nth("slow", 1));
    }
  }

  @Test
  void aSocketWithoutAValidTokenIsRefusedBeforeTheUpgrade() {
    String saleId = sale(1, 10, Instant.now());
    for (String token :
        new String[] {"", "forged.token.value", engine.server().token("x") + "tampered"}) {
      var refused =
          engine
              .server()
              .webSockets()
              .connect(
                  new WebSocketConnectOptions()
                      .setHost("127.0.0.1")
                      .setPort(engine.server().port())
                      .setURI("/api/sales/" + saleId + "/live?access_token=" + token));
      Await.result(refused.transform(done -> Future.succeededFuture()));
      assertThat(refused.failed()).isTrue();
      assertThat(refused.cause().getMessage()).contains("401");
    }
  }

  @Test
  void aBuyerInALineThatDoesNotMoveStillHearsFromItEverySecondOrSo() {
    // Nothing changes before the start: every push after the first is a heartbeat from the sweep.
    String saleId = sale(5, 1, Instant.now().plusSeconds(120));
    for (String user : List.of(LineUsers.nth("still", 1), LineUsers.nth("still", 2))) {
      assertThat(Await.result(engine.server().join(saleId, user, 1)).statusCode()).isEqualTo(202);
    }
    List<JsonObject> heard = listen(saleId, LineUsers.nth("still", 2));
    int first = heard.size();

    // The promise is one push a second; four seconds must bring at least two, however busy the
    // machine (a feed that forgot the connection brings none).
    Poll.until(() -> heard.size(), n -> n >= first + 2, Duration.ofSeconds(4));
    assertThat(heard.get(heard.size() - 1).getLong("position")).isEqualTo(2);
  }

  @Test
  void aSocketWhoseFirstReadFailsStaysOpenAndHearsItsPlaceOnceTheStoreAnswersAgain()
      throws Exception {
    String saleId = sale(5, 1, Instant.now().minusSeconds(1));
    Await.result(engine.server().join(saleId, "patient", 1));
    Redis redis = engine.server().services().api().redis();
    String tickets = new SaleKeys(saleId).lineOf("patient", LineUsers.shards()).tickets();
    // The tickets under another name and a string in their place: every read of the buyer's
    // ticket fails in Redis (a store error, not a verdict on the buyer).
    Await.result(redis.send(Request.cmd(Command.RENAME).arg(tickets).arg(tickets + "-aside")));
    Await.result(redis.send(Request.cmd(Command.SET).arg(tickets).arg("not a hash")));

    List<JsonObject> messages = new CopyOnWriteArrayList<>();
    AtomicReference<Short> closedWith = new AtomicReference<>();
    WebSocket socket = connect(saleId, "patient");
    socket.textMessageHandler(text -> messages.add(new JsonObject(text)));
    socket.closeHandler(closed -> closedWith.set(socket.closeStatusCode()));
    Thread.sleep(2_000);
    assertThat(closedWith.get()).as("kept open while the store fails").isNull();
    assertThat(messages).isEmpty();

    Await.result(redis.send(Request.cmd(Command.DEL).arg(tickets)));
    Await.result(redis.send(Request.cmd(Command.RENAME).arg(tickets + "-aside").arg(tickets)));
    Poll.until(() -> messages.size(), n -> n > 0, Duration.ofSeconds(10));
    // Their own state, read at last: still waiting, or already let out (the line moves at 1/s).
    assertThat(messages.get(0).getString("state")).isIn("QUEUED", "ADMITTED", "RESERVED");
    assertThat(messages.get(0).getLong("queueNumber")).isEqualTo(1L);
    assertThat(closedWith.get()).isNull();
    socket.close();
  }

  @Test
  void aSocketOfABuyerWhoNeverJoinedIsClosedWith4404() {
    String saleId = sale(5, 1, Instant.now().minusSeconds(1));
    AtomicReference<Short> closedWith = new AtomicReference<>();
    WebSocket socket = connect(saleId, "stranger");
    try {
      socket.closeHandler(closed -> closedWith.set(socket.closeStatusCode()));
    } catch (IllegalStateException closedAlready) {
      closedWith.set(socket.closeStatusCode());
    }
    Poll.until(closedWith::get, code -> code != null, Duration.ofSeconds(10));
    assertThat(closedWith.get()).isEqualTo((short) 4404);
  }

  @Test
  void anAdmissionIsAnnouncedOnlyOnceTheBuyersTicketSaysIt() throws Exception {
    // A live feed that hears an outcome reads the buyer's ticket and pushes what it says; a node
    // with no pulse of its own pushes nothing more. So every RESERVED announced must already be
    // in the ticket when a listener reads it at once.
    Instant start = Instant.now().plusSeconds(1);
    String saleId = sale(12, 200, start);
    int shards = LineUsers.shards();
    List<String> readAtOnce = new CopyOnWriteArrayList<>();
    MessageConsumer<BuyerOutcome> listener =
        engine
            .vertx()
            .eventBus()
            .consumer(
                BuyerOutcome.ADDRESS,
                message -> {
                  BuyerOutcome heard = message.body();
                  if (!heard.saleId().equals(saleId) || heard.state() != TicketState.RESERVED) {
                    return;
                  }
                  String tickets = new SaleKeys(saleId).lineOf(heard.userId(), shards).tickets();
                  engine
                      .server()
                      .services()
                      .stores()
                      .redis()
                      .send(Request.cmd(Command.HGET).arg(tickets).arg(heard.userId()))
                      .onSuccess(
                          ticket ->
                              readAtOnce.add(Ticket.decode(ticket.toString()).state().name()));
                });
    Await.result(listener.completion());
    try {
      for (int i = 1; i <= 12; i++) {
        assertThat(
                Await.result(engine.server().join(saleId, LineUsers.nth("told", i), 1))
                    .statusCode())
            .isEqualTo(202);
      }
      Poll.until(readAtOnce::size, n -> n == 12, Duration.ofSeconds(20));
      assertThat(readAtOnce)
          .as("the ticket as a listener read it on hearing")
          .containsOnly("RESERVED");
    } finally {
      Await.result(listener.unregister());
    }
  }

  private static String sale(int units, int rate, Instant start) {
    return Await.result(
            engine
                .server()
                .createSale(
                    units,
                    new JsonObject()
                        .put("waitingRoom", true)
                        .put("queuePolicy", "FIFO")
                        .put("admissionRatePerSecond", rate)
                        .put("startTime", start.toString())))
        .getString("saleId");
  }

  private static JsonObject status(String saleId, String user) {
    return Await.result(engine.server().queueStatus(saleId, user)).bodyAsJsonObject();
  }

  /** {@code user}'s live socket on the sale. */
  private static WebSocket connect(String saleId, String user) {
    return Await.result(
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
                            + engine.server().token(user))));
  }

  private static List<JsonObject> listen(String saleId, String user) {
    List<JsonObject> messages = new CopyOnWriteArrayList<>();
    WebSocket socket = connect(saleId, user);
    socket.textMessageHandler(text -> messages.add(new JsonObject(text)));
    Poll.until(() -> messages.size(), n -> n > 0, Duration.ofSeconds(10));
    return messages;
  }
}
