package io.flashsale.checkout;

import static io.flashsale.support.TestRedis.hget;
import static io.flashsale.support.TestRedis.send;
import static io.flashsale.support.TestRedis.zscore;
import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.checkout.RecordPreauthorizationsScript.Answered;
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

/** {@code record_preauthorizations.lua} alone, through its class, one behaviour per test. */
class RecordPreauthorizationsScriptTest {

  private static final RecordPreauthorizationsScript script =
      new RecordPreauthorizationsScript(TestRedis.client());
  private static final long SEEN = 1_700_000_000_000L;

  private final SaleKeys keys = new SaleKeys(UUID.randomUUID().toString());
  private final TestLine line = new TestLine(keys);

  @AfterEach
  void forgetSale() {
    TestRedis.forgetSale(keys.saleId());
  }

  private List<String> record(Answered... answers) {
    return Await.result(script.run(keys.line(0, 1), List.of(answers)));
  }

  private static Ticket ticket(String user, long number, TicketState state, Payment payment) {
    return new Ticket("ticket-" + user, number, 1, state, null, 0, payment, SEEN, "card-" + user);
  }

  private Ticket holds(String user, long number, TicketState state) {
    Ticket ticket = ticket(user, number, state, Payment.AUTHORIZING);
    line.holds(user, ticket);
    return ticket;
  }

  /**
   * A buyer in line whose pre-authorisation is running, as claim_preauthorizations.lua leaves them.
   */
  private Ticket authorizing(String user, long number) {
    line.waiting(user, number);
    send(Command.ZADD, keys.line(0, 1).preauthorizing(), 1, user);
    return holds(user, number, TicketState.QUEUED);
  }

  @Test
  void anAuthorisedBuyerBecomesAdmissibleAndKeepsTheirPlace() {
    authorizing("ann", 1);

    assertThat(record(new Answered("ann", true))).isEmpty();

    assertThat(line.ticket("ann"))
        .as("only the card's state changes")
        .isEqualTo(ticket("ann", 1, TicketState.QUEUED, Payment.AUTHORIZED));
    assertThat(zscore(keys.line(0, 1).preauthorizing(), "ann"))
        .as("the lease is released")
        .isNull();
    assertThat(line.inLine()).containsExactly("ann");
    assertThat(line.waitingCount()).isEqualTo(1);
  }

  @Test
  void aDeclinedBuyerLeavesTheLineWithTheAnswerOnTheirTicket() {
    authorizing("ann", 1);
    authorizing("bob", 2);

    assertThat(record(new Answered("ann", false))).isEmpty();

    assertThat(line.ticket("ann"))
        .isEqualTo(ticket("ann", 1, TicketState.DECLINED, Payment.DECLINED));
    assertThat(line.inLine()).containsExactly("bob");
    assertThat(line.waitingCount()).isEqualTo(1);
    assertThat(TestRedis.zrange(keys.line(0, 1).preauthorizing())).containsExactly("bob");
  }

  @Test
  void aDeclinedBuyerLeavesThePrequeueAndAuthqToo() {
    holds("ann", 0, TicketState.QUEUED);
    send(Command.SADD, keys.line(0, 1).prequeue(), "ann", "bob");
    // A lease that ran out put ann back in authq before the answer came.
    send(Command.ZADD, keys.line(0, 1).preauthQueue(), 0, "ann", 0, "bob");

    record(new Answered("ann", false));

    assertThat(TestRedis.smembers(keys.line(0, 1).prequeue())).containsExactly("bob");
    assertThat(TestRedis.zrange(keys.line(0, 1).preauthQueue())).containsExactly("bob");
    assertThat(TestRedis.exists(keys.line(0, 1).waiting())).as("no number, no line").isFalse();
    assertThat(line.ticket("ann").state()).isEqualTo(TicketState.DECLINED);
  }

  @Test
  void aDeclineForABuyerWithoutATicketDoesNotStopTheRestOfTheGroup() {
    // Redis lost the sale's state while a card was being authorised: the group's other answers
    // must still be recorded (this call used to fail on the missing ticket, half applied).
    authorizing("bob", 2);
    holds("cat", 3, TicketState.LEFT);

    List<String> toVoid =
        record(
            new Answered("nobody", false), new Answered("bob", false), new Answered("cat", true));

    assertThat(toVoid).containsExactly("cat");
    assertThat(hget(keys.line(0, 1).tickets(), "nobody")).isNull();
    assertThat(line.ticket("bob").payment()).isEqualTo(Payment.DECLINED);
    assertThat(line.inLine()).isEmpty();
    assertThat(line.waitingCount()).isZero();
  }

  @Test
  void aDeclineForATicketNoLongerWaitingLeavesItsStateAsItIs() {
    holds("ann", 1, TicketState.ADMITTED);
    authorizing("bob", 2);

    record(new Answered("ann", false));

    assertThat(line.ticket("ann"))
        .isEqualTo(ticket("ann", 1, TicketState.ADMITTED, Payment.DECLINED));
    assertThat(line.waitingCount()).as("ann was not counted in line").isEqualTo(1);
  }

  @Test
  void namesTheBuyersAuthorisedAfterTheyLeftOrWereDroppedSoTheirHoldsAreVoided() {
    holds("ann", 1, TicketState.LEFT);
    authorizing("bob", 2);
    holds("cat", 3, TicketState.DROPPED);
    holds("dan", 4, TicketState.ADMITTED);

    List<String> toVoid =
        record(
            new Answered("ann", true),
            new Answered("bob", true),
            new Answered("cat", true),
            new Answered("dan", true));

    assertThat(toVoid).containsExactly("ann", "cat");
    assertThat(line.ticket("ann").payment()).isEqualTo(Payment.AUTHORIZED);
  }

  @Test
  void recordingTheSameAnswersAgainChangesNothing() {
    authorizing("ann", 1);
    authorizing("bob", 2);
    holds("cat", 3, TicketState.LEFT);
    Answered[] answers = {
      new Answered("ann", true), new Answered("bob", false), new Answered("cat", true)
    };
    List<String> first = record(answers);
    String bobsTicket = hget(keys.line(0, 1).tickets(), "bob");

    assertThat(record(answers)).isEqualTo(first);

    assertThat(hget(keys.line(0, 1).tickets(), "bob")).isEqualTo(bobsTicket);
    assertThat(line.inLine()).containsExactly("ann");
    assertThat(line.waitingCount()).as("bob counted out once").isEqualTo(1);
    assertThat(List.of(line.ticket("ann").payment(), line.ticket("bob").payment()))
        .containsExactly(Payment.AUTHORIZED, Payment.DECLINED);
  }
}
