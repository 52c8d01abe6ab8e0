package io.flashsale.inventory;

import static io.flashsale.support.TestRedis.get;
import static io.flashsale.support.TestRedis.hget;
import static io.flashsale.support.TestRedis.send;
import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.antibot.RateLimits;
import io.flashsale.infra.SaleKeys;
import io.flashsale.inventory.StockGate.Ask;
import io.flashsale.inventory.StockGate.Outcome;
import io.flashsale.inventory.StockGate.Take;
import io.flashsale.support.Await;
import io.flashsale.support.TestRedis;
import io.vertx.redis.client.Command;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code take_stock.lua} alone, through its class, one behaviour per test. */
class TakeStockScriptTest {

  private static final TakeStockScript script = new TakeStockScript(TestRedis.client());

  private final SaleKeys keys = new SaleKeys(UUID.randomUUID().toString());

  @AfterEach
  void forgetSale() {
    TestRedis.forgetSale(keys.saleId());
  }

  private List<Take> take(Ask... asks) {
    return take(Arrays.asList(new RateLimits.Refusal[asks.length]), asks);
  }

  /** {@code limited}: per ask, what its rate limits said (null: let through). */
  private List<Take> take(List<RateLimits.Refusal> limited, Ask... asks) {
    return Await.result(script.run(keys, List.of(asks), limited));
  }

  private static Ask ask(String user, int quantity, int limit, String orderId) {
    return new Ask(user, "", quantity, limit, orderId, List.of());
  }

  @Test
  void takesTheUnitsWhenEnoughAreLeftAndWritesTheTakeInFlightInTheSameStep() {
    send(Command.SET, keys.stock(), 5);
    long before = TestRedis.nowMillis();

    assertThat(take(ask("ann", 2, 3, "order-1"))).containsExactly(new Take(Outcome.TAKEN, 3, null));

    long after = TestRedis.nowMillis();
    assertThat(get(keys.stock())).isEqualTo("3");
    assertThat(hget(keys.buyers(), "ann")).isEqualTo("2");
    InFlight inFlight = InFlight.decode(hget(keys.inflight(), "order-1"));
    assertThat(inFlight.userId()).isEqualTo("ann");
    assertThat(inFlight.quantity()).isEqualTo(2);
    assertThat(inFlight.takenAtMillis()).as("Redis' clock").isBetween(before, after);
  }

  @Test
  void takesTheLastUnitsExactly() {
    send(Command.SET, keys.stock(), 2);

    assertThat(take(ask("ann", 2, 2, "order-1"))).containsExactly(new Take(Outcome.TAKEN, 0, null));
    assertThat(get(keys.stock())).isEqualTo("0");
  }

  @Test
  void refusesAnAskLargerThanWhatIsLeftAndTouchesNothing() {
    send(Command.SET, keys.stock(), 1);

    assertThat(take(ask("ann", 2, 5, "order-1")))
        .containsExactly(new Take(Outcome.SOLD_OUT, 1, null));
    assertThat(get(keys.stock())).isEqualTo("1");
    assertThat(hget(keys.buyers(), "ann")).isNull();
    assertThat(TestRedis.exists(keys.inflight())).isFalse();
  }

  @Test
  void refusesPastThePerBuyerLimitAnsweringTheUnitsAlreadyHeld() {
    send(Command.SET, keys.stock(), 10);
    send(Command.HSET, keys.buyers(), "ann", 2);

    assertThat(take(ask("ann", 2, 3, "order-1"))).containsExactly(new Take(Outcome.LIMIT, 2, null));
    assertThat(get(keys.stock())).as("an ineligible buyer never touches the stock").isEqualTo("10");
    assertThat(hget(keys.buyers(), "ann")).isEqualTo("2");
  }

  @Test
  void answersNotLoadedWhenTheCounterIsMissingAndCreatesNone() {
    assertThat(take(ask("ann", 1, 1, "order-1")))
        .containsExactly(new Take(Outcome.NOT_LOADED, 0, null));
    assertThat(TestRedis.exists(keys.stock())).isFalse();
    assertThat(TestRedis.exists(keys.inflight())).isFalse();
  }

  @Test
  void refusesAFlaggedAccountOrDeviceAndCountsEachRefusal() {
    send(Command.SET, keys.stock(), 10);
    send(Command.SADD, keys.blacklist(), "ann");
    send(Command.SADD, keys.blacklistedDevices(), "device-x");

    List<Take> takes =
        take(
            ask("ann", 1, 1, "order-1"),
            new Ask("bob", "device-x", 1, 1, "order-2", List.of()),
            new Ask("cat", "device-y", 1, 1, "order-3", List.of()));

    assertThat(takes)
        .containsExactly(
            new Take(Outcome.BLACKLISTED, 0, null),
            new Take(Outcome.BLACKLISTED_DEVICE, 0, null),
            new Take(Outcome.TAKEN, 9, null));
    assertThat(hget(keys.rejections(), "BLACKLISTED")).isEqualTo("1");
    assertThat(hget(keys.rejections(), "BLACKLISTED_DEVICE")).isEqualTo("1");
    assertThat(get(keys.stock())).isEqualTo("9");
  }

  @Test
  void refusesAnAskItsRateLimitsRefusedBeforeItsBlacklistOrTheStock() {
    send(Command.SET, keys.stock(), 10);
    send(Command.SADD, keys.blacklist(), "ann");
    RateLimits.Refusal tooMany =
        new RateLimits.Refusal(
            new RateLimits.Check(RateLimits.Dimension.USER, "ann", 2_000, 10), 1_200);

    List<Take> takes =
        take(
            Arrays.asList(null, tooMany),
            new Ask("bob", "", 1, 5, "order-1", List.of()),
            new Ask("ann", "", 1, 5, "order-2", List.of()));

    assertThat(takes)
        .containsExactly(
            new Take(Outcome.TAKEN, 9, null), new Take(Outcome.RATE_LIMITED, 0, tooMany));
    assertThat(hget(keys.rejections(), "RATE_LIMITED")).isEqualTo("1");
    assertThat(hget(keys.rejections(), "BLACKLISTED")).isNull();
    assertThat(hget(keys.inflight(), "order-2")).isNull();
  }

  @Test
  void answersEachBuyerOfABatchInArrivalOrder() {
    send(Command.SET, keys.stock(), 3);

    List<Take> takes =
        take(
            ask("ann", 2, 2, "order-1"),
            ask("bob", 2, 2, "order-2"),
            ask("cat", 1, 1, "order-3"),
            ask("ann", 1, 2, "order-4"));

    assertThat(takes)
        .containsExactly(
            new Take(Outcome.TAKEN, 1, null),
            new Take(Outcome.SOLD_OUT, 1, null),
            new Take(Outcome.TAKEN, 0, null),
            new Take(Outcome.LIMIT, 2, null));
    assertThat(get(keys.stock())).isEqualTo("0");
    assertThat(hget(keys.buyers(), "bob")).isNull();
    assertThat(send(Command.HKEYS, keys.inflight()).stream().map(Object::toString).toList())
        .containsExactlyInAnyOrder("order-1", "order-3");
  }
}
