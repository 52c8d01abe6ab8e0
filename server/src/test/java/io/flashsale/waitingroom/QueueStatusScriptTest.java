package io.flashsale.waitingroom;

import static io.flashsale.support.TestRedis.send;
import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.infra.SaleKeys;
import io.flashsale.support.Await;
import io.flashsale.support.TestLine;
import io.flashsale.support.TestRedis;
import io.flashsale.waitingroom.QueueStatusScript.Outcome;
import io.flashsale.waitingroom.QueueStatusScript.Status;
import io.flashsale.waitingroom.Ticket.Payment;
import io.vertx.redis.client.Command;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code queue_status.lua} alone, through its class, one behaviour per test. */
class QueueStatusScriptTest {

  private static final QueueStatusScript script = new QueueStatusScript(TestRedis.client());

  private final SaleKeys keys = new SaleKeys(UUID.randomUUID().toString());
  private final TestLine line = new TestLine(keys);

  @AfterEach
  void forgetSale() {
    TestRedis.forgetSale(keys.saleId());
  }

  private Status status(String user) {
    return Await.result(script.run(keys.line(0, 1), user));
  }

  private Ticket ticket(String user, long number, TicketState state, Payment payment) {
    Ticket ticket =
        new Ticket("ticket-" + user, number, 1, state, null, 0, payment, 1_700_000_000_000L, "pm");
    line.holds(user, ticket);
    return ticket;
  }

  private Ticket ticket(String user, long number, TicketState state) {
    return ticket(user, number, state, Payment.NONE);
  }

  private Ticket waiting(String user, long number, Payment payment) {
    line.waiting(user, number);
    return ticket(user, number, TicketState.QUEUED, payment);
  }

  private Ticket waiting(String user, long number) {
    return waiting(user, number, Payment.WAITING);
  }

  @Test
  void aBuyerInLineIsToldTheirTicketWhoIsAheadTheStockAndTheirCard() {
    waiting("ann", 1);
    waiting("bob", 2);
    Ticket cat = waiting("cat", 5, Payment.AUTHORIZED);
    send(Command.SET, keys.stock(), 7);

    assertThat(status("cat"))
        .isEqualTo(new Status(Outcome.TICKET, cat, 2, 7, 0, "AUTHORIZED", null));
  }

  @Test
  void thePlaceCountsOnlyTheNumbersStillWaitingBeforeTheirs() {
    waiting("ann", 1);
    waiting("bob", 3);
    line.take(3);
    waiting("cat", 9);
    waiting("dan", 17);
    waiting("fay", 18);
    Ticket eve = waiting("eve", 20);
    waiting("gus", 30);

    assertThat(status("eve").ahead())
        .as("ann and cat in whole bytes before, dan and fay in eve's own byte")
        .isEqualTo(4);
    assertThat(status("eve").ticket()).isEqualTo(eve);
    assertThat(status("gus").ahead()).isEqualTo(5);
    assertThat(status("ann").ahead()).as("the head").isZero();
    assertThat(status("cat").ahead()).isEqualTo(1);
    assertThat(status("bob").ahead()).as("out of line").isEqualTo(-1);
  }

  @Test
  void aBuyerSetAsideForAbsenceIsOutOfLineUntilTheyComeBack() {
    waiting("ann", 1);
    ticket("bob", 2, TicketState.QUEUED, Payment.WAITING);
    line.numbered("bob", 2);
    waiting("cat", 3);

    assertThat(status("bob").ahead()).isEqualTo(-1);
    assertThat(status("cat").ahead()).isEqualTo(1);
  }

  @Test
  void aBuyerOutOfLineHasNobodyCountedAheadAndAnEmptyCardStateWhenNoneIsKnown() {
    Ticket admitted = ticket("ann", 1, TicketState.ADMITTED);

    assertThat(status("ann")).isEqualTo(new Status(Outcome.TICKET, admitted, -1, -1, 0, "", null));
  }

  @Test
  void theCardStateIsNamedAsCallersKnowIt() {
    waiting("ann", 1, Payment.WAITING);
    waiting("bob", 2, Payment.AUTHORIZING);
    ticket("cat", 3, TicketState.DECLINED, Payment.DECLINED);

    assertThat(status("ann").payment()).as("not started yet").isEqualTo("AUTHORIZING");
    assertThat(status("bob").payment()).isEqualTo("AUTHORIZING");
    assertThat(status("cat").payment()).isEqualTo("DECLINED");
  }

  @Test
  void aPrequeueBuyerIsToldThePrequeuesSize() {
    Ticket ann = ticket("ann", 0, TicketState.QUEUED, Payment.WAITING);
    send(Command.SADD, keys.line(0, 1).prequeue(), "ann", "bob", "cat");

    assertThat(status("ann"))
        .isEqualTo(new Status(Outcome.TICKET, ann, -1, -1, 3, "AUTHORIZING", null));
  }

  @Test
  void aBuyerWithoutATicketHasNotJoined() {
    waiting("bob", 1);

    assertThat(status("ann")).isEqualTo(new Status(Outcome.NOT_JOINED, null, -1, -1, 0, "", null));
  }

  @Test
  void aBuyerWithoutATicketSinceTheLineWasLostIsToldWhenItWas() {
    send(Command.SET, keys.lineLost(), "1700000000000");

    assertThat(status("ann"))
        .isEqualTo(new Status(Outcome.LINE_LOST, null, -1, -1, 0, "", "1700000000000"));
  }

  @Test
  void aBuyerWhoJoinedAgainAfterTheLineWasLostSeesTheirNewTicket() {
    send(Command.SET, keys.lineLost(), "1700000000000");
    Ticket ann = waiting("ann", 1);

    assertThat(status("ann").outcome()).isEqualTo(Outcome.TICKET);
    assertThat(status("ann").ticket()).isEqualTo(ann);
  }
}
