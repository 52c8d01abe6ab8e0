package io.flashsale.waitingroom;

import static io.flashsale.support.TestRedis.get;
import static io.flashsale.support.TestRedis.send;
import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.infra.SaleKeys;
import io.flashsale.support.Await;
import io.flashsale.support.TestLine;
import io.flashsale.support.TestRedis;
import io.flashsale.waitingroom.SealPrequeueScript.Sealing;
import io.flashsale.waitingroom.Ticket.Payment;
import io.vertx.redis.client.Command;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code seal_prequeue.lua} alone, through its class, one behaviour per test. */
class SealPrequeueScriptTest {

  private static final SealPrequeueScript script = new SealPrequeueScript(TestRedis.client());
  private static final long SEEN = 1_700_000_000_000L;

  private final SaleKeys keys = new SaleKeys(UUID.randomUUID().toString());
  private final TestLine line = new TestLine(keys);

  @AfterEach
  void forgetSale() {
    TestRedis.forgetSale(keys.saleId());
  }

  private Sealing seal(boolean sealWhenEmpty, String... usersInLineOrder) {
    return Await.result(script.run(keys.line(0, 1), sealWhenEmpty, List.of(usersInLineOrder)));
  }

  /** A buyer who joined the pre-queue, as join_queue.lua leaves them. */
  private void inPrequeue(String... users) {
    for (String user : users) {
      send(Command.SADD, keys.line(0, 1).prequeue(), user);
      send(Command.ZADD, keys.line(0, 1).preauthQueue(), 0, user);
      line.holds(user, ticket(user, 0, Payment.WAITING));
    }
  }

  private static Ticket ticket(String user, long number, Payment payment) {
    return new Ticket(
        "ticket-" + user, number, 2, TicketState.QUEUED, null, 0, payment, SEEN, "card-" + user);
  }

  @Test
  void numbersThePrequeueInTheOrderGivenAndSealsItWhenEmpty() {
    inPrequeue("ann", "bob", "cat");

    assertThat(seal(true, "cat", "ann", "bob")).isEqualTo(new Sealing(true, 0));

    assertThat(line.roster()).containsExactly("cat", "ann", "bob");
    assertThat(line.inLine()).containsExactly("cat", "ann", "bob");
    assertThat(line.waitingCount()).isEqualTo(3);
    assertThat(get(keys.line(0, 1).sequence())).isEqualTo("3");
    assertThat(line.ticket("cat")).isEqualTo(ticket("cat", 1, Payment.WAITING));
    assertThat(line.ticket("bob").number()).isEqualTo(3);
    assertThat(TestRedis.exists(keys.line(0, 1).prequeue())).isFalse();
    assertThat(TestRedis.exists(keys.line(0, 1).sealed())).isTrue();
  }

  @Test
  void handsThePreauthorisationsNotStartedOverToTheWalkOfTheLine() {
    inPrequeue("ann", "bob");
    // bob's pre-authorisation has already started: he is no longer in authq.
    send(Command.ZREM, keys.line(0, 1).preauthQueue(), "bob");
    line.holds("bob", ticket("bob", 0, Payment.AUTHORIZING));

    seal(true, "bob", "ann");

    assertThat(TestRedis.exists(keys.line(0, 1).preauthQueue()))
        .as("numbered and in line, ann is found by the walk")
        .isFalse();
    assertThat(line.ticket("ann")).isEqualTo(ticket("ann", 2, Payment.WAITING));
    assertThat(line.ticket("bob")).isEqualTo(ticket("bob", 1, Payment.AUTHORIZING));
  }

  @Test
  void numbersEachBuyerOnlyOnceHoweverOftenItRuns() {
    inPrequeue("ann", "bob");
    seal(true, "bob", "ann");

    assertThat(seal(true, "ann", "bob")).isEqualTo(new Sealing(true, 0));

    assertThat(line.roster()).containsExactly("bob", "ann");
    assertThat(line.inLine()).containsExactly("bob", "ann");
    assertThat(line.waitingCount()).isEqualTo(2);
    assertThat(get(keys.line(0, 1).sequence())).isEqualTo("2");
    assertThat(line.ticket("ann")).isEqualTo(ticket("ann", 2, Payment.WAITING));
  }

  @Test
  void skipsABuyerNoLongerInThePrequeue() {
    inPrequeue("ann");
    line.holds("bob", new Ticket("ticket-bob", 0, 2, TicketState.LEFT, null, 0));

    seal(true, "bob", "ann");

    assertThat(line.roster()).containsExactly("ann");
    assertThat(line.inLine()).containsExactly("ann");
    assertThat(line.ticket("ann").number()).isEqualTo(1);
    assertThat(line.ticket("bob").number()).isZero();
  }

  @Test
  void staysOpenWhileBuyersRemainOrUntilTheLastChunk() {
    inPrequeue("ann", "bob");

    assertThat(seal(true, "ann")).isEqualTo(new Sealing(false, 1));
    assertThat(seal(false, "bob")).isEqualTo(new Sealing(false, 0));
    assertThat(TestRedis.exists(keys.line(0, 1).sealed())).isFalse();

    assertThat(seal(true)).isEqualTo(new Sealing(true, 0));
    assertThat(TestRedis.exists(keys.line(0, 1).sealed())).isTrue();
  }

  @Test
  void numbersAfterTheLastNumberHandedOut() {
    line.numbered("gus", 7);
    inPrequeue("ann");

    seal(true, "ann");

    assertThat(line.ticket("ann").number()).isEqualTo(8);
    assertThat(line.roster()).as("entry 7 is number 8").hasSize(8).endsWith("ann");
    assertThat(line.inLine()).containsExactly("ann");
  }
}
