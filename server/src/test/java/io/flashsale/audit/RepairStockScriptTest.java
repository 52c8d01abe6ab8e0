package io.flashsale.audit;

import static io.flashsale.support.TestRedis.get;
import static io.flashsale.support.TestRedis.send;
import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.infra.SaleKeys;
import io.flashsale.inventory.InFlight;
import io.flashsale.support.Await;
import io.flashsale.support.TestRedis;
import io.vertx.redis.client.Command;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code repair_stock.lua} alone, through its class, one behaviour per test. */
class RepairStockScriptTest {

  private static final RepairStockScript script = new RepairStockScript(TestRedis.client());

  private final SaleKeys keys = new SaleKeys(UUID.randomUUID().toString());

  @AfterEach
  void forgetSale() {
    TestRedis.forgetSale(keys.saleId());
  }

  private void repair(long unsold, String... written) {
    Await.result(script.run(keys, unsold, List.of(written)));
  }

  private void inFlight(String orderId, String user, int quantity) {
    send(
        Command.HSET,
        keys.inflight(),
        orderId,
        new InFlight(user, quantity, 1_700_000_000_000L).encode());
  }

  @Test
  void setsTheStockToWhatTheDatabaseHasNotSold() {
    send(Command.SET, keys.stock(), 50);

    repair(10);

    assertThat(get(keys.stock())).as("the database wins").isEqualTo("10");
  }

  @Test
  void leavesOutWhatIsInFlight() {
    inFlight("order-1", "ann", 2);
    inFlight("order-2", "bob", 1);

    repair(10);

    assertThat(get(keys.stock())).isEqualTo("7");
    assertThat(send(Command.HLEN, keys.inflight()).toInteger())
        .as("the entries stay to be settled")
        .isEqualTo(2);
  }

  @Test
  void doesNotLeaveOutTwiceATakeTheDatabaseAlreadyCounts() {
    inFlight("order-1", "ann", 2);
    inFlight("order-2", "bob", 1);

    repair(10, "order-1");

    assertThat(get(keys.stock())).isEqualTo("9");
  }

  @Test
  void readsEachEntrysQuantityEvenWhenTheUserIdHoldsTheSeparator() {
    inFlight("order-1", "odd|user", 3);

    repair(10);

    assertThat(get(keys.stock())).isEqualTo("7");
  }

  @Test
  void neverSetsANegativeStock() {
    inFlight("order-1", "ann", 3);

    repair(1);

    assertThat(get(keys.stock())).isEqualTo("0");
  }
}
