package io.flashsale.antibot;

import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.antibot.RateLimits.Check;
import io.flashsale.antibot.RateLimits.Dimension;
import io.flashsale.antibot.RateLimits.Limit;
import io.flashsale.antibot.RateLimits.Refusal;
import io.flashsale.antibot.RateLimits.Settings;
import io.flashsale.infra.SaleKeys;
import io.flashsale.support.Await;
import io.flashsale.support.ManualClock;
import io.flashsale.support.TestRedis;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The rate limits counted in the sale's sketch ({@link RateLimitSketch}) against a real Redis, one
 * behaviour per test. Time is a manual clock that starts where every window the tests use starts.
 */
class RateLimitsTest {

  private static final String SECRET = "a test secret, as long as jwt.secret must be";

  /** Midnight, 2030: a multiple of every window length below. */
  private final ManualClock clock = new ManualClock(Instant.parse("2030-01-01T00:00:00Z"));

  /** The defaults of conf/flashsale.properties. */
  private final RateLimits limits =
      new RateLimits(
          TestRedis.client(),
          new Settings(new Limit(5, 10), new Limit(20, 40), new Limit(5, 10)),
          new RateLimitSketch(SECRET, clock));

  private final SaleKeys keys = new SaleKeys(UUID.randomUUID().toString());

  @AfterEach
  void forgetSale() {
    TestRedis.forgetSale(keys.saleId());
  }

  /** One request with these limits: its refusal, or null. */
  private Refusal count(Check... checks) {
    return Await.result(limits.count(keys, 1, List.of(List.of(checks)))).get(0);
  }

  private static Check perMinute(Dimension dimension, String subject, int allowance) {
    return new Check(dimension, subject, 60_000, allowance);
  }

  @Test
  void letsTheAllowanceThroughThenRefusesUntilTheWindowEnds() {
    Check ip = perMinute(Dimension.IP, "10.0.0.1", 3);
    for (int i = 0; i < 3; i++) {
      assertThat(count(ip)).isNull();
    }

    assertThat(count(ip)).isEqualTo(new Refusal(ip, 60_000));
    clock.advance(Duration.ofSeconds(15));
    assertThat(count(ip))
        .as("the wait is what is left of the window")
        .isEqualTo(new Refusal(ip, 45_000));
  }

  @Test
  void theNextWindowStartsAfresh() {
    Check ip = perMinute(Dimension.IP, "10.0.0.1", 2);
    count(ip);
    count(ip);
    assertThat(count(ip)).isNotNull();

    clock.advance(Duration.ofMinutes(1));

    assertThat(count(ip)).isNull();
    assertThat(count(ip)).isNull();
    assertThat(count(ip)).as("and holds to its allowance again").isNotNull();
  }

  @Test
  void aRefusedRequestStillCountsAgainstEveryLimitItCarries() {
    Check address = perMinute(Dimension.IP, "10.0.0.1", 2);
    assertThat(count(perMinute(Dimension.USER, "ann", 1), address)).isNull();

    Refusal refused = count(perMinute(Dimension.USER, "ann", 1), address);

    assertThat(refused.check().dimension()).isEqualTo(Dimension.USER);
    assertThat(count(perMinute(Dimension.USER, "bob", 1), address))
        .as("ann's refused request took the address' second request")
        .isEqualTo(new Refusal(address, 60_000));
  }

  @Test
  void namesTheLimitThatMakesTheRequestWaitLongest() {
    Check device = new Check(Dimension.DEVICE, "fp-1", 10_000, 1);
    Check user = perMinute(Dimension.USER, "ann", 1);
    count(device, user);

    assertThat(count(device, user)).isEqualTo(new Refusal(user, 60_000));
    assertThat(count(user, device)).isEqualTo(new Refusal(user, 60_000));
  }

  @Test
  void countsTheRequestsOfABatchInArrivalOrder() {
    Check ip = perMinute(Dimension.IP, "10.0.0.1", 2);
    Check other = perMinute(Dimension.IP, "10.0.0.2", 2);

    List<Refusal> refusals =
        Await.result(
            limits.count(
                keys,
                1,
                List.of(List.of(ip), List.of(other), List.of(ip), List.of(), List.of(ip))));

    assertThat(refusals).containsExactly(null, null, null, null, new Refusal(ip, 60_000));
  }

