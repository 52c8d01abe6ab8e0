package io.flashsale.waitingroom;

import static io.flashsale.support.TestRedis.get;
import static io.flashsale.support.TestRedis.hget;
import static io.flashsale.support.TestRedis.send;
import static io.flashsale.support.TestRedis.zscore;
import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.antibot.BotDefence.Guards;
import io.flashsale.antibot.RateLimits;
import io.flashsale.antibot.Rejection;
import io.flashsale.infra.SaleKeys;
import io.flashsale.support.Await;
import io.flashsale.support.TestRedis;
import io.flashsale.waitingroom.JoinQueueScript.Join;
import io.flashsale.waitingroom.JoinQueueScript.JoinResult;
import io.vertx.redis.client.Command;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code join_queue.lua} alone, through its class, one behaviour per test. */
class JoinQueueScriptTest {

  private static final JoinQueueScript script = new JoinQueueScript(TestRedis.client());

  private final SaleKeys keys = new SaleKeys(UUID.randomUUID().toString());

  @AfterEach
  void forgetSale() {
    TestRedis.forgetSale(keys.saleId());
  }

  private List<JoinResult> join(Join... joins) {
    return Await.result(script.run(keys, false, List.of(joins)));
  }

  private List<JoinResult> joinShuffled(Join... joins) {
    return Await.result(script.run(keys, true, List.of(joins)));
  }

  private static Join buyer(String user) {
    return buyer(user, Guards.NONE);
  }

  private static Join buyer(String user, Guards guards) {
    return new Join(user, 1, "ticket-" + user, "card-" + user, "", guards);
  }

  private static String queued(String user, long number) {
    return new Ticket("ticket-" + user, number, 1, TicketState.QUEUED, null, 0).encode();
  }

  private static JoinResult refused(String reason) {
    return new JoinResult(reason, "", 0, 0, null);
  }

  @Test
  void numbersNewBuyersInArrivalOrderAndAnswersTheStockLeft() {
    send(Command.SET, keys.stock(), 7);

    assertThat(join(buyer("ann"), buyer("bob"), buyer("cat")))
        .containsExactly(
            new JoinResult("JOINED", queued("ann", 1), 1, 7, null),
            new JoinResult("JOINED", queued("bob", 2), 2, 7, null),
            new JoinResult("JOINED", queued("cat", 3), 3, 7, null));
    assertThat(join(buyer("dan")).get(0).ticket())
        .as("the next batch carries on")
        .isEqualTo(queued("dan", 4));
  }

  @Test
  void putsANewBuyerInLineAndStartsTheirCardPreauthorisation() {
    long before = TestRedis.nowMillis();

    assertThat(join(buyer("ann")).get(0).detail()).as("no stock loaded").isEqualTo(-1);

    assertThat(hget(keys.tickets(), "ann")).isEqualTo(queued("ann", 1));
    assertThat(get(keys.sequence())).isEqualTo("1");
    assertThat(zscore(keys.line(), "ann")).isEqualTo(1);
    assertThat(zscore(keys.preauthQueue(), "ann")).as("pre-authorised in line order").isEqualTo(1);
    assertThat(hget(keys.payments(), "ann")).isEqualTo("AUTHORIZING");
    assertThat(hget(keys.paymentMethods(), "ann")).isEqualTo("card-ann");
    assertThat(zscore(keys.seen(), "ann"))
        .as("a buyer who just joined is present")
        .isGreaterThanOrEqualTo(before);
  }

  @Test
  void aBuyerWhoJoinsAgainKeepsTheirFirstTicketAndPlace() {
    join(buyer("ann"));

    List<JoinResult> again =
        join(new Join("ann", 2, "ticket-other", "card-other", "", Guards.NONE), buyer("ann"));

    assertThat(again).containsOnly(new JoinResult("EXISTING", queued("ann", 1), 0, 0, null));
    assertThat(get(keys.sequence())).isEqualTo("1");
    assertThat(TestRedis.zrange(keys.line())).containsExactly("ann");
    assertThat(hget(keys.paymentMethods(), "ann")).isEqualTo("card-ann");
  }

  @Test
  void thePlaceInLineCountsOnlyBuyersStillWaiting() {
    join(buyer("ann"), buyer("bob"));
    send(Command.ZREM, keys.line(), "ann");

    assertThat(join(buyer("cat")))
        .containsExactly(new JoinResult("JOINED", queued("cat", 3), 2, -1, null));
  }

