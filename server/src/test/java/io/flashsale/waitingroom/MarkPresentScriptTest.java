package io.flashsale.waitingroom;

import static io.flashsale.support.TestRedis.hget;
import static io.flashsale.support.TestRedis.send;
import static io.flashsale.support.TestRedis.zscore;
import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.infra.SaleKeys;
import io.flashsale.support.Await;
import io.flashsale.support.TestLine;
import io.flashsale.support.TestRedis;
import io.flashsale.waitingroom.Ticket.Payment;
import io.vertx.redis.client.Command;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code mark_present.lua} alone, through its class, one behaviour per test. */
class MarkPresentScriptTest {

  private static final MarkPresentScript script = new MarkPresentScript(TestRedis.client());
  private static final long REFRESH = 5_000;

  private final SaleKeys keys = new SaleKeys(UUID.randomUUID().toString());
  private final TestLine line = new TestLine(keys);

  @AfterEach
  void forgetSale() {
    TestRedis.forgetSale(keys.saleId());
  }

  private void seen(String... users) {
    Await.result(script.run(keys.line(0, 1), REFRESH, List.of(users)));
  }

  /** {@code user}'s ticket under {@code number}, never seen; out of line unless put there. */
  private void ticket(String user, long number, TicketState state, Payment payment) {
    line.holds(
        user, new Ticket("ticket-" + user, number, 1, state, null, 0, payment, 0, "card-" + user));
    line.numbered(user, number);
  }

  /** A buyer admission set aside for absence: out of line, number kept, in the away set. */
  private void away(String user, long number, Payment payment) {
    ticket(user, number, TicketState.QUEUED, payment);
    send(Command.ZADD, keys.line(0, 1).away(), 1, user);
  }

  @Test
  void recordsWhenEachBuyerWasSeenOnRedisClockAndCountsThemInThatSecond() {
    ticket("ann", 1, TicketState.QUEUED, Payment.WAITING);
    ticket("bob", 2, TicketState.QUEUED, Payment.WAITING);
    long before = TestRedis.nowMillis();

    seen("ann", "bob");

    long seen = line.ticket("ann").seenAtMillis();
    assertThat(seen).isBetween(before, TestRedis.nowMillis());
    assertThat(line.ticket("bob").seenAtMillis()).isEqualTo(seen);
    assertThat(line.seenInSecondOf(seen)).isEqualTo(2);
    assertThat(line.presenceSeconds()).isEqualTo(1);
  }

  @Test
  void aUserWithoutATicketLeavesNoTrace() {
    seen("nobody");

    assertThat(TestRedis.exists(keys.line(0, 1).tickets())).isFalse();
    assertThat(TestRedis.exists(keys.line(0, 1).presence())).isFalse();
  }

  @Test
  void writesALastSeenTimeAtMostOncePerRefreshIntervalMovingItsCount() {
    ticket("ann", 1, TicketState.QUEUED, Payment.WAITING);
    ticket("bob", 2, TicketState.QUEUED, Payment.WAITING);
    long now = TestRedis.nowMillis();
    line.lastSeen("ann", now - 1_000);
    line.lastSeen("bob", now - REFRESH - 1_000);
    String annBefore = hget(keys.line(0, 1).tickets(), "ann");

    seen("ann", "bob");

    assertThat(hget(keys.line(0, 1).tickets(), "ann"))
        .as("seen within the interval: not written")
        .isEqualTo(annBefore);
    long bobSeen = line.ticket("bob").seenAtMillis();
    assertThat(bobSeen).isGreaterThanOrEqualTo(now);
    assertThat(line.seenInSecondOf(now - REFRESH - 1_000)).as("bob's old second").isZero();
    assertThat(line.seenInSecondOf(bobSeen)).isEqualTo(1);
    assertThat(line.seenInSecondOf(now - 1_000)).as("ann's, as it was").isEqualTo(1);
    assertThat(line.presenceSeconds()).isEqualTo(2);
  }

  @Test
  void aBuyerSetAsideForAbsenceGoesBackIntoLineUnderTheirOwnNumber() {
    away("ann", 4, Payment.AUTHORIZED);
    line.holds(
        "bob",
        new Ticket("ticket-bob", 9, 1, TicketState.QUEUED, null, 0, Payment.WAITING, 0, "c"));
    line.waiting("bob", 9);

    seen("ann");

    assertThat(line.inLine())
        .as("ahead of everyone who joined after them")
        .containsExactly("ann", "bob");
    assertThat(line.waits(4)).isTrue();
    assertThat(line.waitingCount()).isEqualTo(2);
    assertThat(TestRedis.exists(keys.line(0, 1).away())).isFalse();
    assertThat(TestRedis.lrange(keys.line(0, 1).departures()))
        .as("live feeds count them ahead again")
        .containsExactly("-4");
  }

  @Test
  void aBuyerAwayWhoseTicketIsNoLongerWaitingIsNotPutBack() {
    ticket("ann", 4, TicketState.DECLINED, Payment.DECLINED);
    send(Command.ZADD, keys.line(0, 1).away(), 1, "ann");

    seen("ann");

    assertThat(TestRedis.exists(keys.line(0, 1).away())).isFalse();
    assertThat(line.waits(4)).isFalse();
    assertThat(line.waitingCount()).isZero();
    assertThat(TestRedis.exists(keys.line(0, 1).departures())).isFalse();
  }

  @Test
  void aBuyerInLineStaysWhereTheyAre() {
    ticket("ann", 4, TicketState.QUEUED, Payment.WAITING);
    line.put(4);

    seen("ann");

    assertThat(line.inLine()).containsExactly("ann");
    assertThat(line.waitingCount()).as("counted once").isEqualTo(1);
    assertThat(TestRedis.exists(keys.line(0, 1).departures())).isFalse();
    assertThat(TestRedis.exists(keys.line(0, 1).preauthQueue())).isFalse();
  }

  @Test
  void aBuyerBackWhosePreauthorisationTheWalkPassedWaitsForItInAuthq() {
    send(Command.SET, keys.line(0, 1).claimedTo(), 4);
    away("ann", 4, Payment.WAITING);

    seen("ann");

    assertThat(zscore(keys.line(0, 1).preauthQueue(), "ann"))
        .as("under their own number")
        .isEqualTo(4);
    assertThat(line.waits(4)).isTrue();
  }

  @Test
  void aBuyerBackWhomTheWalkHasNotReachedIsLeftToIt() {
    send(Command.SET, keys.line(0, 1).claimedTo(), 3);
    away("ann", 4, Payment.WAITING);

    seen("ann");

    assertThat(TestRedis.exists(keys.line(0, 1).preauthQueue())).isFalse();
    assertThat(line.waits(4)).isTrue();
  }

  @Test
  void aBuyerBackWhoseCardIsAuthorisedOrBeingAuthorisedIsNotQueuedForItAgain() {
    send(Command.SET, keys.line(0, 1).claimedTo(), 9);
    away("ann", 4, Payment.AUTHORIZED);
    away("bob", 5, Payment.AUTHORIZING);

    seen("ann", "bob");

    assertThat(TestRedis.exists(keys.line(0, 1).preauthQueue())).isFalse();
    assertThat(line.inLine()).containsExactly("ann", "bob");
  }
}
