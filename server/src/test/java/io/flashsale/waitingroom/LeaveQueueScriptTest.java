package io.flashsale.waitingroom;

import static io.flashsale.support.TestRedis.hget;
import static io.flashsale.support.TestRedis.send;
import static io.flashsale.support.TestRedis.zscore;
import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.infra.SaleKeys;
import io.flashsale.support.Await;
import io.flashsale.support.TestLine;
import io.flashsale.support.TestRedis;
import io.flashsale.waitingroom.LeaveQueueScript.Left;
import io.flashsale.waitingroom.LeaveQueueScript.Outcome;
import io.flashsale.waitingroom.Ticket.Payment;
import io.vertx.redis.client.Command;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code leave_queue.lua} alone, through its class, one behaviour per test. */
class LeaveQueueScriptTest {

  private static final LeaveQueueScript script = new LeaveQueueScript(TestRedis.client());

  private final SaleKeys keys = new SaleKeys(UUID.randomUUID().toString());
  private final TestLine line = new TestLine(keys);

  @AfterEach
  void forgetSale() {
    TestRedis.forgetSale(keys.saleId());
  }

  private Left leave(String user, String ticketId) {
    return Await.result(script.run(keys.line(0, 1), user, ticketId));
  }

  private Ticket ticket(String user, long number, TicketState state) {
    Ticket ticket =
        new Ticket(
            "ticket-" + user,
            number,
            2,
            state,
            null,
            0,
            Payment.WAITING,
            1_700_000_000_000L,
            "card-" + user);
    line.holds(user, ticket);
    return ticket;
  }

  /** A buyer waiting in line under {@code number}, card pre-authorisation not started yet. */
  private Ticket waiting(String user, long number) {
    line.waiting(user, number);
    return ticket(user, number, TicketState.QUEUED);
  }

  private static Ticket in(Ticket ticket, TicketState state) {
    return new Ticket(
        ticket.ticketId(),
        ticket.number(),
        ticket.quantity(),
        state,
        ticket.orderId(),
        ticket.admittedAtMillis(),
        ticket.payment(),
        ticket.seenAtMillis(),
        ticket.paymentMethod());
  }

  @Test
  void aWaitingBuyerLeavesEveryQueueAndTheirTicketIsClosed() {
    Ticket ann = waiting("ann", 3);
    waiting("bob", 4);
    // Every queue at once, whatever brought them there: back from being away behind the walk, a
    // pre-authorisation running.
    send(Command.ZADD, keys.line(0, 1).away(), 1, "ann");
    send(Command.ZADD, keys.line(0, 1).preauthQueue(), 3, "ann");
    send(Command.ZADD, keys.line(0, 1).preauthorizing(), 1, "ann");

    Ticket closed = in(ann, TicketState.LEFT);
    assertThat(leave("ann", null)).isEqualTo(new Left(Outcome.LEFT, closed));

    assertThat(hget(keys.line(0, 1).tickets(), "ann")).isEqualTo(closed.encode());
    assertThat(line.inLine()).containsExactly("bob");
    assertThat(line.waitingCount()).isEqualTo(1);
    assertThat(line.roster()).as("the roster keeps its number").contains("ann");
    assertThat(zscore(keys.line(0, 1).preauthQueue(), "ann")).isNull();
    assertThat(zscore(keys.line(0, 1).away(), "ann")).isNull();
    assertThat(zscore(keys.line(0, 1).preauthorizing(), "ann")).isNull();
  }

  @Test
  void aBuyerSetAsideForAbsenceLeavesWithoutCountingTheLineDownAgain() {
    ticket("ann", 3, TicketState.QUEUED);
    line.numbered("ann", 3);
    send(Command.ZADD, keys.line(0, 1).away(), 1, "ann");
    waiting("bob", 4);

    assertThat(leave("ann", null).outcome()).isEqualTo(Outcome.LEFT);

    assertThat(line.inLine()).containsExactly("bob");
    assertThat(line.waitingCount()).isEqualTo(1);
    assertThat(TestRedis.exists(keys.line(0, 1).away())).isFalse();
  }

  @Test
  void aPrequeueBuyerLeavesThePrequeue() {
    ticket("ann", 0, TicketState.QUEUED);
    send(Command.SADD, keys.line(0, 1).prequeue(), "ann", "bob");

    send(Command.ZADD, keys.line(0, 1).preauthQueue(), 0, "ann", 0, "bob");

    assertThat(leave("ann", null).outcome()).isEqualTo(Outcome.LEFT);
    assertThat(TestRedis.smembers(keys.line(0, 1).prequeue())).containsExactly("bob");
    assertThat(TestRedis.zrange(keys.line(0, 1).preauthQueue())).containsExactly("bob");
    assertThat(TestRedis.exists(keys.line(0, 1).waiting())).as("no number, no line").isFalse();
  }

  @Test
  void aBuyerAheadOfTheCursorIsRecordedAsADeparture() {
    send(Command.SET, keys.line(0, 1).cursor(), 2);
    waiting("ann", 3);

    leave("ann", null);

    assertThat(TestRedis.lrange(keys.line(0, 1).departures())).containsExactly("3");
  }

  @Test
  void aBuyerTheCursorHasPassedIsNoDepartureForThoseBehind() {
    send(Command.SET, keys.line(0, 1).cursor(), 5);
    waiting("ann", 3);

    assertThat(leave("ann", null).outcome()).isEqualTo(Outcome.LEFT);
    assertThat(TestRedis.exists(keys.line(0, 1).departures())).isFalse();
  }

  @Test
  void leavesWhenTheNamedTicketIsTheBuyersOwn() {
    Ticket ann = waiting("ann", 1);

    assertThat(leave("ann", ann.ticketId()).outcome()).isEqualTo(Outcome.LEFT);
  }

  @Test
  void refusesATicketThatIsSomeoneElsesAndChangesNothing() {
    Ticket ann = waiting("ann", 1);
    Ticket bob = waiting("bob", 2);

    assertThat(leave("ann", bob.ticketId())).isEqualTo(new Left(Outcome.NOT_YOURS, null));
    assertThat(hget(keys.line(0, 1).tickets(), "ann")).isEqualTo(ann.encode());
    assertThat(line.inLine()).containsExactly("ann", "bob");
    assertThat(line.waitingCount()).isEqualTo(2);
  }

  @Test
  void aBuyerNoLongerWaitingIsToldTheirTicketAsItIs() {
    Ticket admitted = ticket("ann", 1, TicketState.ADMITTED);

    assertThat(leave("ann", null)).isEqualTo(new Left(Outcome.NOT_WAITING, admitted));
    assertThat(hget(keys.line(0, 1).tickets(), "ann")).isEqualTo(admitted.encode());
  }

  @Test
  void aBuyerWhoNeverJoinedIsNotInLine() {
    assertThat(leave("ann", null)).isEqualTo(new Left(Outcome.NOT_IN_LINE, null));
    assertThat(TestRedis.exists(keys.line(0, 1).tickets())).isFalse();
  }
}
