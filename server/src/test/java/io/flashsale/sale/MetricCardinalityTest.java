package io.flashsale.sale;

import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.support.Await;
import io.flashsale.support.Poll;
import io.flashsale.support.TestServer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Bounded cardinality: a sale's own series on /metrics live while it is open and for the grace
 * after it ends (short here), then go; an open sale's series stay.
 */
class MetricCardinalityTest {

  private static final Duration BOUND = Duration.ofSeconds(30);

  private static Vertx vertx;
  private static TestServer server;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    server =
        Await.result(
            TestServer.start(
                vertx,
                Map.of(
                    "FLASHSALE_METRICS_ENDED_SALE_GRACE_MS", "1000",
                    "FLASHSALE_AUDIT_RECONCILE_INTERVAL_MS", "300")));
  }

  @AfterAll
  static void stop() {
    Await.result(server.stop().eventually(vertx::close));
  }

  private static String metrics() {
    return Await.result(server.client().get("/metrics").send()).bodyAsString();
  }

  private static String queuedSale(String prefix, int buyers) {
    String saleId =
        Await.result(
                server.createSale(
                    10,
                    new JsonObject()
                        .put("waitingRoom", true)
                        .put("queuePolicy", "FIFO")
                        .put("admissionRatePerSecond", 100)))
            .getString("saleId");
    List<Future<HttpResponse<Buffer>>> joins = new ArrayList<>();
    for (int i = 0; i < buyers; i++) {
      joins.add(server.join(saleId, prefix + "-" + i, 1));
    }
    Await.result(Future.all(joins));
    joins.forEach(join -> assertThat(join.result().statusCode()).as("join").isEqualTo(202));
    return saleId;
  }

  private static List<String> seriesOf(String saleId) {
    String label = "sale=\"" + saleId + "\"";
    return List.of(
        "flashsale_queue_waiting{" + label,
        "flashsale_queue_away{" + label,
        "flashsale_admissions_total{" + label,
        "flashsale_reconciliation_drift{" + label);
  }

  @Test
  void anEndedSalesSeriesGoAfterTheGraceWhileAnOpenSalesStay() {
    String ending = queuedSale("ending", 3);
    String staying = queuedSale("staying", 2);
    String direct = Await.result(server.createSale(5, new JsonObject())).getString("saleId");
    assertThat(Await.result(server.purchase(direct, "direct-buyer", 1)).statusCode())
        .isEqualTo(201);

    String directDrift = "flashsale_reconciliation_drift{sale=\"" + direct + "\"}";
    Poll.until(
        MetricCardinalityTest::metrics,
        page ->
            seriesOf(ending).stream().allMatch(page::contains)
                && seriesOf(staying).stream().allMatch(page::contains)
                && page.contains(directDrift),
        BOUND);

    for (String saleId : List.of(ending, direct)) {
      HttpResponse<Buffer> ended =
          Await.result(
              server
                  .client()
                  .post("/api/admin/sales/" + saleId + "/end")
                  .bearerTokenAuthentication(server.adminToken())
                  .send());
      assertThat(ended.statusCode()).as("end now").isEqualTo(200);
    }

    String page =
        Poll.until(
            MetricCardinalityTest::metrics,
            text -> !text.contains(ending) && !text.contains(direct),
            BOUND);
    assertThat(page).as("the open sale's series").contains(seriesOf(staying));
    HttpResponse<Buffer> stats =
        Await.result(
            server
                .client()
                .get("/api/admin/sales/" + ending + "/stats")
                .bearerTokenAuthentication(server.adminToken())
                .send());
    assertThat(stats.statusCode())
        .as("the dashboard still answers for the ended sale")
        .isEqualTo(200);
    assertThat(stats.bodyAsJsonObject().getString("status")).isEqualTo("ENDED");
    JsonObject books = stats.bodyAsJsonObject().getJsonObject("reconciliation");
    assertThat(books.containsKey("lastRoundDrift") && books.getValue("lastRoundDrift") == null)
        .as("no last-round drift once its series is gone: %s", books)
        .isTrue();
  }
}
