package io.flashsale.inventory;

import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.antibot.RateLimitSketch;
import io.flashsale.antibot.RateLimits;
import io.flashsale.infra.Stores;
import io.flashsale.inventory.StockGate.Outcome;
import io.flashsale.support.Await;
import io.flashsale.support.ManualClock;
import io.flashsale.support.TestStores;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The Redis gate alone, against a real Redis. */
class StockGateTest {

  private static Vertx vertx;
  private static Redis redis;
  private static StockGate gate;

  /** Midnight, 2030: the start of a window of a minute; time moves only when a test says. */
  private static final ManualClock CLOCK = new ManualClock(Instant.parse("2030-01-01T00:00:00Z"));

  @BeforeAll
  static void connect() {
    vertx = Vertx.vertx();
    redis =
        Redis.createClient(
            vertx, Stores.redisOptions(TestStores.get().redisUrl(), "standalone", 4));
    gate =
        new StockGate(
            redis,
            new RateLimits(
                redis,
                new RateLimits.Settings(
                    new RateLimits.Limit(0, 0),
                    new RateLimits.Limit(0, 0),
                    new RateLimits.Limit(0, 0)),
                new RateLimitSketch("a test secret, as long as jwt.secret must be", CLOCK)));
    Await.result(gate.loadScripts());
  }

  @AfterAll
  static void close() {
    redis.close();
    Await.result(vertx.close());
  }

  @Test
  void neverGoesBelowZeroUnderConcurrentTakes() {
    String saleId = UUID.randomUUID().toString();
    Await.result(gate.loadIfAbsent(saleId, 10));
    List<Future<StockGate.Take>> takes = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      takes.add(take(saleId, "user-" + i, "", 1 + i % 3, 3, UUID.randomUUID().toString()));
    }
    Await.result(Future.all(takes));