  @Test
  void beforeTheSealAShufflingSaleHoldsBuyersInThePrequeueUnnumbered() {
    assertThat(joinShuffled(buyer("ann"), buyer("bob")))
        .containsExactly(
            new JoinResult("JOINED", queued("ann", 0), 1, -1, null),
            new JoinResult("JOINED", queued("bob", 0), 2, -1, null));

    assertThat(TestRedis.smembers(keys.prequeue())).containsExactlyInAnyOrder("ann", "bob");
    assertThat(TestRedis.exists(keys.line())).isFalse();
    assertThat(TestRedis.exists(keys.sequence())).isFalse();
    assertThat(zscore(keys.preauthQueue(), "ann"))
        .as("pre-queue buyers are pre-authorised first")
        .isZero();
  }

  @Test
  void afterTheSealAShufflingSaleNumbersNewBuyersBehindTheLine() {
    send(Command.SET, keys.sealed(), 1);
    send(Command.SET, keys.sequence(), 5);

    assertThat(joinShuffled(buyer("ann")))
        .containsExactly(new JoinResult("JOINED", queued("ann", 6), 1, -1, null));
    assertThat(TestRedis.exists(keys.prequeue())).isFalse();
  }

  @Test
  void refusesAFlaggedAccountOrDeviceAndCountsEachRefusal() {
    send(Command.SADD, keys.blacklist(), "ann");
    send(Command.SADD, keys.blacklistedDevices(), "device-x");

    List<JoinResult> results =
        join(buyer("ann"), new Join("bob", 1, "ticket-bob", "card-bob", "device-x", Guards.NONE));

    assertThat(results).containsExactly(refused("BLACKLISTED"), refused("BLACKLISTED_DEVICE"));
    assertThat(hget(keys.rejections(), "BLACKLISTED")).isEqualTo("1");
    assertThat(hget(keys.rejections(), "BLACKLISTED_DEVICE")).isEqualTo("1");
    assertThat(TestRedis.exists(keys.tickets())).isFalse();
    assertThat(TestRedis.exists(keys.sequence())).as("a refusal uses no number").isFalse();
  }

  @Test
  void refusesAJoinByTheReasonItsProofOfWorkFailedAndCountsIt() {
    Guards badProof = new Guards(List.of(), Rejection.POW_WRONG.exception("wrong answer"), null, 0);

    assertThat(join(buyer("ann", badProof))).containsExactly(refused("POW_WRONG"));
    assertThat(hget(keys.rejections(), "POW_WRONG")).isEqualTo("1");
    assertThat(hget(keys.tickets(), "ann")).isNull();
  }

  @Test
  void spendsAGoodProofOfWorkOnceAndRefusesItsReplay() {
    Guards proof = new Guards(List.of(), null, keys.usedChallenge("nonce-1"), 60_000);

    List<JoinResult> results = join(buyer("ann", proof), buyer("bob", proof));

    assertThat(results.get(0).outcome()).isEqualTo("JOINED");
    assertThat(results.get(1)).isEqualTo(refused("POW_REPLAYED"));
    assertThat(hget(keys.rejections(), "POW_REPLAYED")).isEqualTo("1");
    assertThat(send(Command.PTTL, keys.usedChallenge("nonce-1")).toLong())
        .as("the mark lives as long as the proof")
        .isBetween(1L, 60_000L);
  }

  @Test
  void refusesARateLimitedJoinNamingTheLimitAndCountsIt() {
    RateLimits.Check user = new RateLimits.Check(keys.rateLimit("user", "ann"), 60_000, 1, "user");
    Guards limited = new Guards(List.of(user), null, null, 0);

    List<JoinResult> results = join(buyer("ann", limited), buyer("ann", limited));

    assertThat(results.get(0).outcome()).isEqualTo("JOINED");
    assertThat(results.get(1).outcome()).as("checked before the dedupe").isEqualTo("RATE_LIMITED");
    assertThat(results.get(1).number()).as("milliseconds to wait").isBetween(1L, 60_000L);
    assertThat(results.get(1).refusedBy()).isEqualTo(user);
    assertThat(hget(keys.rejections(), "RATE_LIMITED")).isEqualTo("1");
  }
}
