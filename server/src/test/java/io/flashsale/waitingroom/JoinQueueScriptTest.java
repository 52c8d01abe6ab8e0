package io.flashsale.waitingroom;

import static io.flashsale.support.TestRedis.get;
import static io.flashsale.support.TestRedis.hget;
import static io.flashsale.support.TestRedis.send;
import static io.flashsale.support.TestRedis.zscore;
import static org.assertj.core.api.Assertions.assertThat;

import io.flashsale.antibot.BotDefence.Guards;
import io.flashsale.antibot.RateLimitSketch;
import io.flashsale.antibot.RateLimits;
import io.flashsale.antibot.Rejection;
import io.flashsale.infra.SaleKeys;
import io.flashsale.support.Await;
import io.flashsale.support.ManualClock;
import io.flashsale.support.TestLine;
import io.flashsale.support.TestRedis;
import io.flashsale.waitingroom.JoinQueueScript.Join;
import io.flashsale.waitingroom.JoinQueueScript.JoinResult;
import io.flashsale.waitingroom.Ticket.Payment;
import io.vertx.redis.client.Command;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code join_queue.lua} alone, through its class, one behaviour per test. */
class JoinQueueScriptTest {

  private static final JoinQueueScript script = new JoinQueueScript(TestRedis.client());

  private final SaleKeys keys = new SaleKeys(UUID.randomUUID().toString());
  private final TestLine line = new TestLine(keys);

  @AfterEach
  void forgetSale() {
    TestRedis.forgetSale(keys.saleId());
  }

  private List<JoinResult> join(Join... joins) {
    return join(Arrays.asList(new RateLimits.Refusal[joins.length]), joins);
  }

  /** {@code limited}: per join, what its rate limits said (null: let through). */
  private List<JoinResult> join(List<RateLimits.Refusal> limited, Join... joins) {
    return Await.result(script.run(keys.line(0, 1), false, List.of(joins), limited));
  }

  private List<JoinResult> joinShuffled(Join... joins) {
    return Await.result(
        script.run(
            keys.line(0, 1),
            true,
            List.of(joins),
            Arrays.asList(new RateLimits.Refusal[joins.length])));
  }

  private static Join buyer(String user) {
    return buyer(user, Guards.NONE);
  }

  private static Join buyer(String user, Guards guards) {
    return new Join(user, 1, "ticket-" + user, "card-" + user, "", guards);
  }

  /**
   * The ticket join_queue.lua writes for a new buyer, the time they were seen left out: waiting for
   * their card's pre-authorisation, with the payment method to use.
   */
  private static String queued(String user, long number) {
    return new Ticket(
            "ticket-" + user,
            number,
            1,
            TicketState.QUEUED,
            null,
            0,
            Payment.WAITING,
            0,
            "card-" + user)
        .encode();
  }

  /** The results with each ticket's seen time (Redis' clock) left out. */
  private static List<JoinResult> unseen(List<JoinResult> results) {
    return results.stream()
        .map(
            result ->
                result.ticket().isEmpty()
                    ? result
                    : new JoinResult(
                        result.outcome(),
                        TestLine.unseen(result.ticket()),
                        result.number(),
                        result.detail(),
                        result.limited()))
        .toList();
  }

  private static JoinResult refused(String reason) {
    return new JoinResult(reason, "", 0, 0, null);
  }

  @Test
  void numbersNewBuyersInArrivalOrderAndAnswersTheStockLeft() {
    send(Command.SET, keys.stock(), 7);

    assertThat(unseen(join(buyer("ann"), buyer("bob"), buyer("cat"))))
        .containsExactly(
            new JoinResult("JOINED", queued("ann", 1), 1, 7, null),
            new JoinResult("JOINED", queued("bob", 2), 2, 7, null),
            new JoinResult("JOINED", queued("cat", 3), 3, 7, null));
    assertThat(unseen(join(buyer("dan"))).get(0).ticket())
        .as("the next batch carries on")
        .isEqualTo(queued("dan", 4));
    assertThat(line.roster()).containsExactly("ann", "bob", "cat", "dan");
  }

  @Test
  void putsANewBuyerInLineAndLeavesTheirCardToTheWalkOfTheLine() {
    JoinResult ann = join(buyer("ann")).get(0);

    assertThat(ann.detail()).as("no stock loaded").isEqualTo(-1);
    assertThat(ann.number()).as("their place: the buyers waiting").isEqualTo(1);
    assertThat(hget(keys.line(0, 1).tickets(), "ann"))
        .as("answered as stored")
        .isEqualTo(ann.ticket());
    assertThat(TestLine.unseen(line.ticket("ann")))
        .as("payment Q: the claim step's walk of the line will find them")
        .isEqualTo(Ticket.decode(queued("ann", 1)));
    assertThat(get(keys.line(0, 1).sequence())).isEqualTo("1");
    assertThat(line.roster()).containsExactly("ann");
    assertThat(line.waits(1)).isTrue();
    assertThat(line.waitingCount()).isEqualTo(1);
    assertThat(zscore(keys.line(0, 1).preauthQueue(), "ann"))
        .as("authq only holds buyers the walk cannot reach")
        .isNull();
  }

