package io.flashsale.waitingroom;

import static io.flashsale.support.TestRedis.get;
import static io.flashsale.support.TestRedis.hget;
import static io.flashsale.support.TestRedis.send;
import static io.flashsale.support.TestRedis.zscore;
import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.infra.SaleKeys;
import io.flashsale.support.Await;
import io.flashsale.support.TestRedis;
import io.flashsale.waitingroom.SealPrequeueScript.Sealing;
import io.vertx.redis.client.Command;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code seal_prequeue.lua} alone, through its class, one behaviour per test. */
class SealPrequeueScriptTest {

  private static final SealPrequeueScript script = new SealPrequeueScript(TestRedis.client());

  private final SaleKeys keys = new SaleKeys(UUID.randomUUID().toString());

  @AfterEach
  void forgetSale() {
    TestRedis.forgetSale(keys.saleId());
  }

  private Sealing seal(boolean sealWhenEmpty, String... usersInLineOrder) {
    return Await.result(script.run(keys, sealWhenEmpty, List.of(usersInLineOrder)));
  }

  /** A buyer who joined the pre-queue, as join_queue.lua leaves them. */
  private void inPrequeue(String... users) {
    for (String user : users) {
      send(Command.SADD, keys.prequeue(), user);
      send(Command.ZADD, keys.preauthQueue(), 0, user);
      send(Command.HSET, keys.tickets(), user, ticket(user, 0).encode());
    }
  }

  private static Ticket ticket(String user, long number) {
    return new Ticket("ticket-" + user, number, 2, TicketState.QUEUED, null, 0);
  }

  @Test
  void numbersThePrequeueInTheOrderGivenAndSealsItWhenEmpty() {
    inPrequeue("ann", "bob", "cat");

    assertThat(seal(true, "cat", "ann", "bob")).isEqualTo(new Sealing(true, 0));

    assertThat(TestRedis.zrange(keys.line())).containsExactly("cat", "ann", "bob");
    assertThat(zscore(keys.line(), "bob")).isEqualTo(3);
    assertThat(get(keys.sequence())).isEqualTo("3");
    assertThat(hget(keys.tickets(), "cat")).isEqualTo(ticket("cat", 1).encode());
    assertThat(TestRedis.exists(keys.prequeue())).isFalse();
    assertThat(TestRedis.exists(keys.sealed())).isTrue();
  }

  @Test
  void carriesThePreauthorisationQueueOverToTheNewNumbers() {
    inPrequeue("ann", "bob");
    // bob's pre-authorisation has already started: he is no longer in its queue, and is not put
    // back.
    send(Command.ZREM, keys.preauthQueue(), "bob");

    seal(true, "bob", "ann");

    assertThat(zscore(keys.preauthQueue(), "ann")).isEqualTo(2);
    assertThat(zscore(keys.preauthQueue(), "bob")).isNull();
  }

  @Test
  void numbersEachBuyerOnlyOnceHoweverOftenItRuns() {
    inPrequeue("ann", "bob");
    seal(true, "bob", "ann");

    assertThat(seal(true, "ann", "bob")).isEqualTo(new Sealing(true, 0));

    assertThat(TestRedis.zrange(keys.line())).containsExactly("bob", "ann");
    assertThat(get(keys.sequence())).isEqualTo("2");
    assertThat(hget(keys.tickets(), "ann")).isEqualTo(ticket("ann", 2).encode());
  }

  @Test
  void skipsABuyerNoLongerInThePrequeue() {
    inPrequeue("ann");
    send(
        Command.HSET,
        keys.tickets(),
        "bob",
        new Ticket("ticket-bob", 0, 2, TicketState.LEFT, null, 0).encode());

    seal(true, "bob", "ann");

    assertThat(TestRedis.zrange(keys.line())).containsExactly("ann");
    assertThat(zscore(keys.line(), "ann")).isEqualTo(1);
  }

  @Test
  void staysOpenWhileBuyersRemainOrUntilTheLastChunk() {
    inPrequeue("ann", "bob");

    assertThat(seal(true, "ann")).isEqualTo(new Sealing(false, 1));
    assertThat(seal(false, "bob")).isEqualTo(new Sealing(false, 0));
    assertThat(TestRedis.exists(keys.sealed())).isFalse();

    assertThat(seal(true)).isEqualTo(new Sealing(true, 0));
    assertThat(TestRedis.exists(keys.sealed())).isTrue();
  }

  @Test
  void numbersAfterTheLastNumberHandedOut() {
    send(Command.SET, keys.sequence(), 7);
    inPrequeue("ann");

    seal(true, "ann");

    assertThat(zscore(keys.line(), "ann")).isEqualTo(8);
  }
}