  @Test
  void fiftyThousandDistinctBuyersEachOnceAreAllLetThroughAndOneWhoKeepsOnIsNot() {
    // The defaults: 10 requests per window of 2 s per user and device, 40 per address.
    List<List<Check>> requests = new ArrayList<>();
    for (int i = 0; i < 50_000; i++) {
      requests.add(limits.checks("user-" + i, address(i), "fp-" + i));
    }

    List<Refusal> refusals = new ArrayList<>();
    for (int from = 0; from < requests.size(); from += 1_000) {
      refusals.addAll(Await.result(limits.count(keys, 1, requests.subList(from, from + 1_000))));
    }

    assertThat(refusals).hasSize(50_000).containsOnlyNulls();
    // A counter shared with other devices only refuses sooner.
    Refusal refused = null;
    for (int again = 0; again < 10 && refused == null; again++) {
      refused = count(limits.checks("", "", "fp-0").toArray(Check[]::new));
    }
    assertThat(refused).as("by its eleventh request").isNotNull();
    assertThat(refused.check().subject()).isEqualTo("fp-0");
    assertThat(refused.retryAfterMillis()).isEqualTo(2_000);
  }

  private static String address(int i) {
    return "10." + (i >> 16) + "." + (i >> 8 & 255) + "." + (i & 255);
  }

  /**
   * A one-shard line's strings are in the sale's own slot, where its join script counts them; a
   * sharded line's have a slot per dimension.
   */
  @ParameterizedTest
  @ValueSource(ints = {1, 3})
  void keepsOneStringPerDimensionAndWindowThatExpiresSoonAfterTheWindow(int lineShards) {
    for (int i = 0; i < 1_000; i++) {
      Await.result(
          limits.count(
              keys,
              lineShards,
              List.of(limits.checks("user-" + i, "10.0.0." + (i & 255), "fp-" + i))));
    }

    // Every key of the sale: its own slot's and those of slots tagged for it ({<id>#...}).
    Set<String> ownSlot = keysMatching("sale:{" + keys.saleId() + "}:*");
    Set<String> tagged = keysMatching("sale:{" + keys.saleId() + "#*}:*");
    long window = clock.millis() / 2_000;
    String ip = keys.rateLimits(lineShards, "ip", "u8", 2_000, window);
    assertThat(lineShards == 1 ? ownSlot : tagged)
        .containsExactlyInAnyOrder(
            keys.rateLimits(lineShards, "user", "u4", 2_000, window),
            ip,
            keys.rateLimits(lineShards, "device", "u4", 2_000, window));
    assertThat(lineShards == 1 ? tagged : ownSlot).isEmpty();
    if (lineShards == 1) {
      assertThat(ip).startsWith("sale:{" + keys.saleId() + "}:");
    }
    assertThat(TestRedis.send(Command.STRLEN, ip).toLong())
        .as("a counter of 8 bits per column of the row, at most")
        .isLessThanOrEqualTo(1L << RateLimitSketch.WIDTH_BITS);
    assertThat(TestRedis.send(Command.PTTL, ip).toLong())
        .as("the window's 2 s and a second for slow clocks")
        .isBetween(1L, 3_000L);
  }

  private static Set<String> keysMatching(String pattern) {
    Set<String> found = new HashSet<>();
    String cursor = "0";
    do {
      Response page = TestRedis.send(Command.SCAN, cursor, "MATCH", pattern);
      cursor = page.get(0).toString();
      page.get(1).forEach(key -> found.add(key.toString()));
    } while (!cursor.equals("0"));
    return found;
  }

  @Test
  void takeRefusesARequestPastItsBurstWithWhenToTryAgain() {
    for (int i = 0; i < 10; i++) {
      Await.result(limits.take(keys.saleId(), 1, "ann", "10.0.0.1", ""));
    }

    Throwable refused =
        Await.result(
            limits
                .take(keys.saleId(), 1, "ann", "10.0.0.1", "")
                .transform(taken -> Future.succeededFuture(taken.cause())));

    assertThat(refused)
        .isInstanceOfSatisfying(
            Rejection.RejectedException.class,
            limited -> {
              assertThat(limited.reason()).isEqualTo(Rejection.RATE_LIMITED);
              assertThat(limited.retryAfterSeconds()).isEqualTo(2);
              assertThat(limited.getMessage()).contains("this user");
            });
  }

  @Test
  void placesASubjectAnewInEveryWindowAndUnderEverySecret() {
    RateLimitSketch sketch = new RateLimitSketch(SECRET, clock);
    RateLimitSketch another = new RateLimitSketch(SECRET + "!", clock);
    int moved = 0;
    int elsewhere = 0;
    for (int i = 0; i < 100; i++) {
      Check check = perMinute(Dimension.IP, "10.0.0." + i, 1);
      List<String> cells = sketch.cells(keys.saleId(), check, 7);
      assertThat(sketch.cells(keys.saleId(), check, 7)).isEqualTo(cells);
      moved += sketch.cells(keys.saleId(), check, 8).equals(cells) ? 0 : 1;
      elsewhere += another.cells(keys.saleId(), check, 7).equals(cells) ? 0 : 1;
    }

    // Two subjects share a column with odds of one in a million.
    assertThat(moved).isGreaterThanOrEqualTo(99);
    assertThat(elsewhere).isGreaterThanOrEqualTo(99);
  }
}
