package io.flashsale.audit;

import static io.flashsale.support.TestRedis.get;
import static io.flashsale.support.TestRedis.hget;
import static io.flashsale.support.TestRedis.send;
import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.audit.SettleInFlightScript.Outcome;
import io.flashsale.audit.SettleInFlightScript.Settled;
import io.flashsale.infra.SaleKeys;
import io.flashsale.inventory.InFlight;
import io.flashsale.support.Await;
import io.flashsale.support.TestLine;
import io.flashsale.support.TestRedis;
import io.flashsale.waitingroom.Ticket;
import io.flashsale.waitingroom.Ticket.Payment;
import io.flashsale.waitingroom.TicketState;
import io.vertx.redis.client.Command;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code settle_inflight.lua} alone, through its class, one behaviour per test. */
class SettleInFlightScriptTest {

  private static final SettleInFlightScript script = new SettleInFlightScript(TestRedis.client());
  private static final long TAKEN_AT = 1_700_000_000_000L;
  private static final long SEEN = 1_699_999_990_000L;

  private final SaleKeys keys = new SaleKeys(UUID.randomUUID().toString());
  private final TestLine line = new TestLine(keys);

  @AfterEach
  void forgetSale() {
    TestRedis.forgetSale(keys.saleId());
  }

  private Settled settle(String orderId, boolean written) {
    return Await.result(script.run(keys, keys.line(0, 1), orderId, written));
  }

  /** What take_stock.lua leaves after a direct purchase: units held and in flight. */
  private void taken(String orderId, String user, int quantity) {
    send(Command.HINCRBY, keys.buyers(), user, quantity);
    send(Command.HSET, keys.inflight(), orderId, new InFlight(user, quantity, TAKEN_AT).encode());
  }

  /**
   * What admit.lua leaves after letting {@code user} out under {@code number}: out of line, the
   * ticket ADMITTED with an authorised card, the ticket id is the order id.
   */
  private Ticket admitted(String user, long number, int quantity) {
    Ticket ticket = ticket(user, number, quantity, TicketState.ADMITTED, null, TAKEN_AT);
    line.holds(user, ticket);
    line.numbered(user, number);
    taken(ticket.ticketId(), user, quantity);
    return ticket;
  }

  private static Ticket ticket(
      String user,
      long number,
      int quantity,
      TicketState state,
      String orderId,
      long admittedAtMillis) {
    return new Ticket(
        "ticket-" + user,
        number,
        quantity,
        state,
        orderId,
        admittedAtMillis,
        Payment.AUTHORIZED,
        SEEN,
        "card-" + user);
  }

  @Test
  void leavesATakeAlreadySettledAlone() {
    send(Command.SET, keys.stock(), 3);

    assertThat(settle("order-1", false)).isEqualTo(new Settled(Outcome.ALREADY_SETTLED, 0, ""));
    assertThat(get(keys.stock())).isEqualTo("3");
  }

  @Test
  void aTakeTheDatabaseHasOnlyLeavesTheInFlightRecord() {
    send(Command.SET, keys.stock(), 3);
    taken("order-1", "ann", 2);

    assertThat(settle("order-1", true)).isEqualTo(new Settled(Outcome.WRITTEN, 0, ""));

    assertThat(hget(keys.inflight(), "order-1")).isNull();
    assertThat(get(keys.stock())).isEqualTo("3");
    assertThat(hget(keys.buyers(), "ann")).isEqualTo("2");
  }

  @Test
  void anAdmissionTheDatabaseHasMarksTheTicketReserved() {
    Ticket ann = admitted("ann", 4, 2);

    assertThat(settle(ann.ticketId(), true)).isEqualTo(new Settled(Outcome.WRITTEN, 0, "RESERVED"));

    assertThat(line.ticket("ann"))
        .isEqualTo(ticket("ann", 4, 2, TicketState.RESERVED, ann.ticketId(), TAKEN_AT));
    assertThat(line.waits(4)).isFalse();
  }