    int taken = 0;
    for (int i = 0; i < takes.size(); i++) {
      if (takes.get(i).result().outcome() == Outcome.TAKEN) {
        taken += 1 + i % 3;
      }
    }
    assertThat(takes)
        .extracting(f -> f.result().outcome())
        .containsOnly(Outcome.TAKEN, Outcome.SOLD_OUT);
    assertThat(takes).allMatch(f -> f.result().number() >= 0);
    int remaining = Await.result(gate.stock(saleId));
    assertThat(remaining + taken).as("nothing lost, nothing invented").isEqualTo(10);
    assertThat(remaining).as("what is left is too little for any further ask").isBetween(0, 2);
  }

  @Test
  void checksTheBuyersOwnCountBeforeTheStock() {
    String saleId = UUID.randomUUID().toString();
    Await.result(gate.loadIfAbsent(saleId, 5));
    assertThat(Await.result(take(saleId, "ann", "", 2, 2, UUID.randomUUID().toString())).outcome())
        .isEqualTo(Outcome.TAKEN);

    StockGate.Take again =
        Await.result(take(saleId, "ann", "", 1, 2, UUID.randomUUID().toString()));

    assertThat(again).isEqualTo(new StockGate.Take(Outcome.LIMIT, 2, null));
    assertThat(Await.result(gate.stock(saleId))).isEqualTo(3);
    Await.result(giveBack(saleId, "ann", 2, ""));
    assertThat(Await.result(gate.stock(saleId))).isEqualTo(5);
    assertThat(Await.result(take(saleId, "ann", "", 2, 2, UUID.randomUUID().toString())).outcome())
        .isEqualTo(Outcome.TAKEN);
  }

  @Test
  void reloadsItsScriptsWhenRedisForgetsThem() {
    String saleId = UUID.randomUUID().toString();
    Await.result(gate.loadIfAbsent(saleId, 1));
    Await.result(redis.send(Request.cmd(Command.SCRIPT).arg("FLUSH")));

    assertThat(Await.result(take(saleId, "bob", "", 1, 1, UUID.randomUUID().toString())).outcome())
        .isEqualTo(Outcome.TAKEN);
    assertThat(Await.result(take(saleId, "cat", "", 1, 1, UUID.randomUUID().toString())).outcome())
        .isEqualTo(Outcome.SOLD_OUT);
  }

  @Test
  void aTakeIsInFlightUntilSettledAndItsUnitsComeBackOnlyOnce() {
    String saleId = UUID.randomUUID().toString();
    String orderId = UUID.randomUUID().toString();
    Await.result(gate.loadIfAbsent(saleId, 3));
    Await.result(take(saleId, "eve", "", 1, 1, orderId));
    assertThat(
            Await.result(
                    redis.send(
                        Request.cmd(Command.HEXISTS)
                            .arg("sale:{" + saleId + "}:inflight")
                            .arg(orderId)))
                .toInteger())
        .isEqualTo(1);

    assertThat(Await.result(giveBack(saleId, "eve", 1, orderId))).isEqualTo(3);
    assertThat(Await.result(giveBack(saleId, "eve", 1, orderId)))
        .as("a second return is refused")
        .isEqualTo(-2);
    assertThat(Await.result(gate.stock(saleId))).isEqualTo(3);
  }

  @Test
  void reportsAMissingCounterInsteadOfInventingStock() {
    String saleId = UUID.randomUUID().toString();

    assertThat(Await.result(take(saleId, "dan", "", 1, 1, UUID.randomUUID().toString())).outcome())
        .isEqualTo(Outcome.NOT_LOADED);
    assertThat(Await.result(giveBack(saleId, "dan", 1, ""))).isEqualTo(-1);
    assertThat(Await.result(gate.stock(saleId))).isEqualTo(-1);
  }

  @Test
  void aBatchTakesInArrivalOrderAndWritesEveryTakeInFlightInTheSameStep() {
    String saleId = UUID.randomUUID().toString();
    Await.result(gate.loadIfAbsent(saleId, 3));
    List<StockGate.Ask> asks = new ArrayList<>();
    for (String user : List.of("ann", "bob", "ann", "cat", "dan", "eve")) {
      asks.add(new StockGate.Ask(user, "", 1, 1, UUID.randomUUID().toString(), List.of()));
    }

    List<StockGate.Take> takes = Await.result(gate.takeAll(saleId, 1, asks));

    assertThat(takes)
        .extracting(StockGate.Take::outcome)
        .containsExactly(
            Outcome.TAKEN,
            Outcome.TAKEN,
            Outcome.LIMIT,
            Outcome.TAKEN,
            Outcome.SOLD_OUT,
            Outcome.SOLD_OUT);
    assertThat(takes).extracting(StockGate.Take::number).containsExactly(2L, 1L, 1L, 0L, 0L, 0L);
    for (int i : new int[] {0, 1, 3}) {
      assertThat(
              Await.result(
                      redis.send(
                          Request.cmd(Command.HGET)
                              .arg("sale:{" + saleId + "}:inflight")
                              .arg(asks.get(i).orderId())))
                  .toString())
          .as("in flight: " + asks.get(i).userId())
          .matches(asks.get(i).userId() + "\\|1\\|\\d{13}");
    }
    assertThat(
            Await.result(
                    redis.send(Request.cmd(Command.HLEN).arg("sale:{" + saleId + "}:inflight")))
                .toInteger())
        .as("only the takes are in flight")
        .isEqualTo(3);
  }

  @Test
  void aBatchCountsEveryAsksRateLimitsFirstAndRefusesThoseOverALimit() {
    String saleId = UUID.randomUUID().toString();
    Await.result(gate.loadIfAbsent(saleId, 10));
    // One address, 2 requests a minute: the third buyer from it is refused.
    RateLimits.Check ip = new RateLimits.Check(RateLimits.Dimension.IP, "10.0.0.1", 60_000, 2);
    List<StockGate.Ask> asks = new ArrayList<>();
    for (String user : List.of("ann", "bob", "cat")) {
      asks.add(
          new StockGate.Ask(
              user,
              "",
              1,
              1,
              UUID.randomUUID().toString(),
              List.of(new RateLimits.Check(RateLimits.Dimension.USER, user, 60_000, 1), ip)));
    }
    Await.result(
        redis.send(Request.cmd(Command.SADD).arg("sale:{" + saleId + "}:blacklist").arg("bob")));

    List<StockGate.Take> takes = Await.result(gate.takeAll(saleId, 1, asks));

    assertThat(takes)
        .extracting(StockGate.Take::outcome)
        .containsExactly(Outcome.TAKEN, Outcome.BLACKLISTED, Outcome.RATE_LIMITED);
    assertThat(takes.get(2).limited()).isEqualTo(new RateLimits.Refusal(ip, 60_000));
    assertThat(Await.result(gate.stock(saleId))).isEqualTo(9);
    assertThat(
            Await.result(
                    redis.send(
                        Request.cmd(Command.HMGET)
                            .arg("sale:{" + saleId + "}:rejections")
                            .arg("RATE_LIMITED")
                            .arg("BLACKLISTED")))
                .stream()
                .map(r -> r.toInteger())
                .toList())
        .containsExactly(1, 1);
  }

  @Test
  void givesBackSeveralTakesInOneCallEachOnlyOnce() {
    String saleId = UUID.randomUUID().toString();
    Await.result(gate.loadIfAbsent(saleId, 5));
    String first = UUID.randomUUID().toString();
    String second = UUID.randomUUID().toString();
    Await.result(take(saleId, "ann", "", 2, 2, first));
    Await.result(take(saleId, "bob", "", 1, 1, second));

    List<Integer> after =
        Await.result(
            gate.giveBackAll(
                saleId,
                List.of(
                    new StockGate.Return("ann", 2, first),
                    new StockGate.Return("bob", 1, second),
                    new StockGate.Return("ann", 2, first))));

    assertThat(after).containsExactly(4, 5, -2);
    assertThat(Await.result(gate.stock(saleId))).isEqualTo(5);
    assertThat(
            Await.result(redis.send(Request.cmd(Command.HLEN).arg("sale:{" + saleId + "}:buyers")))
                .toInteger())
        .as("nobody holds anything any more")
        .isZero();
  }

  /** One buyer's take with no rate limit, as a batch of one. */
  private static Future<StockGate.Take> take(
      String saleId, String userId, String device, int quantity, int limit, String orderId) {
    return gate.takeAll(
            saleId,
            1,
            List.of(new StockGate.Ask(userId, device, quantity, limit, orderId, List.of())))
        .map(takes -> takes.get(0));
  }

  private static Future<Integer> giveBack(
      String saleId, String userId, int quantity, String inflightOrderId) {
    return gate.giveBackAll(
            saleId, List.of(new StockGate.Return(userId, quantity, inflightOrderId)))
        .map(after -> after.get(0));
  }
}
