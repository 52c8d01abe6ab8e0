package io.flashsale.checkout;

import io.flashsale.infra.LuaScript;
import io.flashsale.infra.SaleKeys;
import io.flashsale.payment.PaymentGateway;
import io.flashsale.payment.PaymentGateway.AuthorizationRequest;
import io.flashsale.sale.AuthorizationRepository;
import io.flashsale.sale.AuthorizationRepository.Answer;
import io.flashsale.sale.FlashSale;
import io.flashsale.waitingroom.TicketState;
import io.flashsale.waitingroom.WaitingRoomAddresses;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Redis;
import io.vertx.sqlclient.Pool;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Pre-authorises the cards of buyers waiting in line, head first and only as far back as can
 * still win, so that winning is one click. One round claims a batch under a lease, asks the gateway for each (idempotent keys),
 * records the answers in PostgreSQL, then tells Redis, which makes authorised buyers
 * admissible and takes declined ones out of the line.
 */
public final class Preauthorizations {

  private static final Logger LOG = Logger.getLogger(Preauthorizations.class.getName());

  private record Claimed(String userId, String ticketId, int quantity, String paymentMethodId) {
    static Claimed parse(String encoded) {
      String[] parts = encoded.split("\\|", -1);
      return new Claimed(parts[0], parts[1], Integer.parseInt(parts[2]), parts[3]);
    }
  }

  private final Redis redis;
  private final Pool pool;
  private final PaymentGateway gateway;
  private final AuthorizationRepository authorizations;
  private final EventBus eventBus;
  private final MeterRegistry metrics;
  private final Duration lease;
  private final LuaScript claim = LuaScript.fromResource("claim_preauthorizations");
  private final LuaScript record = LuaScript.fromResource("record_preauthorizations");

  public Preauthorizations(Redis redis, Pool pool, PaymentGateway gateway, AuthorizationRepository authorizations,
                           EventBus eventBus, MeterRegistry metrics, Duration lease) {
    this.lease = lease;
    this.redis = redis;
    this.pool = pool;
    this.gateway = gateway;
    this.authorizations = authorizations;
    this.eventBus = eventBus;
    this.metrics = metrics;
  }

  public Future<Void> loadScripts() {
    return Future.all(claim.load(redis), record.load(redis)).mapEmpty();
  }

  /** One round for one sale, at most {@code most} cards; resolves to how many were claimed. */
  public Future<Integer> round(FlashSale sale, int most) {
    SaleKeys keys = new SaleKeys(sale.saleId());
    // Two seconds of admissions beyond the units left: enough that the line never waits on a card.
    int buffer = Math.max(100, 2 * sale.admissionRatePerSecond());
    return claim.run(redis,
            List.of(keys.preauthQueue(), keys.preauthorizing(), keys.paymentMethods(), keys.tickets(), keys.cursor(),
                keys.stock()),
            List.of(Integer.toString(most), Long.toString(lease.toMillis()), Integer.toString(buffer)))
        .compose(reply -> {
          List<Claimed> claimed = new ArrayList<>(reply.size());
          reply.forEach(entry -> claimed.add(Claimed.parse(entry.toString())));
          if (claimed.isEmpty()) {
            return Future.succeededFuture(0);
          }
          // Each answer is recorded as it comes: one slow bank must not hold back the others'.
          // Unanswered calls stay leased; the lease runs out and they are tried again.
          return Future.join(claimed.stream()
                  .map(buyer -> authorize(sale, buyer).compose(answer -> recordAnswers(sale, keys, List.of(answer))))
                  .toList())
              .map(claimed.size());
        });
  }

  private Future<Answer> authorize(FlashSale sale, Claimed buyer) {
    // One authorisation per buyer per sale, whatever their ticket: a buyer who joins again after
    // an outage gets the same hold back, never a second one.
    String key = "preauth:" + sale.saleId() + ":" + buyer.userId();
    long amount = sale.priceCents() * buyer.quantity();
    return gateway.authorize(new AuthorizationRequest(key, buyer.userId(), buyer.paymentMethodId(), amount,
            sale.currency()))
        .map(auth -> new Answer(buyer.userId(), key, buyer.paymentMethodId(),
            auth.authorizationId() != null ? auth.authorizationId() : key, amount,
            auth.approved() ? null : String.valueOf(auth.declineReason())))
        .onSuccess(answer -> metrics.counter("flashsale.preauthorizations",
            "outcome", answer.declineReason() == null ? "AUTHORIZED" : "DECLINED").increment())
        .onFailure(e -> {
          metrics.counter("flashsale.preauthorizations", "outcome", "ERROR").increment();
          LOG.log(Level.FINE, "pre-authorisation for " + buyer.userId() + " got no answer; will retry", e);
        });
  }

  /** Database first: a buyer becomes admissible only once their authorisation can be captured or voided. */
  private Future<Void> recordAnswers(FlashSale sale, SaleKeys keys, List<Answer> answers) {
    List<String> args = new ArrayList<>(answers.size() * 2);
    answers.forEach(answer -> {
      args.add(answer.userId());
      args.add(answer.declineReason() == null ? "AUTHORIZED" : "DECLINED");
    });
    return authorizations.recordAnswers(pool, UUID.fromString(sale.saleId()), sale.currency(), answers)
        .compose(recorded -> record.run(redis,
            List.of(keys.preauthorizing(), keys.payments(), keys.line(), keys.tickets(), keys.prequeue()), args))
        // Approved after the buyer had left or been dropped: nobody will capture this hold.
        .compose(gone -> {
          List<Future<Void>> voids = new ArrayList<>();
          gone.forEach(user -> voids.add(authorizations.requestVoid(pool, UUID.fromString(sale.saleId()),
              user.toString())));
          return Future.all(voids);
        })
        .onSuccess(done -> answers.stream().filter(answer -> answer.declineReason() != null).forEach(declined ->
            eventBus.publish(WaitingRoomAddresses.OUTCOME, new JsonObject()
                .put("saleId", sale.saleId())
                .put("userId", declined.userId())
                .put("state", TicketState.DECLINED.name()))))
        .mapEmpty();
  }
}
