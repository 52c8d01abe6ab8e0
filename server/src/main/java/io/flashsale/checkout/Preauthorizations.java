package io.flashsale.checkout;

import io.flashsale.checkout.ClaimPreauthorizationsScript.Claimed;
import io.flashsale.events.BuyerOutcome;
import io.flashsale.events.SaleEvents;
import io.flashsale.infra.LineKeys;
import io.flashsale.infra.SaleKeys;
import io.flashsale.payment.PaymentGateway;
import io.flashsale.payment.PaymentGateway.AuthorizationRequest;
import io.flashsale.sale.AuthorizationRepository;
import io.flashsale.sale.AuthorizationRepository.Answer;
import io.flashsale.sale.FlashSale;
import io.flashsale.waitingroom.TicketState;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import io.vertx.sqlclient.Pool;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pre-authorises the cards of buyers waiting in line, head first and only as far back as can still
 * win, so that winning is one click. One round claims a batch under a lease, asks the gateway for
 * each (idempotent keys), records the answers in PostgreSQL, then tells Redis, which makes
 * authorised buyers admissible and takes declined ones out of the line.
 *
 * <p>Answers are recorded in groups: those of a round that arrive within {@link #GROUP_MILLIS} of
 * the group's first go to PostgreSQL in one statement and to Redis in one script call. A slow bank
 * still holds back only its own buyer, and the per-answer cost of two round trips no longer caps
 * how many cards a second the line can have ready.
 */
public final class Preauthorizations {

  private static final Logger LOG = LoggerFactory.getLogger(Preauthorizations.class);

  /**
   * How far ahead of the admission cursor cards are authorised, in time at the admission rate: a
   * minute of admissions (and at most twice the units left). Money is held only for buyers about to
   * be let out, and the gateway and this instance are not asked to authorise a whole line the stock
   * could serve but the rate will take hours to reach.
   */
  static final Duration HORIZON = Duration.ofMinutes(1);

  /** How long the first answer of a group waits for others to join it. */
  static final long GROUP_MILLIS = 2;

  private final Pool pool;
  private final PaymentGateway gateway;
  private final AuthorizationRepository authorizations;
  private final Vertx vertx;
  private final MeterRegistry metrics;
  private final Duration lease;
  private final ClaimPreauthorizationsScript claim;
  private final RecordPreauthorizationsScript record;

  public Preauthorizations(
      Redis redis,
      Pool pool,
      PaymentGateway gateway,
      AuthorizationRepository authorizations,
      Vertx vertx,
      MeterRegistry metrics,
      Duration lease) {
    this.lease = lease;
    this.pool = pool;
    this.gateway = gateway;
    this.authorizations = authorizations;
    this.vertx = vertx;
    this.metrics = metrics;
    this.claim = new ClaimPreauthorizationsScript(redis);
    this.record = new RecordPreauthorizationsScript(redis);
  }

  public Future<Void> loadScripts() {
    return Future.all(claim.load(), record.load()).mapEmpty();
  }

  /** One round for one sale, at most {@code most} cards; resolves to how many were claimed. */
  public Future<Integer> round(FlashSale sale, int most) {
    List<LineKeys> shards = new SaleKeys(sale.saleId()).lines(sale.lineShards());
    if (shards.size() == 1) {
      return round(sale, shards.get(0), most);
    }
    // Each shard claims its share, from its own head.
    int share = (most + shards.size() - 1) / shards.size();
    List<Future<Integer>> rounds = new ArrayList<>(shards.size());
    shards.forEach(keys -> rounds.add(round(sale, keys, share)));
    return Future.all(rounds).map(done -> rounds.stream().mapToInt(Future::result).sum());
  }

  private Future<Integer> round(FlashSale sale, LineKeys keys, int most) {
    // Two seconds of admissions beyond the units left: enough that the line never waits on a card.
    int buffer = Math.max(100, 2 * sale.admissionRatePerSecond());
    return claim
        .run(
            keys,
            new ClaimPreauthorizationsScript.Claim(
                most, lease.toMillis(), buffer, sale.admissionRatePerSecond(), HORIZON.toSeconds()))
        .compose(
            claimed -> {
              if (claimed.isEmpty()) {
                return Future.succeededFuture(0);
              }
              // Unanswered calls stay leased; the lease runs out and they are tried again.
              AnswerGroups groups = new AnswerGroups(sale, keys);
              return Future.join(
                      claimed.stream()
                          .map(buyer -> authorize(sale, buyer).compose(groups::add))
                          .toList())
                  .map(claimed.size());
            });
  }

  private Future<Answer> authorize(FlashSale sale, Claimed buyer) {
    // One authorisation per buyer per sale, whatever their ticket: a buyer who joins again after
    // an outage gets the same hold back, never a second one.
    String key = "preauth:" + sale.saleId() + ":" + buyer.userId();
    long amount = sale.priceCents() * buyer.quantity();
    return gateway
        .authorize(
            new AuthorizationRequest(
                key, buyer.userId(), buyer.paymentMethodId(), amount, sale.currency()))
        .map(
            auth ->
                new Answer(
                    buyer.userId(),
                    key,
                    buyer.paymentMethodId(),
                    auth.authorizationId() != null ? auth.authorizationId() : key,
                    amount,
                    auth.approved() ? null : String.valueOf(auth.declineReason())))
        .onSuccess(
            answer ->
                metrics
                    .counter(
                        "flashsale.preauthorizations",
                        "outcome",
                        answer.declineReason() == null ? "AUTHORIZED" : "DECLINED")
                    .increment())
        .onFailure(
            e -> {
              metrics.counter("flashsale.preauthorizations", "outcome", "ERROR").increment();
              LOG.debug(
                  "pre-authorisation for " + buyer.userId() + " got no answer; will retry", e);
            });
  }

  /** The answers of one round, recorded a group at a time, on the context the round started on. */
  private final class AnswerGroups {
    private final FlashSale sale;
    private final LineKeys keys;
    private final Context context = vertx.getOrCreateContext();
    private List<Answer> pending = new ArrayList<>();
    private Promise<Void> recorded;

    AnswerGroups(FlashSale sale, LineKeys keys) {
      this.sale = sale;
      this.keys = keys;
    }

    /** Resolves once {@code answer}'s group is recorded in both stores. */
    Future<Void> add(Answer answer) {
      if (Vertx.currentContext() == context) {
        return addHere(answer);
      }
      // A gateway may answer on a context of its own: the group is only touched on the round's.
      Promise<Void> added = Promise.promise();
      context.runOnContext(v -> addHere(answer).onComplete(added));
      return added.future();
    }

    private Future<Void> addHere(Answer answer) {
      if (pending.isEmpty()) {
        recorded = Promise.promise();
        vertx.setTimer(GROUP_MILLIS, id -> flush());
      }
      pending.add(answer);
      return recorded.future();
    }

    private void flush() {
      List<Answer> group = pending;
      Promise<Void> done = recorded;
      pending = new ArrayList<>();
      metrics.summary("flashsale.preauthorization.group").record(group.size());
      recordAnswers(sale, keys, group).onComplete(done);
    }
  }

  /**
   * Database first: a buyer becomes admissible only once their authorisation can be captured or
   * voided.
   */
  private Future<Void> recordAnswers(FlashSale sale, LineKeys keys, List<Answer> answers) {
    return authorizations
        .recordAnswers(pool, UUID.fromString(sale.saleId()), sale.currency(), answers)
        .compose(
            recorded ->
                record.run(
                    keys,
                    answers.stream()
                        .map(
                            answer ->
                                new RecordPreauthorizationsScript.Answered(
                                    answer.userId(), answer.declineReason() == null))
                        .toList()))
        // Approved after the buyer had left or been dropped: nobody will capture this hold.
        .compose(
            gone -> {
              List<Future<Void>> voids = new ArrayList<>();
              gone.forEach(
                  user ->
                      voids.add(
                          authorizations.requestVoid(pool, UUID.fromString(sale.saleId()), user)));
              return Future.all(voids);
            })
        .onSuccess(
            done ->
                answers.stream()
                    .filter(answer -> answer.declineReason() != null)
                    .forEach(
                        declined ->
                            SaleEvents.publish(
                                vertx.eventBus(),
                                BuyerOutcome.of(
                                    sale.saleId(), declined.userId(), TicketState.DECLINED))))
        .mapEmpty();
  }
}
