package io.flashsale.waitingroom;

import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.support.Await;
import io.flashsale.support.Engine;
import io.flashsale.support.Invariants;
import io.flashsale.support.LineUsers;
import io.flashsale.support.Poll;
import io.flashsale.support.Sql;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.io.IOException;
import java.io.StringReader;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.apache.commons.csv.CSVFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Presence-aware admission on a FIFO sale of 100 units and 1,000 queued buyers, 30% of whom go
 * silent after joining (a tenth of those come back within the grace period). The verdict comes from
 * PostgreSQL and from each buyer's own answer.
 */
class PresenceTest {

  private static final int UNITS = 100;
  private static final int BUYERS = 1_000;

  @RegisterExtension
  static final Engine engine =
      Engine.start(
          Map.of(
              "FLASHSALE_WAITINGROOM_PRESENCE_WINDOW_SECONDS", "3",
              "FLASHSALE_WAITINGROOM_PRESENCE_GRACE_SECONDS", "5",
              "FLASHSALE_CHECKOUT_SWEEP_MS", "200",
              "FLASHSALE_LIFECYCLE_TICK_MS", "200"));

  private static boolean silent(int buyer) {
    return buyer % 10 == 3 || buyer % 10 == 6 || buyer % 10 == 9;
  }

  /** Silent, then back one second after the start: well within the grace period. */
  private static boolean returns(int buyer) {
    return buyer % 10 == 3 && buyer < 300;
  }

  @Test
  void unitsGoToPresentBuyersReturnersKeepTheirOrderAndDroppedBuyersHoldsAreVoided()
      throws Exception {
    Instant start = Instant.now().plusSeconds(5);
    String saleId =
        Await.result(
                engine
                    .server()
                    .createSale(
                        UNITS,
                        new JsonObject()
                            .put("waitingRoom", true)
                            .put("queuePolicy", "FIFO")
                            .put("admissionRatePerSecond", 20)
                            .put("checkoutTtlSeconds", 120)
                            .put("startTime", start.toString())
                            .put("endTime", start.plusSeconds(120).toString())))
            .getString("saleId");

    List<Future<HttpResponse<Buffer>>> joins = new ArrayList<>();
    for (int i = 0; i < BUYERS; i++) {
      joins.add(engine.server().join(saleId, "pr-" + i, 1));
    }
    Await.result(Future.all(joins));
    // Each buyer's place in the line's order (on a sharded line, shards take turns).
    Map<String, JsonObject> tickets = new HashMap<>();
    for (int i = 0; i < BUYERS; i++) {
      HttpResponse<Buffer> joined = joins.get(i).result();
      assertThat(joined.statusCode()).isEqualTo(202);
      tickets.put("pr-" + i, joined.bodyAsJsonObject().put("userId", "pr-" + i));
    }
    Map<String, Long> numbers = new HashMap<>();
    List<JsonObject> line = LineUsers.inLine(tickets.values());
    for (int place = 0; place < line.size(); place++) {
      numbers.put(line.get(place).getString("userId"), (long) place + 1);
    }

    // Present buyers keep polling while they wait; returners start again one second after T-0.
    Map<String, String> states = new ConcurrentHashMap<>();
    Instant returnAt = start.plusSeconds(1);
    long poller =
        engine
            .vertx()
            .setPeriodic(
                500,
                tick -> {
                  boolean returned = Instant.now().isAfter(returnAt);
                  for (int i = 0; i < BUYERS; i++) {
                    String buyer = "pr-" + i;
                    String state = states.getOrDefault(buyer, "QUEUED");
                    if ((!silent(i) || (returns(i) && returned))
                        && (state.equals("QUEUED") || state.equals("SOLD_OUT"))) {
                      engine
                          .server()
                          .queueStatus(saleId, buyer)
                          .onSuccess(
                              reply -> {
                                if (reply.statusCode() == 200) {
                                  states.put(buyer, reply.bodyAsJsonObject().getString("state"));
                                }
                              });
                    }
                  }
                });
    try {
      Poll.until(() -> soldAndHeld(saleId), sold -> sold == UNITS, Duration.ofSeconds(40));
    } finally {
      engine.vertx().cancelTimer(poller);
    }

    Set<String> eligible = new HashSet<>();
    for (int i = 0; i < BUYERS; i++) {
      if (!silent(i) || returns(i)) {
        eligible.add("pr-" + i);
      }
    }
    List<String> expectedWinners =
        eligible.stream().sorted(Comparator.comparing(numbers::get)).limit(UNITS).toList();
    Set<String> holders = holders(saleId);
    assertThat(holders)
        .as("no unit is held by a buyer who was away at their turn")
        .isSubsetOf(eligible);
    assertThat(holders)
        .as("the units went to the first present buyers in queue order, returners in their place")
        .containsExactlyInAnyOrderElementsOf(expectedWinners);
    assertThat(
            holders.stream().filter(buyer -> returns(Integer.parseInt(buyer.substring(3)))).count())
        .as("returners within the grace period won their units")
        .isPositive();

    // Silent buyers passed over are dropped once their grace runs out. Asking a buyer's own
    // status would count as their presence, so the operator's export is what is read here.
    long lastWinner = expectedWinners.stream().mapToLong(numbers::get).max().orElseThrow();
    Set<String> skippedSilent =
        numbers.keySet().stream()
            .filter(buyer -> !eligible.contains(buyer) && numbers.get(buyer) < lastWinner)
            .collect(Collectors.toSet());
    Set<String> dropped =
        Poll.until(
            () -> dropped(saleId),
            now -> now.size() >= skippedSilent.size(),
            Duration.ofSeconds(20));
    assertThat(dropped)
        .as("every silent buyer passed over is dropped, nobody else")
        .isEqualTo(skippedSilent);
    assertThat(
            Await.result(engine.server().queueStatus(saleId, dropped.iterator().next()))
                .bodyAsJsonObject()
                .getString("state"))
        .as("a dropped buyer who comes back is told")
        .isEqualTo("DROPPED");

    try (Connection db = engine.server().database()) {
      Poll.until(
          () -> openAuthorizations(db, saleId, dropped), open -> open == 0, Duration.ofSeconds(20));
      assertThat(Invariants.assertNoOversell(db, saleId).quantitySold()).as("I3").isEqualTo(UNITS);
    }
    JsonObject report = Await.result(engine.server().report(saleId));
    assertThat(report.getJsonObject("invariants").getBoolean("I4"))
        .as("I4: Redis stock + sold = available")
        .isTrue();
    String metrics = Await.result(engine.server().client().get("/metrics").send()).bodyAsString();
    assertThat(metrics)
        .contains("flashsale_admissions_skipped_total{reason=\"ABSENT\"}")
        .contains("flashsale_queue_dropped_total")
        .contains("flashsale_queue_away{sale=\"" + saleId + "\"}");

    // I6: the operator ends the sale; every buyer who joined has a final answer.
    HttpResponse<Buffer> ended =
        Await.result(
            engine
                .server()
                .client()
                .post("/api/admin/sales/" + saleId + "/end")
                .bearerTokenAuthentication(engine.server().adminToken())
                .send());
    assertThat(ended.statusCode()).isEqualTo(200);
    Map<String, Integer> finals =
        Poll.until(
            () -> tally(answers(saleId)),
            tally ->
                !tally.containsKey("QUEUED")
                    && !tally.containsKey("SOLD_OUT")
                    && !tally.containsKey("RESERVED"),
            Duration.ofSeconds(20));
    assertThat(finals.keySet()).isSubsetOf(Set.of("EXPIRED", "ENDED", "DROPPED"));
    assertThat(finals.get("EXPIRED")).as("unpaid holds expired with the sale").isEqualTo(UNITS);
    try (Connection db = engine.server().database()) {
      Poll.until(
          () -> openAuthorizations(db, saleId, Set.copyOf(numbers.keySet())),
          open -> open == 0,
          Duration.ofSeconds(20));
      Invariants.assertNoOversell(db, saleId);
    }
  }

