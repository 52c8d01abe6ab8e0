package io.flashsale.audit;

import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.infra.LineKeys;
import io.flashsale.infra.SaleKeys;
import io.flashsale.inventory.InFlight;
import io.flashsale.inventory.StockGate;
import io.flashsale.support.Await;
import io.flashsale.support.Engine;
import io.flashsale.support.Invariants;
import io.flashsale.support.Poll;
import io.flashsale.support.TestRedis;
import io.flashsale.waitingroom.Ticket;
import io.flashsale.waitingroom.TicketState;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Layer 3 against the faults it exists for: a take whose database write never happened, a Redis
 * counter that drifted, and Redis losing a sale's state. Each is produced directly in Redis, the
 * way a crash or a restart would leave it, and the engine must put it right alone.
 */
class ReconciliationTest {

  @RegisterExtension
  static final Engine engine =
      Engine.start(
          Map.of(
              "FLASHSALE_AUDIT_RECONCILE_INTERVAL_MS", "300",
              "FLASHSALE_AUDIT_INFLIGHT_STALE_MS", "1000",
              "FLASHSALE_AUDIT_REDIS_CHECK_MS", "200"));

  private static Redis redis() {
    return engine.server().services().api().redis();
  }

  @Test
  void aUnitTakenByAProcessThatDiedBeforeItsDatabaseWriteComesBack() throws Exception {
    String saleId =
        Await.result(engine.server().createSale(1, new JsonObject())).getString("saleId");
    // What a crash between the Redis take and the transaction leaves behind.
    Await.result(
        engine
            .server()
            .services()
            .stockGate()
            .takeAll(
                saleId,
                1,
                List.of(
                    new StockGate.Ask(
                        "crashed-buyer", "", 1, 1, UUID.randomUUID().toString(), List.of()))));
    assertThat(
            Await.result(engine.server().purchase(saleId, "next-buyer", 1))
                .bodyAsJsonObject()
                .getString("code"))
        .isEqualTo("SOLD_OUT");

    Poll.until(
        () -> Await.result(engine.server().services().stockGate().stock(saleId)),
        stock -> stock == 1,
        Duration.ofSeconds(20));

    assertThat(Await.result(engine.server().purchase(saleId, "next-buyer", 1)).statusCode())
        .isEqualTo(201);
    assertThat(
            Await.result(engine.server().purchase(saleId, "crashed-buyer", 1))
                .bodyAsJsonObject()
                .getString("code"))
        .as("the crashed buyer's count was given back too, so the limit does not hold them")
        .isEqualTo("SOLD_OUT");
    try (Connection db = engine.server().database()) {
      assertThat(Invariants.assertNoOversell(db, saleId).quantitySold()).isEqualTo(1);
    }
  }

  @Test
  void anOrderWrittenWhoseBookkeepingWasLostIsNotReturnedTwice() throws Exception {
    String saleId =
        Await.result(engine.server().createSale(2, new JsonObject())).getString("saleId");
    String orderId =
        Await.result(engine.server().purchase(saleId, "lucky", 1))
            .bodyAsJsonObject()
            .getString("orderId");
    // The process died after the commit, before clearing its in-flight entry.
    Await.result(
        redis()
            .send(
                Request.cmd(Command.HSET)
                    .arg(new SaleKeys(saleId).inflight())
                    .arg(orderId)
                    .arg(new InFlight("lucky", 1, System.currentTimeMillis() - 60_000).encode())));

    Poll.until(
        () ->
            Await.result(
                    redis().send(Request.cmd(Command.HLEN).arg(new SaleKeys(saleId).inflight())))
                .toInteger(),
        entries -> entries == 0,
        Duration.ofSeconds(20));

    assertThat(Await.result(engine.server().services().stockGate().stock(saleId)))
        .as("the unit stays sold")
        .isEqualTo(1);
    assertThat(
            Await.result(engine.server().report(saleId))
                .getJsonObject("invariants")
                .getBoolean("I4"))
        .isTrue();
  }

  @Test
  void anInFlightTakeWhoseOrderIsWrittenCountsOnceAndIsNotRepairedAway() {
    String saleId =
        Await.result(engine.server().createSale(5, new JsonObject())).getString("saleId");
    String orderId =
        Await.result(engine.server().purchase(saleId, "steady", 1))
            .bodyAsJsonObject()
            .getString("orderId");
    // Committed, its entry not yet cleared (and not stale: it is young for the whole test).
    Await.result(
        redis()
            .send(
                Request.cmd(Command.HSET)
                    .arg(new SaleKeys(saleId).inflight())
                    .arg(orderId)
                    .arg(new InFlight("steady", 1, System.currentTimeMillis() + 60_000).encode())));
    String before = Await.result(engine.server().client().get("/metrics").send()).bodyAsString();

    // Many rounds (every 300 ms): a round counting the unit as sold and in flight sees a drift
    // of one, the same twice in a row, and would "repair" the stock to 3.
    Poll.until(
        () -> Await.result(engine.server().client().get("/metrics").send()).bodyAsString(),
        metrics -> metrics.contains("flashsale_reconciliation_drift{sale=\"" + saleId + "\"} 0.0"),
        Duration.ofSeconds(10));
    long end = System.currentTimeMillis() + 2_000;
    while (System.currentTimeMillis() < end) {
      assertThat(Await.result(engine.server().services().stockGate().stock(saleId)))
          .as("stock")
          .isEqualTo(4);
    }
    String after = Await.result(engine.server().client().get("/metrics").send()).bodyAsString();
    assertThat(repairs(after)).as("no repair").isEqualTo(repairs(before));
  }

