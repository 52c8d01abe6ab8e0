package io.flashsale.waitingroom;

import static io.flashsale.support.TestLine.unseen;
import static io.flashsale.support.TestRedis.get;
import static io.flashsale.support.TestRedis.hget;
import static io.flashsale.support.TestRedis.send;
import static io.flashsale.support.TestRedis.zscore;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.flashsale.infra.SaleKeys;
import io.flashsale.inventory.InFlight;
import io.flashsale.support.Await;
import io.flashsale.support.TestLine;
import io.flashsale.support.TestRedis;
import io.flashsale.waitingroom.AdmitScript.Admitted;
import io.flashsale.waitingroom.AdmitScript.Dropped;
import io.flashsale.waitingroom.AdmitScript.Step;
import io.flashsale.waitingroom.AdmitScript.StepResult;
import io.flashsale.waitingroom.Ticket.Payment;
import io.vertx.redis.client.Command;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code admit.lua} alone, through its class, one behaviour per test. */
class AdmitScriptTest {

  private static final AdmitScript script = new AdmitScript(TestRedis.client());

  /** 40 a second, 100 ms ticks: 10 tokens at most; presence off. */
  private static final Step STEP = new Step(40, 100, 5, 0, 0, 0);

  private final SaleKeys keys = new SaleKeys(UUID.randomUUID().toString());
  private final TestLine line = new TestLine(keys);

  @AfterEach
  void forgetSale() {
    TestRedis.forgetSale(keys.saleId());
  }

  private StepResult admit(Step step) {
    return Await.result(script.run(keys, keys.line(0, 1), step));
  }

  /** A bucket last counted at time 0: the step finds it full, whatever its capacity. */
  private void fullBucket() {
    send(Command.HSET, keys.bucket(), "tokens", 0, "at", 0);
  }

  /**
   * A buyer waiting in line under {@code number} for {@code quantity} units, their card in {@code
   * payment}; never seen (presence is off unless a test says when).
   */
  private void waiting(String user, long number, int quantity, Payment payment) {
    line.holds(user, ticket(user, number, quantity, payment));
    line.waiting(user, number);
  }

  private static Ticket ticket(String user, long number, int quantity, Payment payment) {
    return new Ticket(
        "ticket-" + user,
        number,
        quantity,
        TicketState.QUEUED,
        null,
        0,
        payment,
        0,
        "card-" + user);
  }

  private static List<String> users(StepResult result) {
    return result.admitted().stream().map(Admitted::userId).toList();
  }

  @Test
  void letsOutTheHeadOfTheLineInLineOrder() {
    send(Command.SET, keys.stock(), 10);
    fullBucket();
    waiting("cat", 3, 1, Payment.AUTHORIZED);
    waiting("ann", 1, 1, Payment.AUTHORIZED);
    waiting("bob", 2, 2, Payment.AUTHORIZED);

    StepResult result = admit(STEP);

    assertThat(users(result)).containsExactly("ann", "bob", "cat");
    assertThat(result.admitted()).extracting(Admitted::number).containsExactly(1L, 2L, 3L);
    assertThat(result.admitted()).extracting(Admitted::quantity).containsExactly(1, 2, 1);
    assertThat(result.stockLeft()).isEqualTo(6);
    assertThat(result.waiting()).isZero();
    assertThat(result.dropped()).isEmpty();
    assertThat(get(keys.line(0, 1).cursor())).as("the last number let out").isEqualTo("3");
    assertThat(line.inLine()).isEmpty();
    assertThat(line.waitingCount()).isZero();
  }

