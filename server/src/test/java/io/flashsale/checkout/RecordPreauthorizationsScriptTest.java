package io.flashsale.checkout;

import static io.flashsale.support.TestRedis.hget;
import static io.flashsale.support.TestRedis.send;
import static io.flashsale.support.TestRedis.zscore;
import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.checkout.RecordPreauthorizationsScript.Answered;
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

/** {@code record_preauthorizations.lua} alone, through its class, one behaviour per test. */
class RecordPreauthorizationsScriptTest {

  private static final RecordPreauthorizationsScript script =
      new RecordPreauthorizationsScript(TestRedis.client());

  private final SaleKeys keys = new SaleKeys(UUID.randomUUID().toString());

  @AfterEach
  void forgetSale() {
    TestRedis.forgetSale(keys.saleId());
  }

  private List<String> record(Answered... answers) {
    return Await.result(script.run(keys, List.of(answers)));
  }

  private Ticket ticket(String user, long number, TicketState state) {
    Ticket ticket = new Ticket("ticket-" + user, number, 1, state, null, 0);
    send(Command.HSET, keys.tickets(), user, ticket.encode());
    return ticket;
  }

  /**
   * A buyer in line whose pre-authorisation is running, as claim_preauthorizations.lua leaves them.
   */
  private Ticket authorizing(String user, long number) {
    send(Command.ZADD, keys.line(), number, user);
    send(Command.ZADD, keys.preauthorizing(), 1, user);
    send(Command.HSET, keys.payments(), user, "AUTHORIZING");
    return ticket(user, number, TicketState.QUEUED);
  }

  @Test
  void anAuthorisedBuyerBecomesAdmissibleAndKeepsTheirPlace() {
    Ticket ann = authorizing("ann", 1);

    assertThat(record(new Answered("ann", true))).isEmpty();

    assertThat(hget(keys.payments(), "ann")).isEqualTo("AUTHORIZED");
    assertThat(zscore(keys.preauthorizing(), "ann")).as("the lease is released").isNull();
    assertThat(zscore(keys.line(), "ann")).isEqualTo(1);
    assertThat(hget(keys.tickets(), "ann")).isEqualTo(ann.encode());
  }

  @Test
  void aDeclinedBuyerLeavesTheLineWithTheAnswerOnTheirTicket() {
    Ticket ann = authorizing("ann", 1);
    authorizing("bob", 2);

    assertThat(record(new Answered("ann", false))).isEmpty();

    assertThat(hget(keys.payments(), "ann")).isEqualTo("DECLINED");
    assertThat(TestRedis.zrange(keys.line())).containsExactly("bob");
    assertThat(TestRedis.zrange(keys.preauthorizing())).containsExactly("bob");
    assertThat(hget(keys.tickets(), "ann"))
        .isEqualTo(new Ticket(ann.ticketId(), 1, 1, TicketState.DECLINED, null, 0).encode());
  }

  @Test
  void aDeclinedBuyerLeavesThePrequeueToo() {
    ticket("ann", 0, TicketState.QUEUED);
    send(Command.SADD, keys.prequeue(), "ann", "bob");

    record(new Answered("ann", false));

    assertThat(TestRedis.smembers(keys.prequeue())).containsExactly("bob");
  }

  @Test
  void aDeclineForABuyerWithoutATicketDoesNotStopTheRestOfTheGroup() {
    // Redis lost the sale's state while a card was being authorised: the group's other answers
    // must still be recorded (this call used to fail on the missing ticket, half applied).
    authorizing("bob", 2);
    ticket("cat", 3, TicketState.LEFT);

    List<String> toVoid =
        record(
            new Answered("nobody", false), new Answered("bob", false), new Answered("cat", true));

    assertThat(toVoid).containsExactly("cat");
    assertThat(hget(keys.tickets(), "nobody")).isNull();
    assertThat(hget(keys.payments(), "bob")).isEqualTo("DECLINED");
    assertThat(TestRedis.zrange(keys.line())).isEmpty();
  }

  @Test
  void aDeclineForATicketNoLongerWaitingLeavesTheTicketAsItIs() {
    Ticket ann = ticket("ann", 1, TicketState.ADMITTED);

    record(new Answered("ann", false));

    assertThat(hget(keys.tickets(), "ann")).isEqualTo(ann.encode());
    assertThat(hget(keys.payments(), "ann")).isEqualTo("DECLINED");
  }

  @Test
  void namesTheBuyersAuthorisedAfterTheyLeftOrWereDroppedSoTheirHoldsAreVoided() {
    ticket("ann", 1, TicketState.LEFT);
    authorizing("bob", 2);
    ticket("cat", 3, TicketState.DROPPED);
    ticket("dan", 4, TicketState.ADMITTED);

    List<String> toVoid =
        record(
            new Answered("ann", true),
            new Answered("bob", true),
            new Answered("cat", true),
            new Answered("dan", true));

    assertThat(toVoid).containsExactly("ann", "cat");
  }

  @Test
  void recordingTheSameAnswersAgainChangesNothing() {
    authorizing("ann", 1);
    authorizing("bob", 2);
    ticket("cat", 3, TicketState.LEFT);
    Answered[] answers = {
      new Answered("ann", true), new Answered("bob", false), new Answered("cat", true)
    };
    List<String> first = record(answers);
    String bobsTicket = hget(keys.tickets(), "bob");

    assertThat(record(answers)).isEqualTo(first);

    assertThat(hget(keys.tickets(), "bob")).isEqualTo(bobsTicket);
    assertThat(TestRedis.zrange(keys.line())).containsExactly("ann");
    assertThat(List.of(hget(keys.payments(), "ann"), hget(keys.payments(), "bob")))
        .containsExactly("AUTHORIZED", "DECLINED");
  }
}