  @Test
  void aTakeTheDatabaseLacksGivesItsUnitsBackOnce() {
    send(Command.SET, keys.stock(), 3);
    taken("order-1", "ann", 2);

    assertThat(settle("order-1", false)).isEqualTo(new Settled(Outcome.RETURNED, 2, ""));
    assertThat(settle("order-1", false)).isEqualTo(new Settled(Outcome.ALREADY_SETTLED, 0, ""));

    assertThat(get(keys.stock())).isEqualTo("5");
    assertThat(hget(keys.buyers(), "ann")).isNull();
    assertThat(hget(keys.inflight(), "order-1")).isNull();
  }

  @Test
  void aBuyerKeepsTheUnitsOfTheirOtherTakes() {
    send(Command.SET, keys.stock(), 0);
    taken("order-1", "ann", 1);
    taken("order-2", "ann", 2);

    settle("order-1", false);

    assertThat(hget(keys.buyers(), "ann")).isEqualTo("2");
    assertThat(hget(keys.inflight(), "order-2")).isNotNull();
  }

  @Test
  void anAdmissionTheDatabaseLacksPutsTheBuyerBackInLineUnderTheirNumber() {
    send(Command.SET, keys.stock(), 0);
    Ticket ann = admitted("ann", 4, 2);
    line.waiting("bob", 9);

    assertThat(settle(ann.ticketId(), false)).isEqualTo(new Settled(Outcome.RETURNED, 2, "QUEUED"));

    assertThat(line.inLine()).containsExactly("ann", "bob");
    assertThat(line.waits(4)).isTrue();
    assertThat(line.waitingCount()).isEqualTo(2);
    assertThat(line.ticket("ann"))
        .as("card still authorised: let out again when their turn comes")
        .isEqualTo(ticket("ann", 4, 2, TicketState.QUEUED, null, 0));
    assertThat(get(keys.stock())).isEqualTo("2");
  }

  @Test
  void onAShardedLineTheTakeWaitsForItsTicketInTheSettlingHash() {
    send(Command.SET, keys.stock(), 0);
    taken("ticket-ann", "ann", 2);
    taken("order-bob", "bob", 1);

    assertThat(Await.result(script.run(keys, keys.line(1, 3), "ticket-ann", false)))
        .isEqualTo(new Settled(Outcome.RETURNED, 2, ""));
    assertThat(Await.result(script.run(keys, keys.line(2, 3), "order-bob", true)))
        .isEqualTo(new Settled(Outcome.WRITTEN, 0, ""));

    assertThat(hget(keys.inflight(), "ticket-ann")).isNull();
    assertThat(get(keys.stock())).isEqualTo("2");
    assertThat(hget(keys.settling(), "ticket-ann"))
        .as("user, whether the database has the order, when taken")
        .isEqualTo(new InFlight("ann", 0, TAKEN_AT).encode());
    assertThat(hget(keys.settling(), "order-bob"))
        .isEqualTo(new InFlight("bob", 1, TAKEN_AT).encode());
  }

  @Test
  void onOneShardNothingWaitsInTheSettlingHash() {
    Ticket ann = admitted("ann", 4, 2);

    settle(ann.ticketId(), false);

    assertThat(send(Command.EXISTS, keys.settling()).toInteger()).isZero();
  }

  @Test
  void aTicketThatMovedOnIsNotPutBackInLine() {
    send(Command.SET, keys.stock(), 0);
    Ticket ann = admitted("ann", 4, 2);
    send(
        Command.HSET,
        keys.line(0, 1).tickets(),
        "ann",
        ticket("ann", 4, 2, TicketState.ENDED, null, TAKEN_AT).encode());

    assertThat(settle(ann.ticketId(), false)).isEqualTo(new Settled(Outcome.RETURNED, 2, ""));
    assertThat(line.waits(4)).isFalse();
    assertThat(line.waitingCount()).isZero();
  }

  @Test
  void givesNothingBackToACounterRedisLost() {
    taken("order-1", "ann", 2);

    assertThat(settle("order-1", false)).isEqualTo(new Settled(Outcome.RETURNED, 2, ""));

    assertThat(TestRedis.exists(keys.stock()))
        .as("the rebuild from the database counts these units")
        .isFalse();
    assertThat(hget(keys.buyers(), "ann")).isNull();
  }
}