  @Test
  void takesEachAdmittedBuyersUnitsAndWritesThemInFlightUnderTheTicketId() {
    send(Command.SET, keys.stock(), 10);
    fullBucket();
    waiting("ann", 1, 2, Payment.AUTHORIZED);
    long before = TestRedis.nowMillis();

    Admitted ann = admit(STEP).admitted().get(0);

    assertThat(ann.admittedAtMillis()).as("Redis' clock").isBetween(before, TestRedis.nowMillis());
    assertThat(ann).isEqualTo(new Admitted("ann", "ticket-ann", 1, 2, ann.admittedAtMillis()));
    assertThat(unseen(line.ticket("ann")))
        .as("card and method kept")
        .isEqualTo(
            new Ticket(
                "ticket-ann",
                1,
                2,
                TicketState.ADMITTED,
                null,
                ann.admittedAtMillis(),
                Payment.AUTHORIZED,
                0,
                "card-ann"));
    assertThat(get(keys.stock())).isEqualTo("8");
    assertThat(hget(keys.buyers(), "ann")).isEqualTo("2");
    assertThat(InFlight.decode(hget(keys.inflight(), "ticket-ann")))
        .isEqualTo(new InFlight("ann", 2, ann.admittedAtMillis()));
    assertThat(line.waits(1)).isFalse();
    assertThat(line.waitingCount()).isZero();
  }

  @Test
  void letsOutNoMoreThanTheBucketHolds() {
    send(Command.SET, keys.stock(), 10);
    fullBucket();
    for (int i = 1; i <= 5; i++) {
      waiting("buyer-" + i, i, 1, Payment.AUTHORIZED);
    }

    // 8 a second with 100 ms ticks: a quarter second of tokens is 2.
    StepResult result = admit(new Step(8, 100, 5, 0, 0, 0));

    assertThat(users(result)).containsExactly("buyer-1", "buyer-2");
    assertThat(result.waiting()).isEqualTo(3);
    assertThat(line.inLine()).containsExactly("buyer-3", "buyer-4", "buyer-5");
  }

  @Test
  void aSecondStepRightAfterFindsTheBucketEmpty() {
    send(Command.SET, keys.stock(), 10);
    fullBucket();
    waiting("ann", 1, 1, Payment.AUTHORIZED);
    waiting("bob", 2, 1, Payment.AUTHORIZED);
    // One a second: the bucket holds one token, and the next one takes a second to come.
    Step oneASecond = new Step(1, 100, 5, 0, 0, 0);

    assertThat(users(admit(oneASecond))).containsExactly("ann");
    assertThat(users(admit(oneASecond))).as("a duplicate step admits nobody").isEmpty();
    assertThat(line.inLine()).containsExactly("bob");
  }

  @Test
  void theOperatorsRateOverridesTheSales() {
    send(Command.SET, keys.stock(), 10);
    fullBucket();
    send(Command.HSET, keys.control(), "rate", 4);
    waiting("ann", 1, 1, Payment.AUTHORIZED);
    waiting("bob", 2, 1, Payment.AUTHORIZED);

    assertThat(users(admit(STEP))).containsExactly("ann");
  }

  @Test
  void aPausedOrEndedSaleLetsNobodyOutAndSpendsItsTokens() {
    send(Command.SET, keys.stock(), 10);
    waiting("ann", 1, 1, Payment.AUTHORIZED);

    fullBucket();
    send(Command.HSET, keys.control(), "paused", 1);
    assertThat(admit(STEP).admitted()).isEmpty();
    assertThat(hget(keys.bucket(), "tokens")).isEqualTo("0");

    fullBucket();
    send(Command.HSET, keys.control(), "paused", 0, "ended", 1);
    assertThat(admit(STEP).admitted()).isEmpty();
    assertThat(line.inLine()).containsExactly("ann");
  }

  @Test
  void theLastUnitsGoToTheHeadOfTheLineEvenIfFewerThanAsked() {
    send(Command.SET, keys.stock(), 3);
    fullBucket();
    waiting("ann", 1, 2, Payment.AUTHORIZED);
    waiting("bob", 2, 2, Payment.AUTHORIZED);
    waiting("cat", 3, 1, Payment.AUTHORIZED);

    StepResult result = admit(STEP);

    assertThat(result.admitted())
        .extracting(Admitted::userId, Admitted::quantity)
        .containsExactly(tuple("ann", 2), tuple("bob", 1));
    assertThat(result.stockLeft()).isZero();
    assertThat(Ticket.decode(hget(keys.line(0, 1).tickets(), "bob")).quantity()).isEqualTo(1);
    assertThat(line.inLine()).containsExactly("cat");
  }

