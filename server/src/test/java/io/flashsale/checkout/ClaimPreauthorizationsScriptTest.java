package io.flashsale.checkout;

import static io.flashsale.support.TestRedis.send;
import static io.flashsale.support.TestRedis.zscore;
import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.checkout.ClaimPreauthorizationsScript.Claim;
import io.flashsale.checkout.ClaimPreauthorizationsScript.Claimed;
import io.flashsale.infra.SaleKeys;
import io.flashsale.support.Await;
import io.flashsale.support.TestRedis;
import io.flashsale.waitingroom.Ticket;
import io.flashsale.waitingroom.TicketState;
import io.vertx.redis.client.Command;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code claim_preauthorizations.lua} alone, through its class, one behaviour per test. */
class ClaimPreauthorizationsScriptTest {

  private static final ClaimPreauthorizationsScript script =
      new ClaimPreauthorizationsScript(TestRedis.client());
  private static final long LEASE = 30_000;

  private final SaleKeys keys = new SaleKeys(UUID.randomUUID().toString());

  @AfterEach
  void forgetSale() {
    TestRedis.forgetSale(keys.saleId());
  }

  private List<Claimed> claim(int most, int buffer, int rate, long horizonSeconds) {
    return Await.result(script.run(keys, new Claim(most, LEASE, buffer, rate, horizonSeconds)));
  }

  /** Claims limited by nothing but {@code most}: plenty of stock, a fast line, a long horizon. */
  private List<Claimed> claim(int most) {
    return claim(most, 0, 1_000, 60);
  }

  /**
   * A buyer whose pre-authorisation waits to start, at {@code number} in its queue (0: the
   * pre-queue).
   */
  private void due(String user, long number) {
    send(
        Command.HSET,
        keys.tickets(),
        user,
        new Ticket("ticket-" + user, number, 2, TicketState.QUEUED, null, 0).encode());
    send(Command.HSET, keys.paymentMethods(), user, "card-" + user);
    send(Command.ZADD, keys.preauthQueue(), number, user);
  }

  private static List<String> users(List<Claimed> claimed) {
    return claimed.stream().map(Claimed::userId).toList();
  }

  @Test
  void claimsTheHeadOfTheQueueFirstWithWhatTheGatewayNeeds() {
    send(Command.SET, keys.stock(), 100);
    due("cat", 3);
    due("ann", 1);
    due("bob", 2);

    assertThat(claim(2))
        .containsExactly(
            new Claimed("ann", "ticket-ann", 2, "card-ann"),
            new Claimed("bob", "ticket-bob", 2, "card-bob"));
    assertThat(TestRedis.zrange(keys.preauthQueue())).containsExactly("cat");
  }

  @Test
  void holdsEachClaimUnderALeaseOnRedisClock() {
    send(Command.SET, keys.stock(), 100);
    due("ann", 1);
    long before = TestRedis.nowMillis();

    claim(1);

    assertThat(zscore(keys.preauthorizing(), "ann"))
        .isBetween(before + LEASE, TestRedis.nowMillis() + LEASE);
  }

  @Test
  void aLeaseThatRanOutPutsTheBuyerBackAtTheFront() {
    send(Command.SET, keys.stock(), 100);
    due("bob", 1);
    send(
        Command.HSET,
        keys.tickets(),
        "ann",
        new Ticket("ticket-ann", 2, 2, TicketState.QUEUED, null, 0).encode());
    send(Command.HSET, keys.paymentMethods(), "ann", "card-ann");
    send(Command.ZADD, keys.preauthorizing(), TestRedis.nowMillis() - 1, "ann");

    assertThat(users(claim(1))).containsExactly("ann");
    assertThat(zscore(keys.preauthorizing(), "ann"))
        .as("under a new lease")
        .isGreaterThan(TestRedis.nowMillis());
  }

  @Test
  void claimsOnlyBuyersWithinTwiceTheUnitsLeftAndTheBufferOfTheCursor() {
    send(Command.SET, keys.stock(), 2);
    send(Command.SET, keys.cursor(), 10);
    for (int number = 11; number <= 20; number++) {
      due("buyer-" + number, number);
    }

    // reach: cursor 10 + twice 2 units + a buffer of 1 = 15.
    assertThat(users(claim(100, 1, 1_000, 60)))
        .containsExactly("buyer-11", "buyer-12", "buyer-13", "buyer-14", "buyer-15");
  }

  @Test
  void claimsOnlyBuyersTheLineReachesWithinTheHorizon() {
    send(Command.SET, keys.stock(), 1_000);
    for (int number = 1; number <= 10; number++) {
      due("buyer-" + number, number);
    }

    // 2 admissions a second for 3 seconds: 6 places.
    assertThat(claim(100, 0, 2, 3)).hasSize(6);
  }

  @Test
  void theOperatorsRateOverridesTheSales() {
    send(Command.SET, keys.stock(), 1_000);
    send(Command.HSET, keys.control(), "rate", 1);
    for (int number = 1; number <= 10; number++) {
      due("buyer-" + number, number);
    }

    assertThat(claim(100, 0, 2, 3)).hasSize(3);
  }

  @Test
  void claimsPrequeueBuyersFirst() {
    send(Command.SET, keys.stock(), 1);
    due("bob", 1);
    due("ann", 0);

    assertThat(users(claim(1))).containsExactly("ann");
  }

  @Test
  void claimsNobodyWhenNothingIsLeft() {
    send(Command.SET, keys.stock(), 0);
    due("ann", 1);

    assertThat(claim(10)).as("reach is the cursor").isEmpty();
    assertThat(TestRedis.zrange(keys.preauthQueue())).containsExactly("ann");
  }
}
