package io.flashsale.waitingroom;

import static io.flashsale.support.TestRedis.get;
import static io.flashsale.support.TestRedis.hget;
import static io.flashsale.support.TestRedis.send;
import static io.flashsale.support.TestRedis.zscore;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.flashsale.infra.SaleKeys;
import io.flashsale.inventory.InFlight;
import io.flashsale.support.Await;
import io.flashsale.support.TestRedis;
import io.flashsale.waitingroom.AdmitScript.Admitted;
import io.flashsale.waitingroom.AdmitScript.Dropped;
import io.flashsale.waitingroom.AdmitScript.Step;
import io.flashsale.waitingroom.AdmitScript.StepResult;
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

  @AfterEach
  void forgetSale() {
    TestRedis.forgetSale(keys.saleId());
  }

  private StepResult admit(Step step) {
    return Await.result(script.run(keys, step));
  }

  /** A bucket last counted at time 0: the step finds it full, whatever its capacity. */
  private void fullBucket() {
    send(Command.HSET, keys.bucket(), "tokens", 0, "at", 0);
  }

  /**
   * A buyer waiting in line under {@code number} for {@code quantity} units, their card in {@code
   * payment}.
   */
  private void waiting(String user, long number, int quantity, String payment) {
    send(
        Command.HSET,
        keys.tickets(),
        user,
        new Ticket("ticket-" + user, number, quantity, TicketState.QUEUED, null, 0).encode());
    send(Command.ZADD, keys.line(), number, user);
    send(Command.HSET, keys.payments(), user, payment);
  }

  private static List<String> users(StepResult result) {
    return result.admitted().stream().map(Admitted::userId).toList();
  }

  @Test
  void letsOutTheHeadOfTheLineInLineOrder() {
    send(Command.SET, keys.stock(), 10);
    fullBucket();
    waiting("cat", 3, 1, "AUTHORIZED");
    waiting("ann", 1, 1, "AUTHORIZED");
    waiting("bob", 2, 2, "AUTHORIZED");

    StepResult result = admit(STEP);

    assertThat(users(result)).containsExactly("ann", "bob", "cat");
    assertThat(result.admitted()).extracting(Admitted::number).containsExactly(1L, 2L, 3L);
    assertThat(result.admitted()).extracting(Admitted::quantity).containsExactly(1, 2, 1);
    assertThat(result.stockLeft()).isEqualTo(6);
    assertThat(result.waiting()).isZero();
    assertThat(result.dropped()).isEmpty();
    assertThat(get(keys.cursor())).as("the last number let out").isEqualTo("3");
  }

  @Test
  void takesEachAdmittedBuyersUnitsAndWritesThemInFlightUnderTheTicketId() {
    send(Command.SET, keys.stock(), 10);
    fullBucket();
    waiting("ann", 1, 2, "AUTHORIZED");
    long before = TestRedis.nowMillis();

    Admitted ann = admit(STEP).admitted().get(0);

    assertThat(ann.admittedAtMillis()).as("Redis' clock").isBetween(before, TestRedis.nowMillis());
    assertThat(ann).isEqualTo(new Admitted("ann", "ticket-ann", 1, 2, ann.admittedAtMillis()));
    assertThat(hget(keys.tickets(), "ann"))
        .isEqualTo(ann.ticket(TicketState.ADMITTED, null).encode());
    assertThat(get(keys.stock())).isEqualTo("8");
    assertThat(hget(keys.buyers(), "ann")).isEqualTo("2");
    assertThat(InFlight.decode(hget(keys.inflight(), "ticket-ann")))
        .isEqualTo(new InFlight("ann", 2, ann.admittedAtMillis()));
    assertThat(TestRedis.exists(keys.line())).isFalse();
  }

  @Test
  void letsOutNoMoreThanTheBucketHolds() {
    send(Command.SET, keys.stock(), 10);
    fullBucket();
    for (int i = 1; i <= 5; i++) {
      waiting("buyer-" + i, i, 1, "AUTHORIZED");
    }

    // 8 a second with 100 ms ticks: a quarter second of tokens is 2.
    StepResult result = admit(new Step(8, 100, 5, 0, 0, 0));

    assertThat(users(result)).containsExactly("buyer-1", "buyer-2");
    assertThat(result.waiting()).isEqualTo(3);
  }

  @Test
  void aSecondStepRightAfterFindsTheBucketEmpty() {
    send(Command.SET, keys.stock(), 10);
    fullBucket();
    waiting("ann", 1, 1, "AUTHORIZED");
    waiting("bob", 2, 1, "AUTHORIZED");
    // One a second: the bucket holds one token, and the next one takes a second to come.
    Step oneASecond = new Step(1, 100, 5, 0, 0, 0);

    assertThat(users(admit(oneASecond))).containsExactly("ann");
    assertThat(users(admit(oneASecond))).as("a duplicate step admits nobody").isEmpty();
    assertThat(TestRedis.zrange(keys.line())).containsExactly("bob");
  }

  @Test
  void theOperatorsRateOverridesTheSales() {
    send(Command.SET, keys.stock(), 10);
    fullBucket();
    send(Command.HSET, keys.control(), "rate", 4);
    waiting("ann", 1, 1, "AUTHORIZED");
    waiting("bob", 2, 1, "AUTHORIZED");

    assertThat(users(admit(STEP))).containsExactly("ann");
  }

  @Test
  void aPausedOrEndedSaleLetsNobodyOutAndSpendsItsTokens() {
    send(Command.SET, keys.stock(), 10);
    waiting("ann", 1, 1, "AUTHORIZED");

    fullBucket();
    send(Command.HSET, keys.control(), "paused", 1);
    assertThat(admit(STEP).admitted()).isEmpty();
    assertThat(hget(keys.bucket(), "tokens")).isEqualTo("0");

    fullBucket();
    send(Command.HSET, keys.control(), "paused", 0, "ended", 1);
    assertThat(admit(STEP).admitted()).isEmpty();
    assertThat(TestRedis.zrange(keys.line())).containsExactly("ann");
  }

  @Test
  void theLastUnitsGoToTheHeadOfTheLineEvenIfFewerThanAsked() {
    send(Command.SET, keys.stock(), 3);
    fullBucket();
    waiting("ann", 1, 2, "AUTHORIZED");
    waiting("bob", 2, 2, "AUTHORIZED");
    waiting("cat", 3, 1, "AUTHORIZED");

    StepResult result = admit(STEP);

    assertThat(result.admitted())
        .extracting(Admitted::userId, Admitted::quantity)
        .containsExactly(tuple("ann", 2), tuple("bob", 1));
    assertThat(result.stockLeft()).isZero();
    assertThat(Ticket.decode(hget(keys.tickets(), "bob")).quantity()).isEqualTo(1);
    assertThat(TestRedis.zrange(keys.line())).containsExactly("cat");
  }

  @Test
  void aBuyerWhoseCardIsStillBeingAuthorisedKeepsTheirPlaceAndTheirUnits() {
    send(Command.SET, keys.stock(), 3);
    fullBucket();
    waiting("ann", 1, 2, "AUTHORIZING");
    waiting("bob", 2, 2, "AUTHORIZED");
    waiting("cat", 3, 1, "AUTHORIZED");

    StepResult result = admit(STEP);

    assertThat(result.admitted())
        .as("bob gets only what ann is not waiting for")
        .containsExactly(
            new Admitted("bob", "ticket-bob", 2, 1, result.admitted().get(0).admittedAtMillis()));
    assertThat(TestRedis.zrange(keys.line())).containsExactly("ann", "cat");
    assertThat(result.stockLeft()).isEqualTo(2);
  }

  @Test
  void stopsLookingOnceItHasPassedMoreSlowCardsThanItMay() {
    send(Command.SET, keys.stock(), 10);
    fullBucket();
    waiting("ann", 1, 1, "AUTHORIZING");
    waiting("bob", 2, 1, "AUTHORIZING");
    waiting("cat", 3, 1, "AUTHORIZED");

    assertThat(admit(new Step(40, 100, 1, 0, 0, 0)).admitted()).isEmpty();
    assertThat(users(admit(new Step(40, 100, 2, 0, 0, 0)))).containsExactly("cat");
  }

  @Test
  void aDeclinedBuyerLeavesTheLineAndTheNextIsLetOut() {
    send(Command.SET, keys.stock(), 10);
    fullBucket();
    waiting("ann", 1, 1, "DECLINED");
    waiting("bob", 2, 1, "AUTHORIZED");

    assertThat(users(admit(STEP))).containsExactly("bob");
    assertThat(TestRedis.exists(keys.line())).isFalse();
    assertThat(hget(keys.buyers(), "ann")).isNull();
  }

  @Test
  void setsAsideABuyerNotSeenWhenTheirTurnComesAndLetsOutTheNext() {
    send(Command.SET, keys.stock(), 10);
    fullBucket();
    waiting("ann", 1, 1, "AUTHORIZED");
    waiting("bob", 2, 1, "AUTHORIZED");
    long now = TestRedis.nowMillis();
    send(Command.ZADD, keys.seen(), now - 60_000, "ann");
    send(Command.ZADD, keys.seen(), now, "bob");

    StepResult result = admit(new Step(40, 100, 5, 10_000, 30_000, 5));

    assertThat(users(result)).containsExactly("bob");
    assertThat(result.skippedForAbsence()).isEqualTo(1);
    assertThat(result.away()).isEqualTo(1);
    assertThat(result.present()).isEqualTo(1);
    assertThat(zscore(keys.away(), "ann")).isGreaterThanOrEqualTo(now);
    assertThat(zscore(keys.line(), "ann")).isNull();
    assertThat(Ticket.decode(hget(keys.tickets(), "ann")).state())
        .as("number kept")
        .isEqualTo(TicketState.QUEUED);
    assertThat(TestRedis.lrange(keys.departures())).containsExactly("1");
  }

  @Test
  void dropsABuyerStillAwayWhenTheGraceRunsOut() {
    send(Command.SET, keys.stock(), 10);
    fullBucket();
    long now = TestRedis.nowMillis();
    for (String user : List.of("ann", "bob")) {
      send(
          Command.HSET,
          keys.tickets(),
          user,
          new Ticket("ticket-" + user, user.equals("ann") ? 1 : 2, 1, TicketState.QUEUED, null, 0)
              .encode());
      send(Command.ZADD, keys.preauthQueue(), 1, user);
    }
    send(Command.ZADD, keys.away(), now - 31_000, "ann");
    send(Command.ZADD, keys.away(), now - 1_000, "bob");

    StepResult result = admit(new Step(40, 100, 5, 10_000, 30_000, 5));

    assertThat(result.dropped()).containsExactly(new Dropped("ann", "ticket-ann", 1));
    assertThat(Ticket.decode(hget(keys.tickets(), "ann")).state()).isEqualTo(TicketState.DROPPED);
    assertThat(TestRedis.zrange(keys.away()))
        .as("bob is still within the grace")
        .containsExactly("bob");
    assertThat(TestRedis.zrange(keys.preauthQueue())).containsExactly("bob");
  }
}