  @Test
  void aBuyerWhoseCardIsStillBeingAuthorisedKeepsTheirPlaceAndTheirUnits() {
    send(Command.SET, keys.stock(), 3);
    fullBucket();
    waiting("ann", 1, 2, Payment.AUTHORIZING);
    waiting("bob", 2, 2, Payment.AUTHORIZED);
    waiting("cat", 3, 1, Payment.AUTHORIZED);

    StepResult result = admit(STEP);

    assertThat(result.admitted())
        .as("bob gets only what ann is not waiting for")
        .containsExactly(
            new Admitted("bob", "ticket-bob", 2, 1, result.admitted().get(0).admittedAtMillis()));
    assertThat(line.inLine()).containsExactly("ann", "cat");
    assertThat(result.stockLeft()).isEqualTo(2);
  }

  @Test
  void stopsLookingOnceItHasPassedMoreSlowCardsThanItMay() {
    send(Command.SET, keys.stock(), 10);
    fullBucket();
    waiting("ann", 1, 1, Payment.AUTHORIZING);
    waiting("bob", 2, 1, Payment.AUTHORIZING);
    waiting("cat", 3, 1, Payment.AUTHORIZED);

    assertThat(admit(new Step(40, 100, 1, 0, 0, 0)).admitted()).isEmpty();
    assertThat(users(admit(new Step(40, 100, 2, 0, 0, 0)))).containsExactly("cat");
  }

  @Test
  void aDeclinedBuyerLeavesTheLineAndTheNextIsLetOut() {
    send(Command.SET, keys.stock(), 10);
    fullBucket();
    waiting("ann", 1, 1, Payment.DECLINED);
    waiting("bob", 2, 1, Payment.AUTHORIZED);

    StepResult result = admit(STEP);

    assertThat(users(result)).containsExactly("bob");
    assertThat(line.inLine()).isEmpty();
    assertThat(line.waitingCount()).as("counted out once").isZero();
    assertThat(result.waiting()).isZero();
    assertThat(hget(keys.buyers(), "ann")).isNull();
  }

  @Test
  void aBuyerWhosePreauthorisationHasNotStartedIsPassedOverLikeASlowCard() {
    send(Command.SET, keys.stock(), 4);
    fullBucket();
    waiting("ann", 1, 1, Payment.WAITING);
    waiting("bob", 2, 1, Payment.AUTHORIZING);
    waiting("cat", 3, 1, Payment.NONE);
    waiting("dan", 4, 2, Payment.AUTHORIZED);
    String annBefore = hget(keys.line(0, 1).tickets(), "ann");

    StepResult result = admit(STEP);

    assertThat(result.admitted())
        .as("only an authorised card is let out, with what the others are not waiting for")
        .extracting(Admitted::userId, Admitted::quantity)
        .containsExactly(tuple("dan", 1));
    assertThat(line.inLine()).containsExactly("ann", "bob", "cat");
    assertThat(result.waiting()).isEqualTo(3);
    assertThat(hget(keys.line(0, 1).tickets(), "ann")).as("untouched").isEqualTo(annBefore);
    assertThat(line.ticket("bob").payment()).isEqualTo(Payment.AUTHORIZING);
  }

  @Test
  void buyersNoLongerInLineCostTheWalkNothing() {
    send(Command.SET, keys.stock(), 10);
    fullBucket();
    // Numbers 1 to 20 are out of line (set aside for absence: tickets still QUEUED, cards
    // authorised), their bits cleared. A step looks at no more than 10 + 5 buyers, and must
    // neither let these out nor count them.
    for (int number = 1; number <= 20; number++) {
      line.holds("gone-" + number, ticket("gone-" + number, number, 1, Payment.AUTHORIZED));
      line.numbered("gone-" + number, number);
    }
    waiting("bob", 21, 1, Payment.AUTHORIZED);

    StepResult result = admit(STEP);

    assertThat(users(result)).containsExactly("bob");
    assertThat(get(keys.line(0, 1).cursor())).isEqualTo("21");
    assertThat(hget(keys.buyers(), "gone-1")).as("out of line, never admitted").isNull();
    assertThat(line.ticket("gone-1").state()).isEqualTo(TicketState.QUEUED);
  }

