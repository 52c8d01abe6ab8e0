package io.flashsale.waitingroom;

import static io.flashsale.support.TestRedis.send;
import static io.flashsale.support.TestRedis.zscore;
import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.infra.SaleKeys;
import io.flashsale.support.Await;
import io.flashsale.support.TestRedis;
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

  @AfterEach
  void forgetSale() {
    TestRedis.forgetSale(keys.saleId());
  }

  private void seen(String... users) {
    Await.result(script.run(keys, REFRESH, List.of(users)));
  }

  private void ticket(String user, long number, TicketState state) {
    send(
        Command.HSET,
        keys.tickets(),
        user,
        new Ticket("ticket-" + user, number, 1, state, null, 0).encode());
  }

  @Test
  void recordsWhenEachBuyerWasSeenOnRedisClock() {
    long before = TestRedis.nowMillis();

    seen("ann", "bob");

    long after = TestRedis.nowMillis();
    assertThat(zscore(keys.seen(), "ann")).isBetween(before, after);
    assertThat(zscore(keys.seen(), "bob")).isBetween(before, after);
  }

  @Test
  void writesALastSeenTimeAtMostOncePerRefreshInterval() {
    long now = TestRedis.nowMillis();
    send(Command.ZADD, keys.seen(), now - 1_000, "ann");
    send(Command.ZADD, keys.seen(), now - REFRESH - 1_000, "bob");

    seen("ann", "bob");

    assertThat(zscore(keys.seen(), "ann"))
        .as("seen within the interval: not written")
        .isEqualTo(now - 1_000);
    assertThat(zscore(keys.seen(), "bob")).isGreaterThanOrEqualTo(now);
  }

  @Test
  void aBuyerSetAsideForAbsenceGoesBackIntoLineUnderTheirOwnNumber() {
    ticket("ann", 4, TicketState.QUEUED);
    send(Command.ZADD, keys.line(), 9, "bob");
    send(Command.ZADD, keys.away(), 1, "ann");

    seen("ann");

    assertThat(TestRedis.zrange(keys.line()))
        .as("ahead of everyone who joined after them")
        .containsExactly("ann", "bob");
    assertThat(zscore(keys.line(), "ann")).isEqualTo(4);
    assertThat(TestRedis.exists(keys.away())).isFalse();
    assertThat(TestRedis.lrange(keys.departures()))
        .as("live feeds count them ahead again")
        .containsExactly("-4");
  }

  @Test
  void aBuyerAwayWhoseTicketIsNoLongerWaitingIsNotPutBack() {
    ticket("ann", 4, TicketState.DECLINED);
    send(Command.ZADD, keys.away(), 1, "ann");

    seen("ann");

    assertThat(TestRedis.exists(keys.away())).isFalse();
    assertThat(TestRedis.exists(keys.line())).isFalse();
    assertThat(TestRedis.exists(keys.departures())).isFalse();
  }

  @Test
  void aBuyerInLineStaysWhereTheyAre() {
    ticket("ann", 4, TicketState.QUEUED);
    send(Command.ZADD, keys.line(), 4, "ann");

    seen("ann");

    assertThat(zscore(keys.line(), "ann")).isEqualTo(4);
    assertThat(TestRedis.exists(keys.departures())).isFalse();
  }
}
