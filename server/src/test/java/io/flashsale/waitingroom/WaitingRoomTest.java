package io.flashsale.waitingroom;

import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.support.Await;
import io.flashsale.support.Engine;
import io.flashsale.support.Invariants;
import io.flashsale.support.LineUsers;
import io.flashsale.support.Poll;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The waiting room end to end over HTTP; verdicts from PostgreSQL and Redis. */
class WaitingRoomTest {

  @RegisterExtension
  static final Engine engine = Engine.start(Map.of("FLASHSALE_WAITINGROOM_SHUFFLE_SEED", "11"));

  @Test
  void twentyThousandConcurrentJoinsForTwoHundredUnitsAdmitExactlyTheHeadOfTheLine()
      throws Exception {
    String saleId =
        Await.result(
                engine
                    .server()
                    .createSale(
                        200,
                        new JsonObject()
                            .put("waitingRoom", true)
                            .put("queuePolicy", "FIFO")
                            .put("admissionRatePerSecond", 2_000)))
            .getString("saleId");
    int buyers = 20_000;
    double batchesBefore = engine.server().metric("flashsale_queue_join_batch_count");

    List<Future<HttpResponse<Buffer>>> joins = new ArrayList<>(buyers);
    for (int i = 0; i < buyers; i++) {
      joins.add(engine.server().join(saleId, "q-" + i, 1));
    }
    Await.result(Future.join(joins), Duration.ofMinutes(3));

    List<JsonObject> tickets = new ArrayList<>(buyers);
    Map<String, Integer> statuses = new TreeMap<>();
    for (Future<HttpResponse<Buffer>> join : joins) {
      assertThat(join.succeeded()).as("join answered: %s", join.cause()).isTrue();
      statuses.merge(Integer.toString(join.result().statusCode()), 1, Integer::sum);
      JsonObject ticket = join.result().bodyAsJsonObject();
      assertThat(ticket.getLong("position")).isPositive();
      tickets.add(ticket);
    }
    assertThat(statuses).isEqualTo(Map.of("202", buyers));
    assertThat(LineUsers.assertDenselyNumbered(tickets).values().stream().mapToInt(i -> i).sum())
        .as("every buyer has a place of their own, none skipped")
        .isEqualTo(buyers);
    // Coalesced: joins that reached an event loop together went to Redis in one script call.
    assertThat(engine.server().metric("flashsale_queue_join_batch_count") - batchesBefore)
        .as("join script calls")
        .isLessThan(buyers);
    assertThat(engine.server().metric("flashsale_queue_join_batch_max"))
        .as("the largest batch")
        .isGreaterThan(1);

    JsonObject report =
        Poll.until(
            () -> Await.result(engine.server().report(saleId)),
            r ->
                r.getJsonObject("database").getInteger("quantitySold") == 200
                    && r.getJsonObject("fairness").getInteger("winners") == 200,
            Duration.ofSeconds(60));
    assertThat(report.getJsonObject("fairness").getBoolean("winnersAreHeadOfLine"))
        .as("winners are exactly queue numbers 1..200: %s", report.getJsonObject("fairness"))
        .isTrue();
    assertThat(report.getJsonObject("redis").getLong("stock")).isZero();
    assertThat(report.getJsonObject("invariants"))
        .isEqualTo(
            new JsonObject().put("I1", true).put("I2", true).put("I3", true).put("I4", true));
    try (Connection db = engine.server().database()) {
      assertThat(Invariants.assertNoOversell(db, saleId).quantitySold()).isEqualTo(200);
    }

    Set<String> winners = new HashSet<>();
    report.getJsonArray("winners").forEach(w -> winners.add(((JsonObject) w).getString("userId")));
    List<Future<HttpResponse<Buffer>>> answers = new ArrayList<>(buyers);
    for (int i = 0; i < buyers; i++) {
      answers.add(engine.server().queueStatus(saleId, "q-" + i));
    }
    Await.result(Future.join(answers), Duration.ofMinutes(3));
    Map<String, Integer> states = new TreeMap<>();
    for (int i = 0; i < buyers; i++) {
      JsonObject view = answers.get(i).result().bodyAsJsonObject();
      String expected = winners.contains("q-" + i) ? "RESERVED" : "SOLD_OUT";
      assertThat(view.getString("state")).as("q-%d", i).isEqualTo(expected);
      states.merge(view.getString("state"), 1, Integer::sum);
    }
    assertThat(states).isEqualTo(Map.of("RESERVED", 200, "SOLD_OUT", buyers - 200));
  }

