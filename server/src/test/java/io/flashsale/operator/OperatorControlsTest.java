package io.flashsale.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.support.Await;
import io.flashsale.support.Engine;
import io.flashsale.support.Invariants;
import io.flashsale.support.Poll;
import io.flashsale.support.Sql;
import io.flashsale.support.TestServer;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Operator controls on two instances sharing one Redis and one PostgreSQL: a control sent to one
 * holds on both from the next admission step; every control is audited; bad calls change nothing.
 */
class OperatorControlsTest {

  @RegisterExtension static final Engine engine = Engine.start().withSecondNode();

  private static String queuedSale(int units, int rate, int buyers) {
    String saleId =
        Await.result(
                engine
                    .server()
                    .createSale(
                        units,
                        new JsonObject()
                            .put("waitingRoom", true)
                            .put("queuePolicy", "FIFO")
                            .put("admissionRatePerSecond", rate)
                            .put("startTime", Instant.now().plusSeconds(2).toString())))
            .getString("saleId");
    List<Future<HttpResponse<Buffer>>> joins = new ArrayList<>();
    for (int i = 0; i < buyers; i++) {
      joins.add(
          (i % 2 == 0 ? engine.server() : engine.secondNode())
              .join(saleId, saleId.substring(0, 8) + "-" + i, 1));
    }
    Await.result(Future.all(joins));
    return saleId;
  }

  private static HttpResponse<Buffer> control(
      TestServer via, String saleId, String action, JsonObject body, String token) {
    var request =
        via.client()
            .post("/api/admin/sales/" + saleId + "/" + action)
            .bearerTokenAuthentication(token);
    return Await.result(body == null ? request.send() : request.sendJsonObject(body));
  }

  private static long admitted(String saleId, int buyers) {
    return buyers
        - Await.result(engine.secondNode().report(saleId))
            .getJsonObject("redis")
            .getLong("waiting");
  }

  @Test
  void pauseStopsEveryInstanceAtOnceAndResumeContinuesInOrder() throws Exception {
    int buyers = 400;
    String saleId = queuedSale(1_000, 100, buyers);
    Poll.until(() -> admitted(saleId, buyers), n -> n >= 50, Duration.ofSeconds(20));

    assertThat(
            control(engine.server(), saleId, "pause", null, engine.server().adminToken())
                .statusCode())
        .isEqualTo(200);
    long atPause = admitted(saleId, buyers);
    Thread.sleep(1_000);
    assertThat(admitted(saleId, buyers))
        .as("no instance admits anyone while paused")
        .isEqualTo(atPause);
    assertThat(atPause).isLessThan(buyers);

    assertThat(
            control(engine.secondNode(), saleId, "resume", null, engine.server().adminToken())
                .statusCode())
        .isEqualTo(200);
    Poll.until(() -> admitted(saleId, buyers), n -> n == buyers, Duration.ofSeconds(30));
    JsonObject report =
        Poll.until(
            () -> Await.result(engine.server().report(saleId)),
            r -> r.getJsonObject("database").getInteger("quantitySold") == buyers,
            Duration.ofSeconds(20));
    assertThat(report.getJsonObject("fairness").getBoolean("winnersAreHeadOfLine"))
        .as("admitted in queue order across the pause")
        .isTrue();
    try (Connection db = engine.server().database()) {
      Invariants.assertNoOversell(db, saleId);
    }

    JsonArray actions =
        Await.result(
                engine
                    .server()
                    .client()
                    .get("/api/admin/sales/" + saleId + "/actions")
                    .bearerTokenAuthentication(engine.server().adminToken())
                    .send())
            .bodyAsJsonObject()
            .getJsonArray("actions");
    assertThat(actions.stream().map(a -> ((JsonObject) a).getString("action")).toList())
        .containsExactly("PAUSE", "RESUME");
    assertThat(actions.getJsonObject(0).getString("actor")).as("who").startsWith("admin");
    assertThat(actions.getJsonObject(0).getString("at")).isNotBlank();
  }

  @Test
  void aRateChangeShowsInTheMeasuredRateWithinTwoSeconds() throws Exception {
    int buyers = 1_200;
    String saleId = queuedSale(2_000, 40, buyers);
    Poll.until(() -> admitted(saleId, buyers), n -> n >= 40, Duration.ofSeconds(20));
    double before = rateOver(saleId, buyers, Duration.ofSeconds(1));

    HttpResponse<Buffer> changed =
        control(
            engine.secondNode(),
            saleId,
            "rate",
            new JsonObject().put("admissionRatePerSecond", 400),
            engine.server().adminToken());
    assertThat(changed.statusCode()).isEqualTo(200);
    assertThat(changed.bodyAsJsonObject().getInteger("admissionRatePerSecond")).isEqualTo(400);
    Thread.sleep(500);
    double after = rateOver(saleId, buyers, Duration.ofSeconds(1));

    assertThat(before).as("admissions per second before").isBetween(20.0, 60.0);
    assertThat(after).as("admissions per second after the change").isBetween(240.0, 560.0);
    try (Connection db = engine.server().database();
        ResultSet row =
            Sql.query(
                db,
                "SELECT detail FROM operator_actions WHERE sale_id = ? AND action = 'SET_RATE'",
                UUID.fromString(saleId))) {
      assertThat(row.next()).isTrue();
      assertThat(new JsonObject(row.getString(1)))
          .isEqualTo(new JsonObject().put("from", 40).put("to", 400));
    }
  }

  private static double rateOver(String saleId, int buyers, Duration span)
      throws InterruptedException {
    long from = admitted(saleId, buyers);
    long started = System.nanoTime();
    Thread.sleep(span.toMillis());
    long to = admitted(saleId, buyers);
    return (to - from) / ((System.nanoTime() - started) / 1e9);
  }