  private static Set<String> dropped(String saleId) {
    String csv =
        Await.result(
                engine
                    .server()
                    .client()
                    .get("/api/admin/sales/" + saleId + "/export/queue.csv")
                    .bearerTokenAuthentication(engine.server().adminToken())
                    .send())
            .bodyAsString();
    try {
      return CSVFormat.RFC4180
          .builder()
          .setHeader()
          .setSkipHeaderRecord(true)
          .get()
          .parse(new StringReader(csv))
          .stream()
          .filter(row -> row.get("state").equals("DROPPED"))
          .map(row -> row.get("user_id"))
          .collect(Collectors.toSet());
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private static int soldAndHeld(String saleId) {
    try (Connection db = engine.server().database()) {
      return Invariants.figures(db, saleId).heldOrPaid();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static Set<String> holders(String saleId) throws Exception {
    Set<String> holders = new HashSet<>();
    try (Connection db = engine.server().database();
        ResultSet rows =
            Sql.query(
                db,
                "SELECT user_id FROM sale_orders WHERE sale_id = ?"
                    + " AND status IN ('RESERVED', 'PAID')",
                UUID.fromString(saleId))) {
      while (rows.next()) {
        holders.add(rows.getString(1));
      }
    }
    return holders;
  }

  private static Map<String, String> answers(String saleId) {
    List<Future<HttpResponse<Buffer>>> replies = new ArrayList<>();
    for (int i = 0; i < BUYERS; i++) {
      replies.add(engine.server().queueStatus(saleId, "pr-" + i));
    }
    Await.result(Future.all(replies));
    Map<String, String> answers = new HashMap<>();
    for (int i = 0; i < BUYERS; i++) {
      answers.put("pr-" + i, replies.get(i).result().bodyAsJsonObject().getString("state"));
    }
    return answers;
  }

  private static Map<String, Integer> tally(Map<String, String> answers) {
    Map<String, Integer> tally = new TreeMap<>();
    answers.values().forEach(state -> tally.merge(state, 1, Integer::sum));
    return tally;
  }

  private static int openAuthorizations(Connection db, String saleId, Set<String> users) {
    try {
      return Invariants.count(
          db,
          "SELECT count(*) FROM payment_authorizations WHERE sale_id = ? AND status = 'AUTHORIZED'"
              + " AND user_id = ANY(?)",
          UUID.fromString(saleId),
          db.createArrayOf("text", users.toArray()));
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
