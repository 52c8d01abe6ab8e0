package io.flashsale.infra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.flashsale.support.Await;
import io.flashsale.support.Invariants;
import io.flashsale.support.Invariants.SaleFigures;
import io.flashsale.support.LocalRedisCluster;
import io.flashsale.support.Poll;
import io.flashsale.support.Sql;
import io.flashsale.support.TestServer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.redis.client.Redis;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The engine on a real three-master Redis Cluster ({@code redis.mode=cluster}, three seed URLs):
 * every script call must land on the master of its sale's slot with all its keys in that slot, and
 * different sales live on different masters. The verdicts come from PostgreSQL and from each master
 * read directly, not from what the API answered.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RedisClusterTest {

  private static LocalRedisCluster cluster;
  private static Vertx vertx;
  private static TestServer server;

  @BeforeAll
  static void start() throws Exception {
    assumeTrue(
        LocalRedisCluster.available(),
        "Redis Cluster tests need "
            + LocalRedisCluster.SERVER
            + " and "
            + LocalRedisCluster.CLI
            + "; not found, skipped");
    cluster = LocalRedisCluster.start(3);
    vertx = Vertx.vertx();
    server =
        Await.result(
            TestServer.start(
                vertx,
                Map.of(
                    "FLASHSALE_REDIS_MODE", "cluster",
                    "FLASHSALE_REDIS_URL", cluster.seedUrls(),
                    "FLASHSALE_LIFECYCLE_TICK_MS", "200",
                    "FLASHSALE_CHECKOUT_SWEEP_MS", "200",
                    // Rate limits on, never reached (every buyer comes from 127.0.0.1): every
                    // join and purchase is counted, on the cluster, where its sale's line is.
                    "FLASHSALE_ANTIBOT_RATE_USER_PER_SECOND", "100000",
                    "FLASHSALE_ANTIBOT_RATE_USER_BURST", "100000",
                    "FLASHSALE_ANTIBOT_RATE_IP_PER_SECOND", "100000",
                    "FLASHSALE_ANTIBOT_RATE_IP_BURST", "100000")));
  }

  @AfterAll
  static void stop() {
    try {
      if (server != null) {
        Await.result(server.stop().eventually(vertx::close));
      } else if (vertx != null) {
        Await.result(vertx.close());
      }
    } finally {
      if (cluster != null) {
        cluster.close();
      }
    }
  }

  @Test
  @Order(1)
  void sellsExactlyTheStockToFiveThousandConcurrentBuyersOnARedisCluster() throws Exception {
    String saleId = Await.result(server.createSale(500, new JsonObject())).getString("saleId");
    List<String> attempts = new ArrayList<>();
    for (int i = 0; i < 5_000; i++) {
      attempts.add("cluster-buyer-" + i);
    }
    for (int i = 0; i < 5_000; i += 7) {
      attempts.add("cluster-buyer-" + i);
    }
    Collections.shuffle(attempts, new Random(42));

    List<Future<HttpResponse<Buffer>>> inFlight = new ArrayList<>(attempts.size());
    for (String user : attempts) {
      inFlight.add(server.purchase(saleId, user, 1));
    }
    Await.result(Future.join(inFlight), Duration.ofMinutes(2));
    Map<String, Integer> replies = new TreeMap<>();
    for (Future<HttpResponse<Buffer>> reply : inFlight) {
      assertThat(reply.succeeded()).as("request completed: %s", reply.cause()).isTrue();
      HttpResponse<Buffer> response = reply.result();
      replies.merge(
          response.statusCode() == 201
              ? "201"
              : response.statusCode() + " " + response.bodyAsJsonObject().getString("code"),
          1,
          Integer::sum);
    }

    assertThat(replies).containsEntry("201", 500);
    assertThat(replies.keySet())
        .as("every other reply is a 409 with the right code: %s", replies)
        .allMatch(
            outcome ->
                outcome.equals("201")
                    || outcome.equals("409 SOLD_OUT")
                    || outcome.equals("409 ALREADY_PURCHASED"));
    try (Connection db = server.database()) {
      SaleFigures figures = Invariants.assertNoOversell(db, saleId);
      assertThat(figures.quantitySold()).isEqualTo(500);
      assertThat(figures.status()).isEqualTo("SOLD_OUT");
    }
    // Read straight from the master that owns the sale's slot, without following redirects: the
    // state is where Redis Cluster says it is, and the gate left nothing in flight.
    SaleKeys keys = new SaleKeys(saleId);
    int node = cluster.nodeOf(keys.stock());
    assertThat(cluster.command(node, "GET", keys.stock()))
        .as("Redis stock on its master")
        .isEqualTo("0");
    assertThat(cluster.command(node, "HLEN", keys.buyers()))
        .as("one buyer entry per unit")
        .isEqualTo("500");
    assertThat(cluster.command(node, "HLEN", keys.inflight()))
        .as("every take confirmed")
        .isEqualTo("0");
    assertThat(Await.result(server.services().stockGate().stock(saleId)))
        .as("Redis stock via the client")
        .isZero();
    assertOnlyExpectedRedisErrors();
  }

  @Test
  @Order(2)
  void queuedSalesOnEveryMasterSellOutThroughCheckout() throws Exception {
    // Sale ids are random UUIDs, so their slots are too: create sales until each master owns one.
    // Sales starting shortly let the first buyers into the pre-queue, so its shuffle runs as well.
    Instant start = Instant.now().plusSeconds(4);
    Map<Integer, String> saleOnMaster = new LinkedHashMap<>();
    int created = 0;
    while (saleOnMaster.size() < cluster.ports().size() && created < 60) {
      String saleId =
          Await.result(
                  server.createSale(
                      UNITS,
                      new JsonObject()
                          .put("waitingRoom", true)
                          .put("admissionRatePerSecond", 500)
                          .put("startTime", start.toString())))
              .getString("saleId");
      created++;
      saleOnMaster.putIfAbsent(cluster.nodeOf(new SaleKeys(saleId).stock()), saleId);
    }
    assertThat(saleOnMaster.keySet())
        .as("after %d sales, every master owns one", created)
        .containsExactlyInAnyOrderElementsOf(cluster.ports());
    for (Map.Entry<Integer, String> sale : saleOnMaster.entrySet()) {
      SaleKeys keys = new SaleKeys(sale.getValue());
      for (String key :
          List.of(
              keys.stock(),
              keys.line(0, 1).line(),
              keys.line(0, 1).roster(),
              keys.line(0, 1).waiting(),
              keys.line(0, 1).tickets(),
              keys.line(0, 1).sequence(),
              keys.bucket(),
              keys.inflight(),
              keys.line(0, 1).presence(),
              keys.line(0, 1).claimedTo(),
              keys.line(0, 1).preauthQueue())) {
        assertThat(cluster.nodeOf(key))
            .as("%s shares its sale's slot", key)
            .isEqualTo(sale.getKey());
      }
    }

    // Every buyer of the three sales joins at once.
    List<Future<HttpResponse<Buffer>>> joins = new ArrayList<>();
    for (String saleId : saleOnMaster.values()) {
      for (int i = 0; i < BUYERS; i++) {
        joins.add(
            server
                .client()
                .post("/api/sales/" + saleId + "/queue")
                .bearerTokenAuthentication(server.token(buyer(saleId, i)))
                .sendJsonObject(
                    new JsonObject().put("quantity", 1).put("paymentMethodId", "pm_card_visa")));
      }
    }
    Await.result(Future.join(joins), Duration.ofMinutes(2));
    assertThat(joins)
        .allMatch(
            join -> join.succeeded() && join.result().statusCode() == 202,
            "every join answered 202");
    // A one-slot line's join script counted the joins' rate limits in the sale's own slot.
    for (Map.Entry<Integer, String> sale : saleOnMaster.entrySet()) {
      String counters =
          cluster.command(
              sale.getKey(), "--scan", "--pattern", "sale:{" + sale.getValue() + "}:rate-limits:*");
      assertThat(counters)
          .as("the rate-limit strings of %s on its master", sale.getValue())
          .contains(":rate-limits:user:")
          .contains(":rate-limits:ip:");
    }

    // Winners check out as soon as they hold a reservation, until every unit of every sale is paid.
    Set<String> attempted = new HashSet<>();
    for (String saleId : saleOnMaster.values()) {
      Poll.until(
          () -> checkOutHolds(saleId, attempted), paid -> paid == UNITS, Duration.ofSeconds(40));
    }

    for (Map.Entry<Integer, String> sale : saleOnMaster.entrySet()) {
      String saleId = sale.getValue();
      int node = sale.getKey();
      SaleKeys keys = new SaleKeys(saleId);
      try (Connection db = server.database()) {
        SaleFigures figures = Invariants.assertNoOversell(db, saleId);
        assertThat(figures.quantitySold()).as("I3 for %s", saleId).isEqualTo(UNITS);
        assertThat(figures.status()).isEqualTo("SOLD_OUT");
        assertThat(
                Invariants.count(
                    db,
                    "SELECT count(*) FROM sale_orders WHERE sale_id = ? AND status = 'PAID'",
                    UUID.fromString(saleId)))
            .isEqualTo(UNITS);
      }
      // Each script's effect, read from the master that owns the sale (no redirects followed):
      // join_queue numbered every buyer, seal_prequeue emptied the pre-queue, admit moved the
      // cursor and took the stock, the pre-authorisation scripts recorded the cards.
      assertThat(cluster.command(node, "HLEN", keys.line(0, 1).tickets()))
          .as("tickets")
          .isEqualTo(Integer.toString(BUYERS));
      assertThat(cluster.command(node, "GET", keys.line(0, 1).sequence()))
          .as("queue numbers")
          .isEqualTo(Integer.toString(BUYERS));
      assertThat(cluster.command(node, "SCARD", keys.line(0, 1).prequeue()))
          .as("pre-queue drained")
          .isEqualTo("0");
      assertThat(cluster.command(node, "GET", keys.stock())).as("Redis stock").isEqualTo("0");
      assertThat(Long.parseLong(cluster.command(node, "GET", keys.line(0, 1).cursor())))
          .as("admission cursor")
          .isGreaterThanOrEqualTo(UNITS);
      assertThat(
              Long.parseLong(
                  cluster.command(
                      node,
                      "EVAL",
                      "local n = 0 for _, t in ipairs(redis.call('HVALS', KEYS[1])) do"
                          + " if string.find(t, '|Y|', 1, true) then n = n + 1 end end return n",
                      "1",
                      keys.line(0, 1).tickets())))
          .as("pre-authorisations recorded")
          .isGreaterThanOrEqualTo(UNITS);
      assertThat(cluster.command(node, "HLEN", keys.inflight()))
          .as("nothing left in flight")
          .isEqualTo("0");

      JsonObject report = Await.result(server.report(saleId));
      assertThat(report.getJsonObject("invariants"))
          .as("report of %s", saleId)
          .isEqualTo(
              new JsonObject().put("I1", true).put("I2", true).put("I3", true).put("I4", true));
      assertThat(report.getJsonObject("fairness").getBoolean("winnersAreHeadOfLine")).isTrue();

      // queue_status.lua: winners are PAID, everyone else is told sold out (and kept waitlisted).
      List<Future<HttpResponse<Buffer>>> answers = new ArrayList<>();
      for (int i = 0; i < BUYERS; i++) {
        answers.add(server.queueStatus(saleId, buyer(saleId, i)));
      }
      Await.result(Future.join(answers), Duration.ofMinutes(1));
      Map<String, Integer> states = new TreeMap<>();
      answers.forEach(
          a -> states.merge(a.result().bodyAsJsonObject().getString("state"), 1, Integer::sum));
      assertThat(states)
          .as("final answers of %s", saleId)
          .isEqualTo(Map.of("PAID", UNITS, "SOLD_OUT", BUYERS - UNITS));
    }

    // Script calls reached all three masters, and none failed for a cluster reason.
    Map<Integer, Long> scriptCalls = new HashMap<>();
    for (int port : cluster.ports()) {
      scriptCalls.put(port, commandCalls(port, "evalsha") + commandCalls(port, "eval"));
    }
    assertThat(scriptCalls)
        .as("script calls per master")
        .allSatisfy((port, calls) -> assertThat(calls).isPositive());
    assertOnlyExpectedRedisErrors();
  }

  @Test
  @Order(3)
  void aScriptRunsOnTheMasterOfItsKeysWhicheverNodeItWasLoadedOn() {
    // SCRIPT LOAD has no key, so a cluster client sends it to any one master; the call must still
    // work on the other two, whose script caches are empty (as after a restart or a failover).
    Map<Integer, SaleKeys> saleOnMaster = new LinkedHashMap<>();
    while (saleOnMaster.size() < cluster.ports().size()) {
      SaleKeys keys = new SaleKeys(UUID.randomUUID().toString());
      saleOnMaster.putIfAbsent(cluster.nodeOf(keys.stock()), keys);
    }
    Redis redis = Redis.createClient(vertx, Stores.redisOptions(cluster.seedUrls(), "cluster", 4));
    try {
      LuaScript pulse = LuaScript.fromResource("sale_pulse");
      for (int round = 0; round < 5; round++) {
        for (int port : cluster.ports()) {
          assertThat(cluster.command(port, "SCRIPT", "FLUSH")).isEqualTo("OK");
        }
        Await.result(pulse.load(redis));
        for (SaleKeys keys : saleOnMaster.values()) {
          ScriptReply reply =
              ScriptReply.of(
                  Await.result(
                      pulse.run(
                          redis,
                          List.of(
                              keys.line(0, 1).cursor(),
                              keys.stock(),
                              keys.line(0, 1).sealed(),
                              keys.line(0, 1).departures(),
                              keys.line(0, 1).sequence()),
                          List.of("0", "10"))));
          assertThat(reply.string()).isEqualTo("OK");
          assertThat(reply.number()).as("nobody admitted in a sale that does not exist").isZero();
          assertThat(reply.number())
              .as("no stock loaded for a sale that does not exist")
              .isEqualTo(-1);
        }
      }
    } finally {
      redis.close();
    }
  }

  /** Last: it wipes one master, and the sales of the tests before it that live there with it. */
  @Test
  @Order(4)
  void aMasterThatLostItsDataAndScriptsHasItsSalesRebuiltAndSellsExactlyTheRest() throws Exception {
    // Two open sales on two different masters, so the recovery check has to ask both.
    Map<Integer, String> saleOnMaster = new LinkedHashMap<>();
    for (int created = 0; saleOnMaster.size() < 2 && created < 40; created++) {
      String saleId = Await.result(server.createSale(50, new JsonObject())).getString("saleId");
      saleOnMaster.putIfAbsent(cluster.nodeOf(new SaleKeys(saleId).stock()), saleId);
    }
    assertThat(saleOnMaster).hasSize(2);
    List<Integer> masters = new ArrayList<>(saleOnMaster.keySet());
    int wiped = masters.get(0);
    String saleId = saleOnMaster.get(wiped);
    String otherSaleId = saleOnMaster.get(masters.get(1));
    SaleKeys keys = new SaleKeys(saleId);
    SaleKeys otherKeys = new SaleKeys(otherSaleId);
    String otherEpoch = cluster.command(masters.get(1), "GET", otherKeys.epoch());

    for (int i = 0; i < 20; i++) {
      assertThat(Await.result(server.purchase(saleId, "early-" + i, 1)).statusCode())
          .isEqualTo(201);
    }
    // What a master restarted without persistence looks like: no keys and no cached scripts.
    assertThat(cluster.command(wiped, "FLUSHALL")).isEqualTo("OK");
    assertThat(cluster.command(wiped, "SCRIPT", "FLUSH")).isEqualTo("OK");

    Poll.until(
        () -> cluster.command(wiped, "EXISTS", keys.epoch()), "1"::equals, Duration.ofSeconds(20));
    assertThat(cluster.command(wiped, "GET", keys.stock()))
        .as("stock rebuilt from PostgreSQL")
        .isEqualTo("30");
    assertThat(cluster.command(wiped, "HLEN", keys.buyers())).as("buyers rebuilt").isEqualTo("20");
    assertThat(cluster.command(masters.get(1), "GET", otherKeys.epoch()))
        .as("the sale on the other master was not rebuilt")
        .isEqualTo(otherEpoch);

    // The early buyers try again among 200 new ones: the rebuilt buyer list still refuses them.
    List<String> attempts = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      attempts.add("early-" + i);
    }
    for (int i = 0; i < 200; i++) {
      attempts.add("late-" + i);
    }
    Collections.shuffle(attempts, new Random(3));
    Map<String, Integer> replies = new TreeMap<>();
    List<Future<HttpResponse<Buffer>>> inFlight = new ArrayList<>();
    attempts.forEach(user -> inFlight.add(server.purchase(saleId, user, 1)));
    Await.result(Future.join(inFlight), Duration.ofMinutes(1));
    for (int i = 0; i < attempts.size(); i++) {
      HttpResponse<Buffer> response = inFlight.get(i).result();
      String who = attempts.get(i).startsWith("early-") ? "early " : "late ";
      replies.merge(
          who
              + (response.statusCode() == 201
                  ? "201"
                  : response.statusCode() + " " + response.bodyAsJsonObject().getString("code")),
          1,
          Integer::sum);
    }
    assertThat(replies)
        .as("replies")
        .isEqualTo(
            Map.of("early 409 ALREADY_PURCHASED", 20, "late 201", 30, "late 409 SOLD_OUT", 170));
    try (Connection db = server.database()) {
      assertThat(Invariants.assertNoOversell(db, saleId).quantitySold()).isEqualTo(50);
    }
    assertThat(cluster.command(wiped, "GET", keys.stock())).isEqualTo("0");
    assertOnlyExpectedRedisErrors();
  }

  /**
   * One sale whose line is spread over three shards, one per master: joins land on all three, the
   * admission step merges them and sells exactly the stock within the stated fairness bound, and
   * losing the master of one shard loses only that shard's waiting buyers (told so; they may join
   * again), while the sale goes on and never sells a unit twice.
   */
  @Test
  @Order(5)
  void aSaleWhoseLineSpansEveryMasterSellsExactlyItsStockAndSurvivesAShardsMasterLosingItsData()
      throws Exception {
    int shards = 3;
    String saleId = null;
    List<LineKeys> lines = List.of();
    for (int created = 0; created < 60 && saleId == null; created++) {
      String candidate =
          Await.result(
                  server.createSale(
                      40,
                      new JsonObject()
                          .put("waitingRoom", true)
                          .put("queuePolicy", "FIFO")
                          .put("lineShards", shards)
                          .put("admissionRatePerSecond", 400)
                          .put("startTime", Instant.now().plusSeconds(5).toString())))
              .getString("saleId");
      List<LineKeys> candidateLines = new SaleKeys(candidate).lines(shards);
      Set<Integer> masters = new HashSet<>();
      candidateLines.forEach(line -> masters.add(cluster.nodeOf(line.tickets())));
      if (masters.size() == shards) {
        saleId = candidate;
        lines = candidateLines;
      }
    }
    assertThat(saleId).as("a sale whose three shards sit on three masters").isNotNull();
    String sale = saleId;

    List<Future<HttpResponse<Buffer>>> joins = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      joins.add(server.join(sale, "spread-" + i, 1));
    }
    Await.result(Future.join(joins), Duration.ofMinutes(1));
    joins.forEach(join -> assertThat(join.result().statusCode()).isEqualTo(202));
    long tickets = 0;
    for (LineKeys line : lines) {
      long held =
          Long.parseLong(cluster.command(cluster.nodeOf(line.tickets()), "HLEN", line.tickets()));
      assertThat(held).as("shard %d holds buyers", line.shard()).isPositive();
      tickets += held;
    }
    assertThat(tickets).isEqualTo(300);

    JsonObject report =
        Poll.until(
            () -> Await.result(server.report(sale)),
            r -> r.getJsonObject("database").getInteger("quantitySold") == 40,
            Duration.ofSeconds(60));
    assertThat(report.getJsonObject("fairness").getBoolean("winnersAreHeadOfLine")).isTrue();
    // The fairness bound, read from each master: no buyer still waiting holds a lower number on
    // their shard than any winner on theirs.
    long highestWinner = 0;
    long lowestWaiting = Long.MAX_VALUE;
    for (LineKeys line : lines) {
      int node = cluster.nodeOf(line.tickets());
      for (int i = 0; i < 300; i++) {
        String user = "spread-" + i;
        if (LineKeys.shardOf(user, shards) != line.shard()) {
          continue;
        }
        String[] ticket = cluster.command(node, "HGET", line.tickets(), user).split("\\|");
        long number = Long.parseLong(ticket[1]);
        if (ticket[3].equals("QUEUED")) {
          lowestWaiting = Math.min(lowestWaiting, number);
        } else {
          highestWinner = Math.max(highestWinner, number);
        }
      }
    }
    assertThat(highestWinner).isLessThanOrEqualTo(lowestWaiting);

    // The master of one shard restarts empty: that shard alone is rebuilt.
    LineKeys lost = lines.get(1);
    int wiped = cluster.nodeOf(lost.tickets());
    assertThat(cluster.command(wiped, "FLUSHALL")).isEqualTo("OK");
    assertThat(cluster.command(wiped, "SCRIPT", "FLUSH")).isEqualTo("OK");
    Poll.until(
        () -> cluster.command(wiped, "EXISTS", lost.epoch()), "1"::equals, Duration.ofSeconds(20));
    String waitingThere =
        IntStream.range(0, 300)
            .mapToObj(i -> "spread-" + i)
            .filter(user -> LineKeys.shardOf(user, shards) == lost.shard())
            .filter(user -> Await.result(server.queueStatus(sale, user)).statusCode() == 409)
            .findFirst()
            .orElseThrow();
    HttpResponse<Buffer> told = Await.result(server.queueStatus(sale, waitingThere));
    assertThat(told.bodyAsJsonObject().getString("detail")).contains("waiting line was lost");
    assertThat(Await.result(server.join(sale, waitingThere, 1)).statusCode())
        .as("and may join again")
        .isEqualTo(202);

    // A winner cancels: the unit goes back and is sold again, once.
    String winner = report.getJsonArray("winners").getJsonObject(0).getString("userId");
    String orderId =
        Await.result(server.queueStatus(sale, winner)).bodyAsJsonObject().getString("orderId");
    HttpResponse<Buffer> cancelled =
        Await.result(
            server
                .client()
                .post("/api/orders/" + orderId + "/cancel")
                .bearerTokenAuthentication(server.token(winner))
                .send());
    assertThat(cancelled.statusCode()).isEqualTo(200);
    Poll.until(
        () ->
            Await.result(server.report(sale)).getJsonObject("database").getInteger("quantitySold"),
        sold -> sold == 40,
        Duration.ofSeconds(30));
    try (Connection db = server.database()) {
      assertThat(Invariants.assertNoOversell(db, sale).quantitySold()).isEqualTo(40);
    }
    JsonObject after = Await.result(server.report(sale));
    assertThat(after.getJsonObject("invariants").getBoolean("I1")).isTrue();
    assertThat(after.getJsonObject("invariants").getBoolean("I2")).isTrue();
  }

  private static final int UNITS = 60;
  private static final int BUYERS = 300;

  private static String buyer(String saleId, int i) {
    return "q-" + saleId.substring(0, 8) + "-" + i;
  }

  /** Checks out every reservation not tried yet; answers how many orders of the sale are paid. */
  private static int checkOutHolds(String saleId, Set<String> attempted) {
    try (Connection db = server.database();
        ResultSet held =
            Sql.query(
                db,
                "SELECT order_id, user_id FROM sale_orders WHERE sale_id = ?"
                    + " AND status = 'RESERVED'",
                UUID.fromString(saleId))) {
      List<Future<HttpResponse<Buffer>>> checkouts = new ArrayList<>();
      while (held.next()) {
        String orderId = held.getString("order_id");
        if (attempted.add(orderId)) {
          checkouts.add(
              server
                  .client()
                  .post("/api/orders/" + orderId + "/checkout")
                  .bearerTokenAuthentication(server.token(held.getString("user_id")))
                  .send());
        }
      }
      Await.result(Future.join(checkouts));
      for (Future<HttpResponse<Buffer>> checkout : checkouts) {
        assertThat(checkout.succeeded() && checkout.result().statusCode() == 200)
            .as(
                "checkout answered 200: %s",
                checkout.succeeded() ? checkout.result().bodyAsString() : checkout.cause())
            .isTrue();
      }
      return Invariants.count(
          db,
          "SELECT count(*) FROM sale_orders WHERE sale_id = ? AND status = 'PAID'",
          UUID.fromString(saleId));
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
  }

  /** Calls of one command on one master, from INFO commandstats. */
  private static long commandCalls(int port, String command) {
    return cluster
        .command(port, "INFO", "commandstats")
        .lines()
        .filter(line -> line.startsWith("cmdstat_" + command + ":"))
        .findFirst()
        .map(line -> Long.parseLong(line.replaceAll("^cmdstat_[a-z]+:calls=(\\d+),.*", "$1")))
        .orElse(0L);
  }

  /**
   * The only error a master may have answered is NOSCRIPT (a script not yet cached on that node,
   * answered by sending the script itself). CROSSSLOT, MOVED or ASK would mean a call went to the
   * wrong node or mixed sales; anything else is a bug.
   */
  private static void assertOnlyExpectedRedisErrors() {
    for (int port : cluster.ports()) {
      List<String> errors =
          cluster
              .command(port, "INFO", "errorstats")
              .lines()
              .filter(line -> line.startsWith("errorstat_"))
              .filter(line -> !line.startsWith("errorstat_NOSCRIPT:"))
              .toList();
      assertThat(errors).as("errors answered by master %d", port).isEmpty();
    }
  }
}
