package io.flashsale.waitingroom;

import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.support.Await;
import io.flashsale.support.Poll;
import io.flashsale.support.TestServer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Two engine instances on one Redis and one database admit at the sale's rate in total, not twice it. */
class AdmissionRateTest {

  private static Vertx vertx;
  private static TestServer first;
  private static TestServer second;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    first = Await.result(TestServer.start(vertx));
    second = Await.result(TestServer.startBeside(vertx, first, Map.of()));
  }

  @AfterAll
  static void stop() {
    Await.result(Future.join(first.stop(), second.stop()).eventually(vertx::close));
  }

  @Test
  void twoInstancesTogetherAdmitAtTheConfiguredRate() {
    int rate = 250;
    int units = 750;
    // Room for a cold JVM on a shared 2-core machine to take the 1,000 joins before T-0.
    Instant start = Instant.now().plusSeconds(8);
    String saleId = Await.result(first.createSale(units, new JsonObject()
        .put("waitingRoom", true).put("queuePolicy", "FIFO").put("admissionRatePerSecond", rate)
        .put("startTime", start.toString()))).getString("saleId");
    List<Future<?>> joins = new ArrayList<>();
    for (int i = 0; i < 1_000; i++) {
      TestServer via = i % 2 == 0 ? first : second;
      joins.add(via.join(saleId, "rate-" + i, 1));
    }
    Await.result(Future.all(joins));
    assertThat(Instant.now()).as("the line formed before T-0").isBefore(start);

    JsonObject report = Poll.until(() -> Await.result(second.report(saleId)),
        r -> r.getJsonObject("database").getInteger("quantitySold") == units, Duration.ofSeconds(30));

    double measured = report.getJsonObject("admission").getDouble("measuredPerSecond");
    assertThat(measured).as("admissions per second, both instances together").isBetween(rate * 0.9, rate * 1.1);
    assertThat(report.getJsonObject("fairness").getBoolean("winnersAreHeadOfLine")).isTrue();
    assertThat(report.getJsonObject("invariants").getBoolean("I1")).isTrue();
    assertThat(report.getJsonObject("invariants").getBoolean("I4")).isTrue();
  }
}