  @Test
  void setsAsideABuyerNotSeenWhenTheirTurnComesAndLetsOutTheNext() {
    send(Command.SET, keys.stock(), 10);
    fullBucket();
    waiting("ann", 1, 1, Payment.AUTHORIZED);
    waiting("bob", 2, 1, Payment.AUTHORIZED);
    long now = TestRedis.nowMillis();
    line.lastSeen("ann", now - 60_000);
    line.lastSeen("bob", now);

    StepResult result = admit(new Step(40, 100, 5, 10_000, 30_000, 5));

    assertThat(users(result)).containsExactly("bob");
    assertThat(result.skippedForAbsence()).isEqualTo(1);
    assertThat(result.away()).isEqualTo(1);
    assertThat(result.present()).isEqualTo(1);
    assertThat(result.waiting()).isZero();
    assertThat(zscore(keys.line(0, 1).away(), "ann")).isGreaterThanOrEqualTo(now);
    assertThat(line.waits(1)).isFalse();
    assertThat(line.waitingCount()).isZero();
    assertThat(line.ticket("ann").state()).as("number kept").isEqualTo(TicketState.QUEUED);
    assertThat(line.ticket("ann").number()).isEqualTo(1);
    assertThat(TestRedis.lrange(keys.line(0, 1).departures())).containsExactly("1");
  }

  @Test
  void setsAsideNoMoreAbsentBuyersThanAStepMay() {
    send(Command.SET, keys.stock(), 10);
    fullBucket();
    long now = TestRedis.nowMillis();
    for (String user : List.of("ann", "bob", "cat")) {
      waiting(user, line.lastNumber() + 1, 1, Payment.AUTHORIZED);
      line.lastSeen(user, now - 60_000);
    }

    StepResult result = admit(new Step(40, 100, 5, 10_000, 30_000, 2));

    assertThat(result.skippedForAbsence()).isEqualTo(2);
    assertThat(result.admitted()).as("cat is absent too, merely not set aside yet").isEmpty();
    assertThat(line.inLine()).containsExactly("cat");
    assertThat(TestRedis.zrange(keys.line(0, 1).away())).containsExactlyInAnyOrder("ann", "bob");
  }

  @Test
  void countsTheBuyersSeenWithinTheWindowToTheSecondAndForgetsOlderSeconds() {
    long now = TestRedis.nowMillis();
    send(Command.HSET, keys.line(0, 1).presence(), now / 1_000, 2);
    send(Command.HSET, keys.line(0, 1).presence(), (now - 5_000) / 1_000, 1);
    send(Command.HSET, keys.line(0, 1).presence(), (now - 60_000) / 1_000, 4);

    StepResult result = admit(new Step(40, 100, 5, 10_000, 30_000, 5));

    assertThat(result.present()).isEqualTo(3);
    assertThat(line.seenInSecondOf(now - 60_000)).as("forgotten").isZero();
    assertThat(line.presenceSeconds()).isEqualTo(2);
  }

  @Test
  void dropsABuyerStillAwayWhenTheGraceRunsOut() {
    send(Command.SET, keys.stock(), 10);
    fullBucket();
    long now = TestRedis.nowMillis();
    for (String user : List.of("ann", "bob")) {
      long number = user.equals("ann") ? 1 : 2;
      line.holds(user, ticket(user, number, 1, Payment.WAITING));
      line.numbered(user, number);
      send(Command.ZADD, keys.line(0, 1).preauthQueue(), number, user);
    }
    send(Command.ZADD, keys.line(0, 1).away(), now - 31_000, "ann");
    send(Command.ZADD, keys.line(0, 1).away(), now - 1_000, "bob");

    StepResult result = admit(new Step(40, 100, 5, 10_000, 30_000, 5));

    assertThat(result.dropped()).containsExactly(new Dropped("ann", "ticket-ann", 1));
    assertThat(line.ticket("ann").state()).isEqualTo(TicketState.DROPPED);
    assertThat(line.ticket("bob").state()).isEqualTo(TicketState.QUEUED);
    assertThat(TestRedis.zrange(keys.line(0, 1).away()))
        .as("bob is still within the grace")
        .containsExactly("bob");
    assertThat(TestRedis.zrange(keys.line(0, 1).preauthQueue())).containsExactly("bob");
    assertThat(line.inLine()).as("neither is put back").isEmpty();
  }
}
