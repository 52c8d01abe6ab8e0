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
import io.vertx.redis.client.Command;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Joins as the waiting room sends them: every join of a batch counts against its rate limits (the
 * sale's sketch) and the join script refuses those over a limit; on a one-slot line the script
 * counts them itself, on a sharded line the instance counts them first. Each test runs with one
 * line shard and with three. Real Redis; time is a manual clock, so no window ends during a test.
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

  private FlashSale sale = sale(1);

  private static FlashSale sale(int lineShards) {
    return new FlashSale(
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
        lineShards,
        Instant.parse("2029-01-01T00:00:00Z"),
        Instant.parse("2029-01-01T00:00:00Z"));
  }

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

  @ParameterizedTest(name = "{0} line shard(s)")
  @ValueSource(ints = {1, 3})
  void aBatchCountsItsJoinsInArrivalOrderAndRefusesThoseOverALimit(int lineShards) {
    sale = sale(lineShards);
    List<JoinResult> results =
        batch(
            new Attempt("ann", "10.0.0.1", "fp-ann", null),
            new Attempt("bob", "10.0.0.1", "fp-bob", null),
            new Attempt("cat", "10.0.0.1", "fp-cat", null),
            new Attempt("dan", "10.0.0.2", "fp-dan", null));

    // One slot: one batch, counted in arrival order. Three shards: a batch per shard, each counted
    // in a round trip of its own, in whichever order they reach Redis: one of the three is refused.
    List<String> outcomes = outcomes(results);
    if (lineShards == 1) {
      assertThat(outcomes).containsExactly("JOINED", "JOINED", "RATE_LIMITED", "JOINED");
    } else {
      assertThat(outcomes.subList(0, 3))
          .containsExactlyInAnyOrder("JOINED", "JOINED", "RATE_LIMITED");
      assertThat(outcomes.get(3)).isEqualTo("JOINED");
    }
    int refused = outcomes.indexOf("RATE_LIMITED");
    RateLimits.Refusal limited = results.get(refused).limited();
    assertThat(limited.check().dimension()).isEqualTo(RateLimits.Dimension.IP);
    assertThat(limited.check().subject()).isEqualTo("10.0.0.1");
    assertThat(limited.retryAfterMillis()).isEqualTo(2_000);
    // Counted where the script can reach them: the sale's own slot on a one-slot line.
    long window = Instant.parse("2030-01-01T00:00:00Z").toEpochMilli() / 2_000;
    String counters = new SaleKeys(sale.saleId()).rateLimits(lineShards, "ip", "u4", 2_000, window);
    assertThat(counters)
        .startsWith(
            lineShards == 1
                ? "sale:{" + sale.saleId() + "}:"
                : "sale:{" + sale.saleId() + "#rl-ip}:");
    assertThat(TestRedis.send(Command.EXISTS, counters).toLong()).isOne();
    String user = List.of("ann", "bob", "cat").get(refused);
    assertThat(
            TestRedis.hget(
                new SaleKeys(sale.saleId()).lineOf(user, lineShards).rejections(), "RATE_LIMITED"))
        .isEqualTo("1");
  }

  /**
   * A buyer with no device carries no device limit: nothing counts for them there, and no counter
   * there can refuse them (the script is handed a no-op on the first counter for them).
   */
  @ParameterizedTest(name = "{0} line shard(s)")
  @ValueSource(ints = {1, 3})
  void aJoinWithoutADeviceIsNotCountedOrRefusedByTheDeviceLimit(int lineShards) {
    sale = sale(lineShards);
    long window = Instant.parse("2030-01-01T00:00:00Z").toEpochMilli() / 2_000;
    String devices =
        new SaleKeys(sale.saleId()).rateLimits(lineShards, "device", "u4", 2_000, window);
    TestRedis.send(Command.BITFIELD, devices, "SET", "u4", "#0", "15");

    List<JoinResult> results =
        batch(
            new Attempt("ann", "10.0.0.1", "", null),
            new Attempt("bob", "10.0.0.2", "fp-bob", null),
            new Attempt("cat", "10.0.0.3", "", null));

    assertThat(outcomes(results)).containsExactly("JOINED", "JOINED", "JOINED");
    assertThat(TestRedis.send(Command.BITCOUNT, devices).toLong())
        .as("the full first counter (4 bits) and bob's, at 1")
        .isEqualTo(5);
  }

  @ParameterizedTest(name = "{0} line shard(s)")
  @ValueSource(ints = {1, 3})
  void aJoinRefusedForItsProofOfWorkStillCountsAgainstItsLimits(int lineShards) {
    sale = sale(lineShards);
    Rejection.RejectedException noProof = Rejection.POW_MISSING.exception("no proof");

    List<String> seen = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      seen.addAll(outcomes(batch(new Attempt("ann", "10.0.0." + i, "fp-" + i, noProof))));
    }

    assertThat(seen).containsExactly("POW_MISSING", "POW_MISSING", "RATE_LIMITED");
  }

  @ParameterizedTest(name = "{0} line shard(s)")
  @ValueSource(ints = {1, 3})
  void aTicketHolderIsAnsweredWithTheirTicketHoweverOftenTheyAsk(int lineShards) {
    sale = sale(lineShards);
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
