package io.flashsale.inventory;

import static io.flashsale.support.TestRedis.get;
import static io.flashsale.support.TestRedis.hget;
import static io.flashsale.support.TestRedis.send;
import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.infra.SaleKeys;
import io.flashsale.inventory.ReturnStockScript.Outcome;
import io.flashsale.inventory.ReturnStockScript.Returned;
import io.flashsale.inventory.StockGate.Return;
import io.flashsale.support.Await;
import io.flashsale.support.TestRedis;
import io.vertx.redis.client.Command;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code return_stock.lua} alone, through its class, one behaviour per test. */
class ReturnStockScriptTest {

  private static final ReturnStockScript script = new ReturnStockScript(TestRedis.client());

  private final SaleKeys keys = new SaleKeys(UUID.randomUUID().toString());

  @AfterEach
  void forgetSale() {
    TestRedis.forgetSale(keys.saleId());
  }

  private List<Returned> giveBack(Return... returns) {
    return Await.result(script.run(keys, List.of(returns)));
  }

  /** What take_stock.lua leaves after {@code user} took {@code quantity} for {@code orderId}. */
  private void taken(String user, int quantity, String orderId) {
    send(Command.HINCRBY, keys.buyers(), user, quantity);
    send(
        Command.HSET,
        keys.inflight(),
        orderId,
        new InFlight(user, quantity, 1_700_000_000_000L).encode());
  }

  @Test
  void putsTheUnitsBackAndClosesTheirInFlightEntry() {
    send(Command.SET, keys.stock(), 3);
    taken("ann", 2, "order-1");

    assertThat(giveBack(new Return("ann", 2, "order-1")))
        .containsExactly(new Returned(Outcome.RETURNED, 5));

    assertThat(get(keys.stock())).isEqualTo("5");
    assertThat(hget(keys.inflight(), "order-1")).isNull();
    assertThat(hget(keys.buyers(), "ann")).as("a buyer who holds nothing leaves the hash").isNull();
  }

  @Test
  void putsAnInFlightTakeBackOnlyOnce() {
    send(Command.SET, keys.stock(), 3);
    taken("ann", 2, "order-1");
    giveBack(new Return("ann", 2, "order-1"));

    assertThat(giveBack(new Return("ann", 2, "order-1")))
        .containsExactly(new Returned(Outcome.ALREADY_SETTLED, 0));

    assertThat(get(keys.stock())).isEqualTo("5");
  }

  @Test
  void lowersTheBuyersCountByTheUnitsReturnedOnly() {
    send(Command.SET, keys.stock(), 0);
    taken("ann", 1, "order-1");
    taken("ann", 2, "order-2");

    assertThat(giveBack(new Return("ann", 1, "order-1")))
        .containsExactly(new Returned(Outcome.RETURNED, 1));

    assertThat(hget(keys.buyers(), "ann")).isEqualTo("2");
    assertThat(hget(keys.inflight(), "order-2"))
        .as("another take of the same buyer stays in flight")
        .isNotNull();
  }

  @Test
  void aReleasedOrderNeedsNoInFlightEntry() {
    send(Command.SET, keys.stock(), 0);
    send(Command.HSET, keys.buyers(), "ann", 2);

    assertThat(giveBack(new Return("ann", 2, "")))
        .containsExactly(new Returned(Outcome.RETURNED, 2));

    assertThat(hget(keys.buyers(), "ann")).isNull();
  }

  @Test
  void answersNotLoadedWhenTheCounterIsMissingAndInventsNoStock() {
    taken("ann", 2, "order-1");

    assertThat(giveBack(new Return("ann", 2, "order-1")))
        .containsExactly(new Returned(Outcome.NOT_LOADED, 0));

    assertThat(TestRedis.exists(keys.stock()))
        .as("the rebuild from the database counts these units")
        .isFalse();
    assertThat(hget(keys.inflight(), "order-1")).as("the take is settled all the same").isNull();
    assertThat(hget(keys.buyers(), "ann")).isNull();
  }

  @Test
  void answersEachReturnOfABatchInOrder() {
    send(Command.SET, keys.stock(), 3);
    taken("ann", 1, "order-1");
    taken("bob", 2, "order-2");

    List<Returned> returned =
        giveBack(
            new Return("ann", 1, "order-1"),
            new Return("ann", 1, "order-1"),
            new Return("bob", 2, "order-2"));

    assertThat(returned)
        .containsExactly(
            new Returned(Outcome.RETURNED, 4),
            new Returned(Outcome.ALREADY_SETTLED, 0),
            new Returned(Outcome.RETURNED, 6));
    assertThat(send(Command.HLEN, keys.buyers()).toInteger()).isZero();
  }
}