  private static String repairs(String metrics) {
    return metrics
        .lines()
        .filter(line -> line.startsWith("flashsale_reconciliation_repairs_total"))
        .findFirst()
        .orElse("none");
  }

  @Test
  void aDriftedCounterIsRepairedFromTheDatabaseAndReported() {
    String saleId =
        Await.result(engine.server().createSale(10, new JsonObject())).getString("saleId");
    Await.result(engine.server().purchase(saleId, "first", 1));
    // Someone (or some bug) changed the counter behind the engine's back.
    Await.result(redis().send(Request.cmd(Command.SET).arg(new SaleKeys(saleId).stock()).arg(42)));

    Poll.until(
        () -> Await.result(engine.server().services().stockGate().stock(saleId)),
        stock -> stock == 9,
        Duration.ofSeconds(20));

    // The repair's count is taken when its reply arrives, which may be just after the stock moved.
    String metrics =
        Poll.until(
            () -> Await.result(engine.server().client().get("/metrics").send()).bodyAsString(),
            text ->
                Pattern.compile(
                        "flashsale_reconciliation_discrepancies_total\\{kind=\"REDIS_DRIFT_REPAIRED\"} [1-9]")
                    .matcher(text)
                    .find(),
            Duration.ofSeconds(10));
    assertThat(metrics).contains("flashsale_reconciliation_drift{sale=\"" + saleId + "\"}");
  }

  /**
   * On a sharded line a stale take is settled in two steps: its units in the sale's slot, then the
   * ticket on the buyer's shard. What a reconciler that dies between them leaves: the units
   * settled, nothing in flight, the ticket still ADMITTED, and the take in the settling hash. The
   * next pass settles the ticket, and leaves alone one admitted again since (another admission
   * time).
   */
  @Test
  void aTicketLeftAdmittedByAReconcilerThatDiedBetweenTheUnitsAndTheTicketIsSettledNext() {
    String saleId = fifoSale(3, 1, new JsonObject().put("lineShards", 3));
    // Paused: the admission step must not let ann out again once she is back in line.
    pause(saleId);
    SaleKeys keys = new SaleKeys(saleId);
    long takenAt = System.currentTimeMillis() - 60_000;
    // ann's units went back (no order written), cat's order was written; bob was let out again
    // since his take, so his ticket carries a later admission time than the record.
    admittedOnShard(keys, "ann", "ticket-ann", 1, takenAt);
    admittedOnShard(keys, "bob", "ticket-bob", 2, takenAt + 5_000);
    admittedOnShard(keys, "cat", "ticket-cat", 3, takenAt);
    for (var left :
        Map.of(
                "ticket-ann", new InFlight("ann", 0, takenAt),
                "ticket-bob", new InFlight("bob", 0, takenAt),
                "ticket-cat", new InFlight("cat", 1, takenAt))
            .entrySet()) {
      Await.result(
          redis()
              .send(
                  Request.cmd(Command.HSET)
                      .arg(keys.settling())
                      .arg(left.getKey())
                      .arg(left.getValue().encode())));
    }

    Poll.until(
        () ->
            Await.result(redis().send(Request.cmd(Command.HLEN).arg(keys.settling()))).toInteger(),
        left -> left == 0,
        Duration.ofSeconds(20));

    Ticket ann = ticketOnShard(keys, "ann");
    assertThat(ann.state()).as("back in line under their number").isEqualTo(TicketState.QUEUED);
    LineKeys annLine = keys.lineOf("ann", 3);
    assertThat(
            Await.result(redis().send(Request.cmd(Command.GETBIT).arg(annLine.line()).arg(1)))
                .toInteger())
        .isEqualTo(1);
    assertThat(ticketOnShard(keys, "cat").state()).isEqualTo(TicketState.RESERVED);
    assertThat(ticketOnShard(keys, "cat").orderId()).isEqualTo("ticket-cat");
    assertThat(ticketOnShard(keys, "bob").state())
        .as("admitted again since the record was made: not undone")
        .isEqualTo(TicketState.ADMITTED);
  }

