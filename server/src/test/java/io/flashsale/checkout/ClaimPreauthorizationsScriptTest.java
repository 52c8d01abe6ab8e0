package io.flashsale.checkout;

import static io.flashsale.support.TestRedis.get;
import static io.flashsale.support.TestRedis.send;
import static io.flashsale.support.TestRedis.zscore;
import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.checkout.ClaimPreauthorizationsScript.Claim;
import io.flashsale.checkout.ClaimPreauthorizationsScript.Claimed;
import io.flashsale.infra.SaleKeys;
import io.flashsale.support.Await;
import io.flashsale.support.TestLine;
import io.flashsale.support.TestRedis;
import io.flashsale.waitingroom.Ticket;
import io.flashsale.waitingroom.Ticket.Payment;
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
  private final TestLine line = new TestLine(keys);

  @AfterEach
  void forgetSale() {
    TestRedis.forgetSale(keys.saleId());
  }

  private List<Claimed> claim(int most, int buffer, int rate, long horizonSeconds) {
    return Await.result(
        script.run(keys.line(0, 1), new Claim(most, LEASE, buffer, rate, horizonSeconds)));
  }

  /** Claims limited by nothing but {@code most}: plenty of stock, a fast line, a long horizon. */
  private List<Claimed> claim(int most) {
    return claim(most, 0, 1_000, 60);
  }

  private void ticket(String user, long number, Payment payment) {
    line.holds(
        user,
        new Ticket(
            "ticket-" + user, number, 2, TicketState.QUEUED, null, 0, payment, 0, "card-" + user));
  }

  /**
   * A buyer waiting in line under {@code number} whose card's pre-authorisation has not started, as
   * join_queue.lua leaves them: the walk of the line finds them.
   */
  private void inLine(String user, long number) {
    inLine(user, number, Payment.WAITING);
  }

  private void inLine(String user, long number, Payment payment) {
    ticket(user, number, payment);
    line.waiting(user, number);
  }

  /** A pre-queue buyer, not numbered yet: their pre-authorisation waits in authq, at the front. */
  private void inPrequeue(String user) {
    ticket(user, 0, Payment.WAITING);
    send(Command.ZADD, keys.line(0, 1).preauthQueue(), 0, user);
  }

  private long claimedTo() {
    String claimedTo = get(keys.line(0, 1).claimedTo());
    return claimedTo == null ? 0 : Long.parseLong(claimedTo);
  }

  private static List<String> users(List<Claimed> claimed) {
    return claimed.stream().map(Claimed::userId).toList();
  }

  @Test
  void claimsTheHeadOfTheLineFirstWithWhatTheGatewayNeeds() {
    send(Command.SET, keys.stock(), 100);
    inLine("cat", 3);
    inLine("ann", 1);
    inLine("bob", 2);

    assertThat(claim(2))
        .containsExactly(
            new Claimed("ann", "ticket-ann", 2, "card-ann"),
            new Claimed("bob", "ticket-bob", 2, "card-bob"));
    assertThat(line.ticket("ann").payment()).isEqualTo(Payment.AUTHORIZING);
    assertThat(line.ticket("bob").payment()).isEqualTo(Payment.AUTHORIZING);
    assertThat(line.ticket("cat").payment()).isEqualTo(Payment.WAITING);
    assertThat(claimedTo()).as("the walk remembers how far it got").isEqualTo(2);
    assertThat(line.inLine()).as("claiming moves nobody").containsExactly("ann", "bob", "cat");
  }

  @Test
  void holdsEachClaimUnderALeaseOnRedisClock() {
    send(Command.SET, keys.stock(), 100);
    inLine("ann", 1);
    long before = TestRedis.nowMillis();

    claim(1);

    assertThat(zscore(keys.line(0, 1).preauthorizing(), "ann"))
        .isBetween(before + LEASE, TestRedis.nowMillis() + LEASE);
  }

  @Test
  void walksOnFromWhereItStoppedAndClaimsNobodyTwice() {
    send(Command.SET, keys.stock(), 100);
    for (int number = 1; number <= 5; number++) {
      inLine("buyer-" + number, number);
    }

    assertThat(users(claim(2))).containsExactly("buyer-1", "buyer-2");
    assertThat(users(claim(2))).containsExactly("buyer-3", "buyer-4");
    assertThat(users(claim(10))).containsExactly("buyer-5");
    assertThat(claimedTo()).as("no further than the last number handed out").isEqualTo(5);
    assertThat(claim(10)).isEmpty();

    send(Command.SET, keys.line(0, 1).claimedTo(), 0);
    assertThat(claim(10)).as("a card already being authorised is not claimed again").isEmpty();

    inLine("buyer-6", 6);
    assertThat(users(claim(10))).as("new numbers are walked to").containsExactly("buyer-6");
  }

  @Test
  void theWalkSkipsNumbersOutOfLineAndCardsAlreadyStartedOrAuthorised() {
    send(Command.SET, keys.stock(), 100);
    ticket("left", 1, Payment.WAITING);
    line.numbered("left", 1);
    inLine("ann", 2);
    ticket("away", 3, Payment.WAITING);
    line.numbered("away", 3);
    inLine("authorised", 4, Payment.AUTHORIZED);
    inLine("running", 5, Payment.AUTHORIZING);
    inLine("bob", 6);

    assertThat(users(claim(10))).containsExactly("ann", "bob");
    assertThat(claimedTo()).isEqualTo(6);
    assertThat(line.ticket("away").payment())
        .as("left to authq when they come back")
        .isEqualTo(Payment.WAITING);
  }

  @Test
  void aStepLooksAtNoMoreThanFourTimesWhatItMayClaimAndCarriesOnNextTime() {
    send(Command.SET, keys.stock(), 100);
    for (int number = 1; number <= 9; number++) {
      inLine("paid-" + number, number, Payment.AUTHORIZED);
    }
    inLine("ann", 10);

    assertThat(claim(1)).isEmpty();
    assertThat(claimedTo()).isEqualTo(4);
    assertThat(claim(1)).isEmpty();
    assertThat(claimedTo()).isEqualTo(8);
    assertThat(users(claim(1))).containsExactly("ann");
  }

  @Test
  void aLeaseThatRanOutIsRetriedFirst() {
    send(Command.SET, keys.stock(), 100);
    inLine("bob", 1);
    inLine("ann", 2, Payment.AUTHORIZING);
    send(Command.ZADD, keys.line(0, 1).preauthorizing(), TestRedis.nowMillis() - 1, "ann");

    assertThat(users(claim(1))).containsExactly("ann");
    assertThat(zscore(keys.line(0, 1).preauthorizing(), "ann"))
        .as("under a new lease")
        .isGreaterThan(TestRedis.nowMillis());
    assertThat(line.ticket("ann").payment()).isEqualTo(Payment.AUTHORIZING);
    assertThat(TestRedis.exists(keys.line(0, 1).preauthQueue())).isFalse();
    assertThat(line.ticket("bob").payment()).isEqualTo(Payment.WAITING);
  }

  @Test
  void aLeaseThatRanOutWaitsAtTheFrontUntilItCanBeClaimedAgain() {
    send(Command.SET, keys.stock(), 100);
    inLine("ann", 1, Payment.AUTHORIZING);
    inLine("cat", 2, Payment.AUTHORIZING);
    send(Command.ZADD, keys.line(0, 1).preauthorizing(), TestRedis.nowMillis() - 1, "ann");
    send(Command.ZADD, keys.line(0, 1).preauthorizing(), TestRedis.nowMillis() - 1, "cat");
    send(Command.SET, keys.line(0, 1).claimedTo(), 2);

    assertThat(users(claim(1))).containsExactly("ann");

    assertThat(zscore(keys.line(0, 1).preauthQueue(), "cat")).as("back at the front").isZero();
    assertThat(zscore(keys.line(0, 1).preauthorizing(), "cat")).isNull();
    assertThat(line.ticket("cat").payment()).as("not started again yet").isEqualTo(Payment.WAITING);
    assertThat(users(claim(1))).containsExactly("cat");
  }

  @Test
  void aLeaseThatRanOutAfterItsAnswerCameIsNotRetried() {
    send(Command.SET, keys.stock(), 100);
    inLine("ann", 1, Payment.AUTHORIZED);
    send(Command.ZADD, keys.line(0, 1).preauthorizing(), TestRedis.nowMillis() - 1, "ann");
    send(Command.SET, keys.line(0, 1).claimedTo(), 1);

    assertThat(claim(10)).isEmpty();
    assertThat(zscore(keys.line(0, 1).preauthorizing(), "ann")).isNull();
    assertThat(TestRedis.exists(keys.line(0, 1).preauthQueue())).isFalse();
    assertThat(line.ticket("ann").payment()).isEqualTo(Payment.AUTHORIZED);
  }

  @Test
  void aBuyerBackFromBeingAwayBehindTheWalkIsClaimedFromAuthq() {
    send(Command.SET, keys.stock(), 100);
    send(Command.SET, keys.line(0, 1).claimedTo(), 5);
    inLine("ann", 3);
    send(Command.ZADD, keys.line(0, 1).preauthQueue(), 3, "ann");
    inLine("bob", 6);

    assertThat(users(claim(10))).containsExactly("ann", "bob");
    assertThat(TestRedis.exists(keys.line(0, 1).preauthQueue())).isFalse();
  }

  @Test
  void claimsOnlyBuyersWithinTwiceTheUnitsLeftAndTheBufferOfTheCursor() {
    send(Command.SET, keys.stock(), 2);
    send(Command.SET, keys.line(0, 1).cursor(), 10);
    for (int number = 11; number <= 20; number++) {
      inLine("buyer-" + number, number);
    }

    // reach: cursor 10 + twice 2 units + a buffer of 1 = 15.
    assertThat(users(claim(100, 1, 1_000, 60)))
        .containsExactly("buyer-11", "buyer-12", "buyer-13", "buyer-14", "buyer-15");
    assertThat(claimedTo()).isEqualTo(15);
  }

  @Test
  void claimsOnlyBuyersTheLineReachesWithinTheHorizon() {
    send(Command.SET, keys.stock(), 1_000);
    for (int number = 1; number <= 10; number++) {
      inLine("buyer-" + number, number);
    }

    // 2 admissions a second for 3 seconds: 6 places.
    assertThat(claim(100, 0, 2, 3)).hasSize(6);
  }

  @Test
  void theOperatorsRateOverridesTheSales() {
    send(Command.SET, keys.stock(), 1_000);
    send(Command.HSET, keys.control(), "rate", 1);
    for (int number = 1; number <= 10; number++) {
      inLine("buyer-" + number, number);
    }

    assertThat(claim(100, 0, 2, 3)).hasSize(3);
  }

  @Test
  void claimsPrequeueBuyersFirst() {
    send(Command.SET, keys.stock(), 1);
    inLine("bob", 1);
    inPrequeue("ann");

    assertThat(users(claim(1))).containsExactly("ann");
    assertThat(TestRedis.exists(keys.line(0, 1).preauthQueue())).isFalse();
  }

  @Test
  void claimsNobodyWhenNothingIsLeft() {
    send(Command.SET, keys.stock(), 0);
    inLine("ann", 1);

    assertThat(claim(10)).as("reach is the cursor").isEmpty();
    assertThat(line.ticket("ann").payment()).isEqualTo(Payment.WAITING);
    assertThat(claimedTo()).as("the walk has not passed ann").isZero();
  }
}
