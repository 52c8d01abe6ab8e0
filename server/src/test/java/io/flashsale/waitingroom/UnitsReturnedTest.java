package io.flashsale.waitingroom;

import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.support.Await;
import io.flashsale.support.Engine;
import io.flashsale.support.Invariants;
import io.flashsale.support.Poll;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A unit released by a cancelled hold reaches the next buyer in line at once, not at the admission
 * ticker's next tick: the release is published on the event bus when its units are back in Redis,
 * and the ticker steps that sale then. The tick here is 6 s, so waiting for it would take seconds
 * longer than the test allows.
 */
class UnitsReturnedTest {

  private static final int TICK_MILLIS = 6_000;

  @RegisterExtension
  static final Engine engine =
      Engine.start(Map.of("FLASHSALE_WAITINGROOM_TICK_MS", Integer.toString(TICK_MILLIS)));

  @Test
  void aCancelledHoldsUnitGoesToTheNextBuyerInLineAtOnce() throws Exception {
    String saleId =
        Await.result(
                engine
                    .server()
                    .createSale(
                        1,
                        new JsonObject()
                            .put("waitingRoom", true)
                            .put("queuePolicy", "FIFO")
                            .put("admissionRatePerSecond", 100)))
            .getString("saleId");
    assertThat(Await.result(engine.server().join(saleId, "first-in-line", 1)).statusCode())
        .isEqualTo(202);
    assertThat(Await.result(engine.server().join(saleId, "second-in-line", 1)).statusCode())
        .isEqualTo(202);
    // Both cards are authorised by the first rounds; the first buyer is admitted at a tick.
    String orderId =
        Poll.until(
                () ->
                    Await.result(engine.server().queueStatus(saleId, "first-in-line"))
                        .bodyAsJsonObject(),
                view -> "RESERVED".equals(view.getString("state")),
                Duration.ofSeconds(4 * TICK_MILLIS / 1_000))
            .getString("orderId");
    assertThat(
            Await.result(engine.server().queueStatus(saleId, "second-in-line"))
                .bodyAsJsonObject()
                .getString("state"))
        .as("the one unit is held")
        .isNotEqualTo("RESERVED");

    long cancelledAt = System.nanoTime();
    var cancelled =
        Await.result(
            engine
                .server()
                .client()
                .post("/api/orders/" + orderId + "/cancel")
                .bearerTokenAuthentication(engine.server().token("first-in-line"))
                .send());
    assertThat(cancelled.statusCode()).isEqualTo(200);

    JsonObject second =
        Poll.until(
            () ->
                Await.result(engine.server().queueStatus(saleId, "second-in-line"))
                    .bodyAsJsonObject(),
            view -> "RESERVED".equals(view.getString("state")),
            Duration.ofMillis(TICK_MILLIS / 2));
    long waitedMillis = Duration.ofNanos(System.nanoTime() - cancelledAt).toMillis();
    assertThat(waitedMillis)
        .as("from the cancel to the next buyer's reservation")
        .isLessThan(TICK_MILLIS / 2);
    assertThat(second.getString("orderId")).isNotBlank();
    try (Connection db = engine.server().database()) {
      assertThat(Invariants.assertNoOversell(db, saleId).quantitySold()).isEqualTo(1);
    }
  }
}
