package io.flashsale.waitingroom;

import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.antibot.BotDefence.Guards;
import io.flashsale.antibot.RateLimitSketch;
import io.flashsale.antibot.RateLimits;
import io.flashsale.antibot.RateLimits.Limit;
import io.flashsale.antibot.Rejection;
import io.flashsale.infra.SaleKeys;
import io.flashsale.sale.FlashSale;
import io.flashsale.sale.QueuePolicy;
import io.flashsale.sale.SaleStatus;
import io.flashsale.support.Await;
import io.flashsale.support.ManualClock;
import io.flashsale.support.TestRedis;
import io.flashsale.waitingroom.JoinQueueScript.JoinResult;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Joins as the waiting room sends them: a batch first counts every join against its rate limits
 * (the sale's sketch), then the join script refuses those over a limit. Real Redis; time is a
 * manual clock, so no window ends during a test.
 */
class JoinBatchesTest {

  private static final Vertx vertx = Vertx.vertx();

  /** Two joins a window of 2 s per user, address and device. */
  private final RateLimits limits =
      new RateLimits(
          TestRedis.client(),
          new RateLimits.Settings(new Limit(1, 2), new Limit(1, 2), new Limit(1, 2)),
          new RateLimitSketch(
              "a test secret, as long as jwt.secret must be",
              new ManualClock(Instant.parse("2030-01-01T00:00:00Z"))));

  /** Joins that reach an event loop together go in one batch. */
  private final JoinBatches batches =
      new JoinBatches(vertx, TestRedis.client(), limits, 0, 64, new SimpleMeterRegistry());

  private final FlashSale sale =
      new FlashSale(
          UUID.randomUUID().toString(),
          "product",
          "Product",
          100,
          0,
          1_000,
          "EUR",
          Instant.parse("2029-01-01T00:00:00Z"),
          Instant.parse("2031-01-01T00:00:00Z"),
          SaleStatus.ACTIVE,
          1,
          10,
          false,
          300,
          true,
          QueuePolicy.FIFO,
          0,
          false,
          1,
          Instant.parse("2029-01-01T00:00:00Z"),
          Instant.parse("2029-01-01T00:00:00Z"));

  @AfterEach
  void forgetSale() {
    TestRedis.forgetSale(sale.saleId());
  }

  @AfterAll
  static void close() {
    Await.result(vertx.close());
  }

  private record Attempt(String user, String ip, String device, Rejection.RejectedException pow) {}

  /** Sends the attempts from one event loop at once, so they make one batch, in this order. */
  private List<JoinResult> batch(Attempt... attempts) {
    Promise<List<JoinResult>> answers = Promise.promise();
    vertx.runOnContext(
        now -> {
          List<Future<JoinResult>> joins = new ArrayList<>();
          for (Attempt attempt : attempts) {
            joins.add(
                batches.join(
                    sale,
                    attempt.user(),
                    1,
                    "card",
                    attempt.device(),
                    new Guards(
                        limits.checks(attempt.user(), attempt.ip(), attempt.device()),
                        attempt.pow())));
          }
          Future.all(joins).map(all -> all.<JoinResult>list()).onComplete(answers);
        });
    return Await.result(answers.future());
  }

  private static List<String> outcomes(List<JoinResult> results) {
    return results.stream().map(JoinResult::outcome).toList();
  }

  @Test
  void aBatchCountsItsJoinsInArrivalOrderAndRefusesThoseOverALimit() {
    List<JoinResult> results =
        batch(
            new Attempt("ann", "10.0.0.1", "fp-ann", null),
            new Attempt("bob", "10.0.0.1", "fp-bob", null),
            new Attempt("cat", "10.0.0.1", "fp-cat", null),
            new Attempt("dan", "10.0.0.2", "fp-dan", null));

    assertThat(outcomes(results)).containsExactly("JOINED", "JOINED", "RATE_LIMITED", "JOINED");
    RateLimits.Refusal limited = results.get(2).limited();
    assertThat(limited.check().dimension()).isEqualTo(RateLimits.Dimension.IP);
    assertThat(limited.retryAfterMillis()).isEqualTo(2_000);
    assertThat(TestRedis.hget(new SaleKeys(sale.saleId()).rejections(), "RATE_LIMITED"))
        .isEqualTo("1");
  }

  @Test
  void aJoinRefusedForItsProofOfWorkStillCountsAgainstItsLimits() {
    Rejection.RejectedException noProof = Rejection.POW_MISSING.exception("no proof");

    List<String> seen = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      seen.addAll(outcomes(batch(new Attempt("ann", "10.0.0." + i, "fp-" + i, noProof))));
    }

    assertThat(seen).containsExactly("POW_MISSING", "POW_MISSING", "RATE_LIMITED");
  }

  @Test
  void aTicketHolderIsAnsweredWithTheirTicketHoweverOftenTheyAsk() {
    assertThat(outcomes(batch(new Attempt("ann", "10.0.0.1", "fp-ann", null))))
        .containsExactly("JOINED");

    assertThat(
            outcomes(
                batch(
                    new Attempt("ann", "10.0.0.1", "fp-ann", null),
                    new Attempt("ann", "10.0.0.1", "fp-ann", null),
                    new Attempt("ann", "10.0.0.1", "fp-ann", null))))
        .containsOnly("EXISTING");
  }
}