  @Test
  void aNewBuyerIsSeenOnRedisClockAndCountedPresentInThatSecond() {
    long before = TestRedis.nowMillis();

    join(buyer("ann"), buyer("bob"));

    long seen = line.ticket("ann").seenAtMillis();
    assertThat(seen).isBetween(before, TestRedis.nowMillis());
    assertThat(line.ticket("bob").seenAtMillis()).as("one batch, one clock").isEqualTo(seen);
    assertThat(line.seenInSecondOf(seen)).isEqualTo(2);
    assertThat(line.presenceSeconds()).isEqualTo(1);
  }

  @Test
  void aBuyerWhoJoinsAgainKeepsTheirFirstTicketAndPlace() {
    join(buyer("ann"));
    String first = hget(keys.line(0, 1).tickets(), "ann");

    List<JoinResult> again =
        join(new Join("ann", 2, "ticket-other", "card-other", "", Guards.NONE), buyer("ann"));

    assertThat(again).containsOnly(new JoinResult("EXISTING", first, 0, 0, null));
    assertThat(hget(keys.line(0, 1).tickets(), "ann")).isEqualTo(first);
    assertThat(get(keys.line(0, 1).sequence())).isEqualTo("1");
    assertThat(line.roster()).containsExactly("ann");
    assertThat(line.waitingCount()).isEqualTo(1);
    assertThat(line.ticket("ann").paymentMethod()).isEqualTo("card-ann");
  }

  @Test
  void thePlaceInLineCountsOnlyBuyersStillWaiting() {
    join(buyer("ann"), buyer("bob"));
    line.take(1);

    assertThat(unseen(join(buyer("cat"))))
        .containsExactly(new JoinResult("JOINED", queued("cat", 3), 2, -1, null));
    assertThat(line.roster()).containsExactly("ann", "bob", "cat");
    assertThat(line.inLine()).containsExactly("bob", "cat");
    assertThat(line.waitingCount()).isEqualTo(2);
  }

  @Test
  void beforeTheSealAShufflingSaleHoldsBuyersInThePrequeueUnnumbered() {
    assertThat(unseen(joinShuffled(buyer("ann"), buyer("bob"))))
        .containsExactly(
            new JoinResult("JOINED", queued("ann", 0), 1, -1, null),
            new JoinResult("JOINED", queued("bob", 0), 2, -1, null));

    assertThat(TestRedis.smembers(keys.line(0, 1).prequeue()))
        .containsExactlyInAnyOrder("ann", "bob");
    assertThat(TestRedis.exists(keys.line(0, 1).line())).isFalse();
    assertThat(TestRedis.exists(keys.line(0, 1).roster())).isFalse();
    assertThat(TestRedis.exists(keys.line(0, 1).waiting())).isFalse();
    assertThat(TestRedis.exists(keys.line(0, 1).sequence())).isFalse();
    assertThat(zscore(keys.line(0, 1).preauthQueue(), "ann"))
        .as("pre-queue buyers are pre-authorised first, from authq")
        .isZero();
    assertThat(zscore(keys.line(0, 1).preauthQueue(), "bob")).isZero();
  }

  @Test
  void afterTheSealAShufflingSaleNumbersNewBuyersBehindTheLine() {
    send(Command.SET, keys.line(0, 1).sealed(), 1);
    line.numbered("eve", 5);

    assertThat(unseen(joinShuffled(buyer("ann"))))
        .containsExactly(new JoinResult("JOINED", queued("ann", 6), 1, -1, null));
    assertThat(TestRedis.exists(keys.line(0, 1).prequeue())).isFalse();
    assertThat(line.roster()).as("entry 5 is number 6").hasSize(6).endsWith("ann");
    assertThat(line.inLine()).containsExactly("ann");
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
    assertThat(TestRedis.exists(keys.line(0, 1).tickets())).isFalse();
    assertThat(TestRedis.exists(keys.line(0, 1).sequence()))
        .as("a refusal uses no number")
        .isFalse();
    assertThat(TestRedis.exists(keys.line(0, 1).roster())).isFalse();
    assertThat(TestRedis.exists(keys.line(0, 1).waiting())).isFalse();
  }

