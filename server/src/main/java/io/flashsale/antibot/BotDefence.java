package io.flashsale.antibot;

import io.flashsale.antibot.ProofOfWork.Challenge;
import io.flashsale.antibot.ProofOfWork.Verified;
import io.flashsale.infra.SaleKeys;
import io.flashsale.sale.FlashSale;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.util.List;

/**
 * The checks a buyer passes before any stock or line work, cheapest first: the rate limits, then
 * the sale's proof of work (one HMAC, one hash, one Redis write), then its CAPTCHA (an HTTP call).
 * Every refusal is counted by reason, in metrics and in the sale's own tally.
 */
public final class BotDefence {

  /**
   * What a join must still pass in its batch: its rate limits (counted for the whole batch at once,
   * before the join script), then the refusal its proof of work already earned ({@code refusal},
   * counted by the script; null for a good proof or a sale that asks for none). A good proof is
   * spent by the ticket it buys (the challenge names the sale and the user, who holds one ticket),
   * so a join needs no mark.
   */
  public record Guards(List<RateLimits.Check> limits, Rejection.RejectedException refusal) {
    /** Nothing left to pass: every check already ran. */
    public static final Guards NONE = new Guards(List.of(), null);
  }

  /** What the request claims about itself; the user id comes from the verified token. */
  public record Attempt(
      String userId,
      String ip,
      String device,
      String powChallenge,
      String powSolution,
      String captchaToken) {}

  private final Redis redis;
  private final RateLimits rateLimits;
  private final ProofOfWork proofOfWork;
  private final CaptchaVerifier captcha;
  private final MeterRegistry metrics;

  public BotDefence(
      Redis redis,
      RateLimits rateLimits,
      ProofOfWork proofOfWork,
      CaptchaVerifier captcha,
      MeterRegistry metrics) {
    this.redis = redis;
    this.rateLimits = rateLimits;
    this.proofOfWork = proofOfWork;
    this.captcha = captcha;
    this.metrics = metrics;
  }

  /**
   * A challenge for this buyer, or a refusal if they ask too often or the sale has no proof of
   * work.
   */
  public Future<Challenge> challenge(FlashSale sale, Attempt attempt) {
    return counted(
            sale,
            rateLimits.take(
                sale.saleId(), sale.lineShards(), attempt.userId(), attempt.ip(), attempt.device()))
        .map(
            allowed ->
                proofOfWork.issue(
                    sale.saleId(), attempt.userId(), Math.max(sale.powDifficulty(), 0)));
  }

  public Future<Void> check(FlashSale sale, Attempt attempt) {
    return counted(
        sale,
        rateLimits
            .take(
                sale.saleId(), sale.lineShards(), attempt.userId(), attempt.ip(), attempt.device())
            .compose(
                allowed ->
                    sale.powDifficulty() > 0 ? spend(sale, attempt) : Future.succeededFuture())
            .compose(
                worked ->
                    sale.captchaRequired()
                        ? captcha.verify(attempt.captchaToken(), attempt.ip())
                        : Future.succeededFuture()));
  }

  /**
   * The checks before a direct purchase. A sale with neither proof of work nor CAPTCHA leaves its
   * rate limits to the purchase batch, which counts every buyer's in one round trip: they are
   * returned, to be passed on. Otherwise the rate limits run first, as in {@link #check}, since
   * they guard the CAPTCHA provider and the proof-of-work store, and nothing is left to pass on.
   */
  public Future<List<RateLimits.Check>> beforePurchase(FlashSale sale, Attempt attempt) {
    if (sale.powDifficulty() <= 0 && !sale.captchaRequired()) {
      return Future.succeededFuture(
          rateLimits.checks(attempt.userId(), attempt.ip(), attempt.device()));
    }
    return check(sale, attempt).map(List.of());
  }

  /**
   * The checks before a join, in the same order as {@link #check} (rate limits, then the proof of
   * work), left to the join batch: the proof is verified here (an HMAC and a hash, no I/O), the
   * batch counts the rate limits, and the script applies both verdicts, counting a bad proof; a
   * good one is spent by the ticket it buys. A sale that asks for a CAPTCHA runs every check first,
   * as in {@link #check} (which marks the proof used): the rate limits guard the CAPTCHA provider.
   */
  private Guards beforeJoin(FlashSale sale, Attempt attempt) {
    List<RateLimits.Check> limits =
        rateLimits.checks(attempt.userId(), attempt.ip(), attempt.device());
    if (sale.powDifficulty() <= 0) {
      return new Guards(limits, null);
    }
    try {
      verify(sale, attempt);
      return new Guards(limits, null);
    } catch (Rejection.RejectedException refused) {
      return new Guards(limits, refused);
    }
  }

  /** {@link #beforeJoin}, unless the sale asks for a CAPTCHA: then every check runs now. */
  public Future<Guards> guardsForJoin(FlashSale sale, Attempt attempt) {
    return sale.captchaRequired()
        ? check(sale, attempt).map(Guards.NONE)
        : Future.succeededFuture(beforeJoin(sale, attempt));
  }

  /** A solution counts once: the first request to mark its nonce wins, every replay is refused. */
  private Future<Void> spend(FlashSale sale, Attempt attempt) {
    Verified verified;
    try {
      verified = verify(sale, attempt);
    } catch (Rejection.RejectedException refused) {
      return Future.failedFuture(refused);
    }
    return redis
        .send(
            Request.cmd(Command.SET)
                .arg(new SaleKeys(sale.saleId()).usedChallenge(verified.nonce()))
                .arg("1")
                .arg("NX")
                .arg("PX")
                .arg(verified.validForMillis()))
        .compose(
            set ->
                set != null
                    ? Future.succeededFuture()
                    : Future.failedFuture(
                        Rejection.POW_REPLAYED.exception("this challenge was already used")));
  }

  /** The attempt's proof of work against this sale's difficulty; no I/O. */
  private Verified verify(FlashSale sale, Attempt attempt) {
    return proofOfWork.verify(
        attempt.powChallenge(),
        attempt.powSolution(),
        sale.saleId(),
        attempt.userId(),
        sale.powDifficulty());
  }

  private <T> Future<T> counted(FlashSale sale, Future<T> checked) {
    return checked.onFailure(
        refused -> {
          if (refused instanceof Rejection.RejectedException rejected) {
            count(sale.saleId(), rejected.reason());
          }
        });
  }

  /**
   * Counts a refusal in metrics and in the sale's tally (the join script counts blacklist hits
   * itself).
   */
  public void count(String saleId, Rejection reason) {
    metrics.counter("flashsale.bot.rejections", "reason", reason.name()).increment();
    redis.send(
        Request.cmd(Command.HINCRBY)
            .arg(new SaleKeys(saleId).rejections())
            .arg(reason.name())
            .arg(1));
  }
}
