package io.flashsale.inventory;

import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.support.Await;
import io.flashsale.support.Engine;
import io.flashsale.support.Invariants;
import io.flashsale.support.Invariants.SaleFigures;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Real concurrent HTTP purchases against one server; the verdict comes from PostgreSQL and Redis.
 */
class DirectPurchaseConcurrencyTest {

  @RegisterExtension static final Engine engine = Engine.start();

  @Test
  void sellsExactlyTheStockToFiveThousandConcurrentBuyers() throws Exception {
    String saleId =
        Await.result(engine.server().createSale(500, new JsonObject())).getString("saleId");
    List<String> attempts = new ArrayList<>();
    for (int i = 0; i < 5_000; i++) {
      attempts.add("buyer-" + i);
    }
    // Some buyers press the button again, at the same time as everyone else.
    for (int i = 0; i < 5_000; i += 7) {
      attempts.add("buyer-" + i);
    }
    Collections.shuffle(attempts, new Random(42));

    Map<String, Integer> replies = fire(saleId, attempts, user -> 1);

    assertThat(replies).containsEntry("201", 500);
    assertThat(replies.keySet())
        .as("every other reply is a 409 with the right code")
        .allMatch(
            outcome ->
                outcome.equals("201")
                    || outcome.equals("409 SOLD_OUT")
                    || outcome.equals("409 ALREADY_PURCHASED"));
    assertThat(replies.values().stream().mapToInt(Integer::intValue).sum())
        .isEqualTo(attempts.size());
    try (Connection db = engine.server().database()) {
      SaleFigures figures = Invariants.assertNoOversell(db, saleId);
      assertThat(figures.quantitySold()).isEqualTo(500);
      assertThat(figures.status()).isEqualTo("SOLD_OUT");
      assertThat(
              Invariants.count(
                  db,
                  "SELECT count(*) FROM sale_orders WHERE sale_id = ? AND status = 'RESERVED'",
                  UUID.fromString(saleId)))
          .isEqualTo(500);
    }
    assertThat(Await.result(engine.server().services().stockGate().stock(saleId)))
        .as("Redis stock")
        .isZero();
  }

  @Test
  void respectsALimitOfTwoWhenBuyersAskForOneOrTwoUnits() throws Exception {
    String saleId =
        Await.result(engine.server().createSale(500, new JsonObject().put("perUserLimit", 2)))
            .getString("saleId");
    Random random = new Random(7);
    List<String> attempts = new ArrayList<>();
    Map<String, Integer> asks = new TreeMap<>();
    for (int i = 0; i < 3_000; i++) {
      String user = "pair-buyer-" + i;
      attempts.add(user);
      asks.put(user, 1 + random.nextInt(2));
    }
    // A tenth of the buyers come back for more while the burst is still going.
    for (int i = 0; i < 3_000; i += 10) {
      attempts.add("pair-buyer-" + i);
    }
    Collections.shuffle(attempts, random);

    Map<String, Integer> replies = fire(saleId, attempts, asks::get);

    assertThat(replies.keySet())
        .allMatch(
            outcome ->
                outcome.equals("201")
                    || outcome.equals("409 SOLD_OUT")
                    || outcome.equals("409 ALREADY_PURCHASED")
                    || outcome.equals("409 LIMIT_EXCEEDED"));
    try (Connection db = engine.server().database()) {
      SaleFigures figures = Invariants.assertNoOversell(db, saleId);
      assertThat(figures.quantitySold()).as("every unit sold, none twice").isEqualTo(500);
      assertThat(figures.maxPerUser()).isLessThanOrEqualTo(2);
    }
    assertThat(Await.result(engine.server().services().stockGate().stock(saleId)))
        .as("Redis stock")
        .isZero();
  }

  @Test
  void concurrentPurchasesShareBatchesOfOneRedisCallAndOneTransaction() throws Exception {
    String saleId =
        Await.result(engine.server().createSale(1_000, new JsonObject())).getString("saleId");
    double batchesBefore = engine.server().metric("flashsale_reservation_batch_count");
    List<String> attempts = new ArrayList<>();
    for (int i = 0; i < 600; i++) {
      attempts.add("batched-buyer-" + i);
    }

    Map<String, Integer> replies = fire(saleId, attempts, user -> 1);

    assertThat(replies).isEqualTo(Map.of("201", 600));
    double batches = engine.server().metric("flashsale_reservation_batch_count") - batchesBefore;
    assertThat(batches)
        .as("600 purchases fired at once went in fewer batches than purchases")
        .isLessThan(600);
    assertThat(engine.server().metric("flashsale_reservation_batch_max"))
        .as("the largest batch")
        .isGreaterThan(1);
    try (Connection db = engine.server().database()) {
      assertThat(Invariants.assertNoOversell(db, saleId).quantitySold()).isEqualTo(600);
    }
    assertThat(Await.result(engine.server().services().stockGate().stock(saleId))).isEqualTo(400);
  }

  @Test
  void aBatchTheDatabaseRefusesIsSettledBuyerByBuyerWithoutOverselling() throws Exception {
    String saleId =
        Await.result(engine.server().createSale(20, new JsonObject())).getString("saleId");
    // Drift, as a lost write or a bad repair would leave it: Redis believes in 60 units, the
    // database in 20. The database's guard must decide.
    Await.result(
        engine
            .server()
            .services()
            .api()
            .redis()
            .send(Request.cmd(Command.SET).arg("sale:{" + saleId + "}:stock").arg(60)));
    List<String> attempts = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      attempts.add("drift-buyer-" + i);
    }

    Map<String, Integer> replies = fire(saleId, attempts, user -> 1);

    assertThat(replies).isEqualTo(Map.of("201", 20, "409 SOLD_OUT", 40));
    try (Connection db = engine.server().database()) {
      SaleFigures figures = Invariants.assertNoOversell(db, saleId);
      assertThat(figures.quantitySold()).isEqualTo(20);
    }
    assertThat(
            Await.result(
                    engine
                        .server()
                        .services()
                        .api()
                        .redis()
                        .send(Request.cmd(Command.HLEN).arg("sale:{" + saleId + "}:inflight")))
                .toInteger())
        .as("every refused take was given back")
        .isZero();
    assertThat(Await.result(engine.server().services().stockGate().stock(saleId)))
        .as(
            "the refused units went back to Redis (40), unless reconciliation already repaired the drift (0)")
        .isIn(0, 40);
  }

  /** Fires all attempts at once and tallies the replies as "status CODE". */
  private static Map<String, Integer> fire(
      String saleId, List<String> users, Function<String, Integer> quantityOf) {
    List<Future<HttpResponse<Buffer>>> inFlight = new ArrayList<>(users.size());
    for (String user : users) {
      inFlight.add(engine.server().purchase(saleId, user, quantityOf.apply(user)));
    }
    Await.result(Future.join(inFlight), Duration.ofMinutes(3));
    Map<String, Integer> tally = new TreeMap<>();
    for (Future<HttpResponse<Buffer>> reply : inFlight) {
      assertThat(reply.succeeded()).as("request completed: %s", reply.cause()).isTrue();
      HttpResponse<Buffer> response = reply.result();
      String outcome =
          response.statusCode() == 201
              ? "201"
              : response.statusCode() + " " + response.bodyAsJsonObject().getString("code");
      tally.merge(outcome, 1, Integer::sum);
    }
    return tally;
  }
}
