package io.flashsale.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.support.Await;
import io.flashsale.support.Engine;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class HealthAndMetricsTest {

  @RegisterExtension static final Engine engine = Engine.start();

  @Test
  void isReadyWhenRedisAndMigratedPostgresAnswer() {
    var live = Await.result(engine.server().client().get("/health/live").send());
    var ready = Await.result(engine.server().client().get("/health/ready").send());

    assertThat(live.statusCode()).isEqualTo(200);
    assertThat(ready.statusCode()).isEqualTo(200);
    assertThat(ready.bodyAsJsonObject())
        .isEqualTo(
            new JsonObject()
                .put("status", "UP")
                .put("postgres", "UP")
                .put("redis", "UP")
                .put("rehearsal", "OFF"));
  }

  @Test
  void countsReservationsByOutcomeInPrometheusFormat() {
    String saleId =
        Await.result(engine.server().createSale(1, new JsonObject())).getString("saleId");
    Await.result(engine.server().purchase(saleId, "metered-1", 1));
    Await.result(engine.server().purchase(saleId, "metered-2", 1));

    var metrics = Await.result(engine.server().client().get("/metrics").send());

    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.bodyAsString())
        .containsPattern("flashsale_reservations_total\\{outcome=\"RESERVED\"} [1-9]")
        .containsPattern("flashsale_reservations_total\\{outcome=\"SOLD_OUT\"} [1-9]");
  }

  @Test
  void timesRequestsByRouteTemplateAndStatus() {
    String saleId =
        Await.result(engine.server().createSale(1, new JsonObject())).getString("saleId");
    Await.result(engine.server().purchase(saleId, "timed-1", 1));
    Await.result(engine.server().purchase(saleId, "timed-2", 1));
    Await.result(engine.server().client().get("/no/such/page").send());

    String metrics = Await.result(engine.server().client().get("/metrics").send()).bodyAsString();

    // Sale ids never become labels: one series per route template and status.
    assertThat(metrics)
        .contains(
            "flashsale_http_requests_seconds_count{method=\"POST\",route=\"/api/sales/:saleId/purchase\","
                + "status=\"201\"}")
        .contains(
            "flashsale_http_requests_seconds_count{method=\"POST\",route=\"/api/sales/:saleId/purchase\","
                + "status=\"409\"}")
        .containsPattern(
            "flashsale_http_requests_seconds_bucket\\{method=\"POST\","
                + "route=\"/api/sales/:saleId/purchase\",status=\"201\",le=\"5\\.0\"} [1-9]")
        .contains(
            "flashsale_http_requests_seconds_count{method=\"GET\",route=\"unmatched\",status=\"404\"}")
        .doesNotContain(saleId);
  }

  @Test
  void showsTheJvmAndTheProcess() {
    String metrics = Await.result(engine.server().client().get("/metrics").send()).bodyAsString();

    assertThat(metrics)
        .containsPattern("(?m)^jvm_memory_used_bytes\\{area=\"heap\".* [0-9.E+]+$")
        .containsPattern("(?m)^jvm_threads_live_threads [1-9]")
        .containsPattern("(?m)^process_cpu_usage ")
        .containsPattern("(?m)^process_files_open_files [1-9]")
        .containsPattern("(?m)^process_uptime_seconds ")
        .contains("jvm_gc_");
  }

  @Test
  void everyFlashsaleFigureExplainsItself() {
    // Some meters only exist once something happened: a purchase, a refusal, a join.
    String saleId =
        Await.result(engine.server().createSale(1, new JsonObject())).getString("saleId");
    Await.result(engine.server().purchase(saleId, "help-1", 1));
    Await.result(engine.server().purchase(saleId, "help-2", 1));

    String metrics = Await.result(engine.server().client().get("/metrics").send()).bodyAsString();

    List<String> help =
        metrics.lines().filter(line -> line.startsWith("# HELP flashsale_")).toList();
    assertThat(help).as("flashsale figures on the page").hasSizeGreaterThan(3);
    assertThat(help)
        .as("HELP lines without a text")
        .allMatch(line -> line.split(" ", 4).length == 4 && !line.split(" ", 4)[3].isBlank());
  }
}