  @Test
  void refusesAJoinByTheReasonItsProofOfWorkFailedAndCountsIt() {
    Guards badProof = new Guards(List.of(), Rejection.POW_WRONG.exception("wrong answer"));

    assertThat(join(buyer("ann", badProof))).containsExactly(refused("POW_WRONG"));
    assertThat(hget(keys.rejections(), "POW_WRONG")).isEqualTo("1");
    assertThat(hget(keys.line(0, 1).tickets(), "ann")).isNull();
  }

  @Test
  void aGoodProofIsSpentByTheTicketItBuysSoItsReplayIsAnsweredWithThatTicket() {
    // The instance verified the proof (it names this sale and ann): nothing is left to refuse.
    Guards verified = new Guards(List.of(), null);

    JoinResult first = join(buyer("ann", verified)).get(0);
    List<JoinResult> replays = join(buyer("ann", verified), buyer("ann", verified));

    assertThat(first.outcome()).isEqualTo("JOINED");
    assertThat(replays)
        .containsOnly(new JoinResult("EXISTING", first.ticket(), 0, 0, null))
        .hasSize(2);
    assertThat(line.inLine()).containsExactly("ann");
    assertThat(TestRedis.exists(keys.rejections())).as("nothing to refuse").isFalse();
  }

  /** What the instance's rate limits said of a join they refused. */
  private static final RateLimits.Refusal TOO_MANY =
      new RateLimits.Refusal(
          new RateLimits.Check(RateLimits.Dimension.IP, "10.0.0.1", 2_000, 40), 1_500);

  @Test
  void refusesAJoinItsRateLimitsRefusedAndCountsIt() {
    List<JoinResult> results = join(Arrays.asList(null, TOO_MANY), buyer("ann"), buyer("bob"));

    assertThat(results.get(0).outcome()).isEqualTo("JOINED");
    assertThat(results.get(1)).isEqualTo(new JoinResult("RATE_LIMITED", "", 0, 0, TOO_MANY));
    assertThat(hget(keys.rejections(), "RATE_LIMITED")).isEqualTo("1");
    assertThat(line.inLine()).containsExactly("ann");
  }

  @Test
  void aTicketHolderIsAnsweredWithTheirTicketEvenPastTheirRateLimits() {
    JoinResult joined = join(buyer("ann")).get(0);

    assertThat(join(List.of(TOO_MANY), buyer("ann")))
        .containsExactly(new JoinResult("EXISTING", joined.ticket(), 0, 0, null));
    assertThat(TestRedis.exists(keys.rejections())).as("nothing refused").isFalse();
  }

  @Test
  void theRateLimitsRefuseBeforeTheProofOfWork() {
    Guards noProof = new Guards(List.of(), Rejection.POW_MISSING.exception("no proof"));

    assertThat(join(List.of(TOO_MANY), buyer("ann", noProof)))
        .containsExactly(new JoinResult("RATE_LIMITED", "", 0, 0, TOO_MANY));
    assertThat(hget(keys.rejections(), "POW_MISSING")).isNull();
  }

  /**
   * A one-slot line's script counts the batch's limits itself; a batch past the script's slices
   * (1,000 user ids per HMGET, 1,000 ops per BITFIELD) is counted in arrival order all the same.
   */
  @Test
  void aLargeBatchCountsItsOwnLimitsInArrivalOrder() {
    RateLimits limits =
        new RateLimits(
            TestRedis.client(),
            new RateLimits.Settings(
                new RateLimits.Limit(5, 10),
                new RateLimits.Limit(525, 1_050),
                new RateLimits.Limit(0, 0)),
            new RateLimitSketch(
                "a test secret, as long as jwt.secret must be",
                new ManualClock(Instant.parse("2030-01-01T00:00:00Z"))));
    List<Join> joins = new ArrayList<>();
    for (int i = 0; i < 1_100; i++) {
      String user = "buyer-" + i;
      joins.add(buyer(user, new Guards(limits.checks(user, "10.0.0.1", ""), null)));
    }

    List<JoinResult> results =
        Await.result(
            script.run(
                keys.line(0, 1),
                false,
                joins,
                limits.inScript(
                    keys, joins.stream().map(join -> join.guards().limits()).toList())));

    assertThat(results.subList(0, 1_050)).allMatch(result -> result.outcome().equals("JOINED"));
    assertThat(results.get(1_049).number()).isEqualTo(1_050);
    assertThat(results.subList(1_050, 1_100))
        .allSatisfy(
            result -> {
              assertThat(result.outcome()).isEqualTo("RATE_LIMITED");
              assertThat(result.limited().check().dimension()).isEqualTo(RateLimits.Dimension.IP);
              assertThat(result.limited().retryAfterMillis()).isEqualTo(2_000);
            });
    assertThat(send(Command.HLEN, keys.line(0, 1).tickets()).toLong()).isEqualTo(1_050);
    assertThat(send(Command.BITCOUNT, keys.line(0, 1).line()).toLong()).isEqualTo(1_050);
  }
}
