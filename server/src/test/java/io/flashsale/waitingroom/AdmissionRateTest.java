package io.flashsale.waitingroom;

import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.support.Await;
import io.flashsale.support.Engine;
import io.flashsale.support.Poll;
import io.flashsale.support.TestServer;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two engine instances on one Redis and one database admit at the sale's rate in total, not twice
 * it.
 */
class AdmissionRateTest {

  @RegisterExtension static final Engine engine = Engine.start().withSecondNode();

  @Test
  void twoInstancesTogetherAdmitAtTheConfiguredRate() {
    int rate = 250;
    int units = 750;
    // Room for a cold JVM on a shared 2-core machine to take the 1,000 joins before T-0.
    Instant start = Instant.now().plusSeconds(8);
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
                            .put("startTime", start.toString())))
            .getString("saleId");
    List<Future<?>> joins = new ArrayList<>();
    for (int i = 0; i < 1_000; i++) {
      TestServer via = i % 2 == 0 ? engine.server() : engine.secondNode();
      joins.add(via.join(saleId, "rate-" + i, 1));
    }
    Await.result(Future.all(joins));
    assertThat(Instant.now()).as("the line formed before T-0").isBefore(start);

    JsonObject report =
        Poll.until(
            () -> Await.result(engine.secondNode().report(saleId)),
            r -> r.getJsonObject("database").getInteger("quantitySold") == units,
            Duration.ofSeconds(30));

    double measured = report.getJsonObject("admission").getDouble("measuredPerSecond");
    assertThat(measured)
        .as("admissions per second, both instances together")
        .isBetween(rate * 0.9, rate * 1.1);
    assertThat(report.getJsonObject("fairness").getBoolean("winnersAreHeadOfLine")).isTrue();
    assertThat(report.getJsonObject("invariants").getBoolean("I1")).isTrue();
    assertThat(report.getJsonObject("invariants").getBoolean("I4")).isTrue();
  }
}