  @Test
  void aBuyerJoiningTwiceAtOnceGetsOnePlace() {
    String saleId =
        Await.result(
                engine
                    .server()
                    .createSale(
                        10,
                        new JsonObject()
                            .put("waitingRoom", true)
                            .put("queuePolicy", "FIFO")
                            .put("admissionRatePerSecond", 1)))
            .getString("saleId");
    List<Future<HttpResponse<Buffer>>> joins = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      // Both joins of a buyer are sent back to back: most share a batch.
      joins.add(engine.server().join(saleId, "twice-" + i, 1));
      joins.add(engine.server().join(saleId, "twice-" + i, 1));
    }
    Await.result(Future.join(joins), Duration.ofMinutes(1));

    Map<String, Integer> statuses = new TreeMap<>();
    List<JsonObject> tickets = new ArrayList<>();
    for (int i = 0; i < joins.size(); i += 2) {
      List<HttpResponse<Buffer>> pair = List.of(joins.get(i).result(), joins.get(i + 1).result());
      pair.forEach(reply -> statuses.merge(Integer.toString(reply.statusCode()), 1, Integer::sum));
      assertThat(pair)
          .extracting(HttpResponse::statusCode)
          .as("twice-%d", i / 2)
          .containsExactlyInAnyOrder(202, 409);
      HttpResponse<Buffer> second = pair.get(0).statusCode() == 409 ? pair.get(0) : pair.get(1);
      HttpResponse<Buffer> first = pair.get(0).statusCode() == 202 ? pair.get(0) : pair.get(1);
      assertThat(second.bodyAsString())
          .as("the refusal carries the ticket already held")
          .contains(first.bodyAsJsonObject().getString("ticketId"));
      tickets.add(first.bodyAsJsonObject());
    }
    assertThat(statuses).isEqualTo(Map.of("202", 200, "409", 200));
    assertThat(LineUsers.assertDenselyNumbered(tickets).values().stream().mapToInt(i -> i).sum())
        .as("one number per buyer, none skipped")
        .isEqualTo(200);
  }

  @Test
  void theDirectPurchasePathIsClosedForAQueuedSale() {
    String saleId =
        Await.result(engine.server().createSale(5, new JsonObject().put("waitingRoom", true)))
            .getString("saleId");

    HttpResponse<Buffer> direct = Await.result(engine.server().purchase(saleId, "skipper", 1));

    assertThat(direct.statusCode()).isEqualTo(409);
    assertThat(direct.bodyAsJsonObject().getString("code")).isEqualTo("QUEUE_REQUIRED");
  }

  @Test
  void earlyJoinersAreShuffledAtTheStartAheadOfEveryoneLater() {
    // Room for 300 joins one after another on a loaded 2-core machine (3 s was once too short).
    Instant start = Instant.now().plusSeconds(8);
    String saleId =
        Await.result(
                engine
                    .server()
                    .createSale(
                        1_000,
                        new JsonObject()
                            .put("waitingRoom", true)
                            .put("queuePolicy", "RANDOMIZED_PREQUEUE")
                            .put("admissionRatePerSecond", 1)
                            .put("startTime", start.toString())))
            .getString("saleId");
    int early = 300;
    List<String> joinOrder = new ArrayList<>();
    for (int i = 0; i < early; i++) {
      HttpResponse<Buffer> join = Await.result(engine.server().join(saleId, "early-" + i, 1));
      assertThat(join.statusCode()).isEqualTo(202);
      assertThat(join.bodyAsJsonObject().getBoolean("prequeue")).isTrue();
      joinOrder.add("early-" + i);
    }
    assertThat(Instant.now()).as("the pre-queue filled before T-0").isBefore(start);

    Poll.until(
        () ->
            Await.result(engine.server().report(saleId)).getJsonObject("redis").getLong("prequeue"),
        left -> left == 0,
        Duration.ofSeconds(20));
    HttpResponse<Buffer> late = Await.result(engine.server().join(saleId, "late", 1));

    List<JsonObject> views = new ArrayList<>();
    for (String buyer : joinOrder) {
      views.add(Await.result(engine.server().queueStatus(saleId, buyer)).bodyAsJsonObject());
    }
    Map<Integer, Integer> perShard = LineUsers.assertDenselyNumbered(views);
    assertThat(perShard.values().stream().mapToInt(i -> i).sum())
        .as("the early joiners hold the first 300 places")
        .isEqualTo(early);
    JsonObject lateTicket = late.bodyAsJsonObject();
    List<JsonObject> withLate = new ArrayList<>(views);
    withLate.add(lateTicket);
    assertThat(LineUsers.inLine(saleId, withLate, perShard).get(early))
        .as("behind every early joiner, of every shard")
        .isSameAs(lateTicket);
    List<JsonObject> line = LineUsers.inLine(saleId, views, perShard);
    long keptTheirArrivalPlace =
        IntStream.range(0, early).filter(i -> line.get(i) == views.get(i)).count();
    assertThat(keptTheirArrivalPlace).as("arrival order does not decide").isLessThan(10);
  }
}