  private static void admittedOnShard(
      SaleKeys keys, String user, String ticketId, long number, long admittedAt) {
    Ticket ticket =
        new Ticket(
            ticketId,
            number,
            1,
            TicketState.ADMITTED,
            null,
            admittedAt,
            Ticket.Payment.AUTHORIZED,
            admittedAt,
            "card-" + user);
    Await.result(
        redis()
            .send(
                Request.cmd(Command.HSET)
                    .arg(keys.lineOf(user, 3).tickets())
                    .arg(user)
                    .arg(ticket.encode())));
  }

  private static Ticket ticketOnShard(SaleKeys keys, String user) {
    return Ticket.decode(
        Await.result(
                redis()
                    .send(Request.cmd(Command.HGET).arg(keys.lineOf(user, 3).tickets()).arg(user)))
            .toString());
  }

  @Test
  void aSaleWhoseRedisStateWasLostIsRebuiltAndItsWaitingBuyersAreToldWhatHappened()
      throws Exception {
    // One admission a second: the early bird goes at once, and the two who join right after it
    // are still waiting (their cards authorised or not) when Redis loses everything.
    String saleId = fifoSale(3, 1, new JsonObject());
    Await.result(engine.server().join(saleId, "early-bird", 1));
    Poll.until(
        () ->
            Await.result(engine.server().queueStatus(saleId, "early-bird"))
                .bodyAsJsonObject()
                .getString("state"),
        "RESERVED"::equals,
        Duration.ofSeconds(20));
    Await.result(
        engine
            .server()
            .join(saleId, "waiting", 1)
            .compose(joined -> engine.server().join(saleId, "waiting-too", 1)));

    // A Redis restart without persistence: every key of the sale is gone.
    loseRedisStateAndAwaitRebuild(saleId);
    assertThat(Await.result(engine.server().services().stockGate().stock(saleId)))
        .as("stock from the database")
        .isEqualTo(2);
    assertThat(
            Await.result(engine.server().queueStatus(saleId, "early-bird"))
                .bodyAsJsonObject()
                .getString("state"))
        .as("a winner still sees their outcome")
        .isEqualTo("RESERVED");
    var lost = Await.result(engine.server().queueStatus(saleId, "waiting-too"));
    assertThat(lost.statusCode()).isEqualTo(409);
    assertThat(lost.bodyAsJsonObject().getString("detail")).contains("waiting line was lost");
    assertThat(Await.result(engine.server().join(saleId, "waiting-too", 1)).statusCode())
        .as("and may join again")
        .isEqualTo(202);
  }

  @Test
  void aPausedSaleWhoseRedisStateWasLostStaysPausedOnceRebuilt() {
    String saleId = fifoSale(5, 50, new JsonObject());
    pause(saleId);
    // Redis restarts without persistence while the sale is paused.
    loseRedisStateAndAwaitRebuild(saleId);
    SaleKeys keys = new SaleKeys(saleId);

    var paused =
        Await.result(redis().send(Request.cmd(Command.HGET).arg(keys.control()).arg("paused")));
    assertThat(paused == null ? null : paused.toString())
        .as("the operator's pause, back with the rest of the sale")
        .isEqualTo("1");
    // At 50 a second a buyer would be let in within a few ticks; paused, nobody is.
    assertThat(Await.result(engine.server().join(saleId, "after-the-loss", 1)).statusCode())
        .isEqualTo(202);
    long until = System.nanoTime() + 1_500_000_000L;
    while (System.nanoTime() < until) {
      assertThat(
              Await.result(engine.server().queueStatus(saleId, "after-the-loss"))
                  .bodyAsJsonObject()
                  .getString("state"))
          .isNotEqualTo("RESERVED");
    }
  }

  /**
   * A FIFO waiting-room sale of {@code units} letting {@code rate} a second in, plus {@code extra}.
   */
  private static String fifoSale(int units, int rate, JsonObject extra) {
    return Await.result(
            engine
                .server()
                .createSale(
                    units,
                    extra
                        .put("waitingRoom", true)
                        .put("queuePolicy", "FIFO")
                        .put("admissionRatePerSecond", rate)))
        .getString("saleId");
  }

  private static void pause(String saleId) {
    assertThat(
            Await.result(
                    engine
                        .server()
                        .client()
                        .post("/api/admin/sales/" + saleId + "/pause")
                        .bearerTokenAuthentication(engine.server().adminToken())
                        .send())
                .statusCode())
        .isEqualTo(200);
  }

  /**
   * Deletes every key of the sale (its own slot and its line's shards), as a Redis restart without
   * persistence does, and waits for the recovery check to rebuild it.
   */
  private static void loseRedisStateAndAwaitRebuild(String saleId) {
    TestRedis.forgetSale(saleId);
    String epoch = new SaleKeys(saleId).epoch();
    Poll.until(
        () -> Await.result(redis().send(Request.cmd(Command.EXISTS).arg(epoch))).toInteger(),
        present -> present == 1,
        Duration.ofSeconds(20));
  }
}
