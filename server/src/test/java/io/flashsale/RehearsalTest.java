package io.flashsale;

import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.infra.SaleKeys;
import io.flashsale.support.Await;
import io.flashsale.support.Poll;
import io.flashsale.support.TestRedis;
import io.flashsale.support.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Response;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The start-up rehearsal against real stores: readiness is held back while it runs, its joins go
 * the whole way (the bot defence's rate limits on), and when it is over its sale is gone from Redis
 * and the catalog, and was never in the database or the business figures.
 */
class RehearsalTest {

  /** The limits' defaults (conf/flashsale.properties); TestServer turns them off. */
  private static final Map<String, String> LIMITS_ON =
      Map.of(
          "FLASHSALE_ANTIBOT_RATE_USER_PER_SECOND", "5",
          "FLASHSALE_ANTIBOT_RATE_IP_PER_SECOND", "20",
          "FLASHSALE_ANTIBOT_RATE_DEVICE_PER_SECOND", "5");

  private Vertx vertx;

  @BeforeEach
  void vertx() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void close() {
    Await.result(vertx.close());
  }

  @Test
  void aRehearsalHoldsReadinessBackThenLeavesNoTrace() throws Exception {
    // What an instance killed in the middle of its rehearsal left, a quarter of an hour ago.
    String crashed = UUID.randomUUID().toString();
    SaleKeys left = new SaleKeys(crashed);
    TestRedis.send(Command.HSET, left.line(0, 2).tickets(), "someone", "a ticket");
    TestRedis.send(Command.SET, left.stock(), "7");
    TestRedis.send(
        Command.ZADD,
        Rehearsal.UNFINISHED,
        System.currentTimeMillis() - 15 * 60_000,
        crashed + "|2");
    int requests = 20_000;
    TestServer server = Await.result(TestServer.start(vertx, settings(requests, 1)));
    try {
      HttpResponse<Buffer> early = Await.result(server.client().get("/health/ready").send());
      assertThat(early.statusCode()).isEqualTo(503);
      assertThat(early.bodyAsJsonObject().getString("rehearsal")).isEqualTo("RUNNING");
      assertThat(early.bodyAsJsonObject().getString("redis")).isEqualTo("UP");

      Rehearsal.Outcome outcome =
          Await.result(server.engine().rehearsed(), Duration.ofSeconds(180));

      // 16 of every 20 requests are distinct buyers' first joins, one is a second click.
      assertThat(outcome.sent()).isEqualTo(requests);
      assertThat(outcome.statuses())
          .containsEntry(202, requests / 20 * 16)
          .containsEntry(409, requests / 20)
          .containsOnlyKeys(200, 202, 404, 409);
      JsonObject ready =
          Await.result(server.client().get("/health/ready").send()).bodyAsJsonObject();
      assertThat(ready.getString("status")).isEqualTo("UP");
      assertThat(ready.getString("rehearsal")).isEqualTo("DONE");

      String saleId = outcome.saleId();
      // Every key of the sale is gone; the rate-limit strings expire within a window and a second.
      assertThat(keysOf(saleId)).allMatch(key -> key.contains(":rate-limits:"));
      Poll.until(() -> keysOf(saleId), List::isEmpty, Duration.ofSeconds(10));
      assertThat(saleRows(server, saleId)).isZero();
      // Neither this rehearsal nor the one that never finished is left noted or in Redis.
      assertThat(keysOf(crashed)).isEmpty();
      assertThat(TestRedis.send(Command.ZSCORE, Rehearsal.UNFINISHED, crashed + "|2")).isNull();
      assertThat(TestRedis.send(Command.ZSCORE, Rehearsal.UNFINISHED, saleId + "|1")).isNull();
      // Not a buyer's join in the business figures; the catalog no longer serves the sale.
      String metrics = Await.result(server.client().get("/metrics").send()).bodyAsString();
      assertThat(metrics).doesNotContain("flashsale_queue_joins_total{");
      assertThat(Await.result(server.join(saleId, "late-buyer", 1)).statusCode()).isEqualTo(404);
    } finally {
      Await.result(server.stop());
    }
  }

  @Test
  void stoppingMidRehearsalEndsItAndDeletesItsSaleOnEveryShard() {
    int requests = 5_000_000;
    TestServer server = Await.result(TestServer.start(vertx, settings(requests, 3)));
    String saleId = server.engine().rehearsal().saleId();
    try {
      // Once buyers wait on each of the line's shards, stop it in the middle.
      Poll.until(
          () -> keysOf(saleId).stream().filter(key -> key.endsWith(":tickets")).count(),
          tickets -> tickets == 3,
          Duration.ofSeconds(60));
      assertThat(server.engine().rehearsed().isComplete()).isFalse();
    } finally {
      Await.result(server.stop(), Duration.ofSeconds(60));
    }

    Rehearsal.Outcome outcome = Await.result(server.engine().rehearsed());
    assertThat(outcome.saleId()).isEqualTo(saleId);
    assertThat(outcome.sent()).isPositive().isLessThan(requests);
    assertThat(outcome.statuses()).doesNotContainKey(-1).doesNotContainKey(500);
    assertThat(keysOf(saleId)).allMatch(key -> key.contains("#rl-"));
  }

  private static Map<String, String> settings(int requests, int shards) {
    Map<String, String> settings = new java.util.HashMap<>(LIMITS_ON);
    settings.put("FLASHSALE_WAITINGROOM_REHEARSAL_REQUESTS", Integer.toString(requests));
    settings.put("FLASHSALE_WAITINGROOM_LINE_SHARDS", Integer.toString(shards));
    return settings;
  }

  /** Keys whose name holds {@code saleId}. */
  private static List<String> keysOf(String saleId) {
    String pattern = "*" + saleId + "*";
    List<String> keys = new ArrayList<>();
    String cursor = "0";
    do {
      Response page = TestRedis.send(Command.SCAN, cursor, "MATCH", pattern, "COUNT", 1_000);
      cursor = page.get(0).toString();
      page.get(1).forEach(key -> keys.add(key.toString()));
    } while (!cursor.equals("0"));
    return keys;
  }

  private static long saleRows(TestServer server, String saleId) throws Exception {
    try (Connection db = server.database();
        PreparedStatement count =
            db.prepareStatement("SELECT count(*) FROM flash_sales WHERE sale_id = ?::uuid")) {
      count.setString(1, saleId);
      try (ResultSet rows = count.executeQuery()) {
        rows.next();
        return rows.getLong(1);
      }
    }
  }
}
