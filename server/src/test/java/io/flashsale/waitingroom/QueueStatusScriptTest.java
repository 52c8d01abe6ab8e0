package io.flashsale.waitingroom;

import static io.flashsale.support.TestRedis.send;
import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.infra.SaleKeys;
import io.flashsale.support.Await;
import io.flashsale.support.TestRedis;
import io.flashsale.waitingroom.QueueStatusScript.Outcome;
import io.flashsale.waitingroom.QueueStatusScript.Status;
import io.vertx.redis.client.Command;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code queue_status.lua} alone, through its class, one behaviour per test. */
class QueueStatusScriptTest {

  private static final QueueStatusScript script = new QueueStatusScript(TestRedis.client());

  private final SaleKeys keys = new SaleKeys(UUID.randomUUID().toString());

  @AfterEach
  void forgetSale() {
    TestRedis.forgetSale(keys.saleId());
  }

  private Status status(String user) {
    return Await.result(script.run(keys, user));
  }

  private Ticket ticket(String user, long number, TicketState state) {
    Ticket ticket = new Ticket("ticket-" + user, number, 1, state, null, 0);
    send(Command.HSET, keys.tickets(), user, ticket.encode());
    return ticket;
  }

  private Ticket waiting(String user, long number) {
    send(Command.ZADD, keys.line(), number, user);
    return ticket(user, number, TicketState.QUEUED);
  }

  @Test
  void aBuyerInLineIsToldTheirTicketWhoIsAheadTheStockAndTheirCard() {
    waiting("ann", 1);
    waiting("bob", 2);
    Ticket cat = waiting("cat", 5);
    send(Command.SET, keys.stock(), 7);
    send(Command.HSET, keys.payments(), "cat", "AUTHORIZED");

    assertThat(status("cat"))
        .isEqualTo(new Status(Outcome.TICKET, cat, 2, 7, 0, "AUTHORIZED", null));
  }

  @Test
  void aBuyerOutOfLineHasNobodyCountedAheadAndAnEmptyCardStateWhenNoneIsKnown() {
    Ticket admitted = ticket("ann", 1, TicketState.ADMITTED);

    assertThat(status("ann")).isEqualTo(new Status(Outcome.TICKET, admitted, -1, -1, 0, "", null));
  }

  @Test
  void aPrequeueBuyerIsToldThePrequeuesSize() {
    Ticket ann = ticket("ann", 0, TicketState.QUEUED);
    send(Command.SADD, keys.prequeue(), "ann", "bob", "cat");

    assertThat(status("ann").prequeueSize()).isEqualTo(3);
    assertThat(status("ann").ticket()).isEqualTo(ann);
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