  @Test
  void badControlCallsAreRefusedAndChangeNothing() throws Exception {
    String saleId =
        Await.result(
                engine
                    .server()
                    .createSale(
                        10,
                        new JsonObject()
                            .put("waitingRoom", true)
                            .put("admissionRatePerSecond", 50)))
            .getString("saleId");
    String admin = engine.server().adminToken();
    List<Object[]> cases =
        List.of(
            new Object[] {"pause", null, engine.server().token("mallory"), 403},
            new Object[] {"end", null, engine.server().token("mallory"), 403},
            new Object[] {
              "rate",
              new JsonObject().put("admissionRatePerSecond", 1_000),
              engine.server().token("mallory"),
              403
            },
            new Object[] {"rate", new JsonObject().put("admissionRatePerSecond", -5), admin, 400},
            new Object[] {"rate", new JsonObject().put("admissionRatePerSecond", 0), admin, 400},
            new Object[] {
              "rate", new JsonObject().put("admissionRatePerSecond", 1_000_000_000), admin, 400
            },
            new Object[] {
              "rate", new JsonObject().put("admissionRatePerSecond", "fast"), admin, 400
            },
            new Object[] {"rate", new JsonObject(), admin, 400});
    for (Object[] bad : cases) {
      HttpResponse<Buffer> refused =
          control(engine.server(), saleId, (String) bad[0], (JsonObject) bad[1], (String) bad[2]);
      assertThat(refused.statusCode()).as(bad[0] + " " + bad[1]).isEqualTo(bad[3]);
      assertThat(refused.getHeader("Content-Type")).startsWith("application/problem+json");
      assertThat(refused.bodyAsJsonObject().getString("detail")).isNotBlank();
    }
    assertThat(
            control(engine.server(), UUID.randomUUID().toString(), "pause", null, admin)
                .statusCode())
        .isEqualTo(404);
    assertThat(control(engine.server(), "not-a-sale", "pause", null, admin).statusCode())
        .isEqualTo(404);
    HttpResponse<Buffer> noSuchExport =
        Await.result(
            engine
                .server()
                .client()
                .get("/api/admin/sales/" + saleId + "/export/passwords.csv")
                .bearerTokenAuthentication(admin)
                .send());
    assertThat(noSuchExport.statusCode()).isEqualTo(404);

    JsonObject sale =
        Await.result(
                engine
                    .server()
                    .client()
                    .get("/api/sales/" + saleId)
                    .bearerTokenAuthentication(admin)
                    .send())
            .bodyAsJsonObject();
    assertThat(sale.getInteger("admissionRatePerSecond")).isEqualTo(50);
    assertThat(sale.getBoolean("admissionPaused")).isFalse();
    assertThat(sale.getString("status")).isNotEqualTo("ENDED");
    try (Connection db = engine.server().database()) {
      assertThat(
              Invariants.count(
                  db,
                  "SELECT count(*) FROM operator_actions WHERE sale_id = ?",
                  UUID.fromString(saleId)))
          .as("nothing audited, nothing done")
          .isZero();
    }

    assertThat(control(engine.server(), saleId, "end", null, admin).statusCode()).isEqualTo(200);
    HttpResponse<Buffer> again = control(engine.server(), saleId, "end", null, admin);
    assertThat(again.statusCode()).as("an ended sale cannot be ended again").isEqualTo(409);
    assertThat(control(engine.server(), saleId, "resume", null, admin).statusCode()).isEqualTo(409);
  }

  @Test
  void theExportHasOrdersPaymentsQueueOrderAndRejections() {
    int buyers = 30;
    String saleId = queuedSale(10, 200, buyers);
    Poll.until(
        () ->
            Await.result(engine.server().report(saleId))
                .getJsonObject("database")
                .getInteger("quantitySold"),
        sold -> sold == 10,
        Duration.ofSeconds(20));
    Map<String, String> expectedHeaders =
        Map.of(
            "orders", "order_id,user_id,quantity,status,amount_cents",
            "payments", "user_id,authorization_id,status,amount_cents",
            "queue", "queue_number,user_id,ticket_id,state,quantity,order_id",
            "rejections", "reason,count");
    for (var part : expectedHeaders.entrySet()) {
      HttpResponse<Buffer> csv =
          Await.result(
              engine
                  .server()
                  .client()
                  .get("/api/admin/sales/" + saleId + "/export/" + part.getKey() + ".csv")
                  .bearerTokenAuthentication(engine.server().adminToken())
                  .send());
      assertThat(csv.statusCode()).isEqualTo(200);
      assertThat(csv.getHeader("Content-Type")).startsWith("text/csv");
      List<String> lines = csv.bodyAsString().lines().toList();
      assertThat(lines.get(0)).startsWith(part.getValue());
      switch (part.getKey()) {
        case "orders" -> assertThat(lines).hasSize(11);
        case "payments", "queue" -> assertThat(lines).hasSize(buyers + 1);
        default -> assertThat(lines).hasSizeGreaterThanOrEqualTo(1);
      }
      if (part.getKey().equals("queue")) {
        assertThat(lines.get(1)).startsWith("1,");
        assertThat(lines.subList(1, 11)).allMatch(line -> line.contains(",RESERVED,"));
      }
    }
    assertThat(
            Await.result(
                    engine
                        .server()
                        .client()
                        .get("/api/admin/sales/" + saleId + "/actions")
                        .bearerTokenAuthentication(engine.server().adminToken())
                        .send())
                .bodyAsJsonObject()
                .getJsonArray("actions"))
        .as("downloads are audited too")
        .hasSize(4);
  }
}
