package io.flashsale.waitingroom;

import io.flashsale.events.BuyerOutcome;
import io.flashsale.events.SaleEvents;
import io.flashsale.events.SoldOut;
import io.flashsale.infra.SaleKeys;
import io.flashsale.inventory.ReservationDesk;
import io.flashsale.inventory.Reservations.Claim;
import io.flashsale.inventory.Reservations.ClaimOutcome;
import io.flashsale.sale.AuthorizationRepository;
import io.flashsale.sale.ErrorCode;
import io.flashsale.sale.FlashSale;
import io.flashsale.sale.SaleMeters;
import io.flashsale.waitingroom.AdmitScript.Admitted;
import io.flashsale.waitingroom.AdmitScript.Dropped;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.sqlclient.Pool;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * One admission step for one sale: the admit script lets the head of the line out at the sale's
 * rate and takes their units, then one database transaction reserves the whole batch, then tickets
 * and live connections learn the outcome.
 */
public final class Admissions {

  /** What one step did, for the ticker and the metrics. */
  public record Step(int admitted, long stockLeft, long waiting) {}

  /**
   * Most absent buyers one step sets aside: a head of the line gone quiet clears in a few ticks.
   */
  private static final int MOST_ABSENT_PER_STEP = 256;

  private static final int PASSABLE_SLOW_CARDS = 32;

  private final Redis redis;
  private final Pool pool;
  private final AuthorizationRepository authorizations;
  private final Presence.Settings presence;
  private final ReservationDesk reservations;
  private final EventBus eventBus;
  private final MeterRegistry metrics;
  private final SaleMeters saleMeters;
  private final int tickMillis;
  private final AdmitScript admit;

  public Admissions(
      Redis redis,
      Pool pool,
      AuthorizationRepository authorizations,
      Presence.Settings presence,
      ReservationDesk reservations,
      EventBus eventBus,
      MeterRegistry metrics,
      SaleMeters saleMeters,
      int tickMillis) {
    this.redis = redis;
    this.pool = pool;
    this.authorizations = authorizations;
    this.presence = presence;
    this.reservations = reservations;
    this.eventBus = eventBus;
    this.metrics = metrics;
    this.saleMeters = saleMeters;
    this.tickMillis = tickMillis;
    this.admit = new AdmitScript(redis);
  }

  public Future<Void> loadScripts() {
    return admit.load();
  }

  public Future<Step> step(FlashSale sale) {
    SaleKeys keys = new SaleKeys(sale.saleId());
    // Pass a few slow cards to admit the authorised buyers behind them, but stop soon
    // when the head of the line is still being authorised: a step must stay cheap.
    return admit
        .run(
            keys,
            new AdmitScript.Step(
                sale.admissionRatePerSecond(),
                tickMillis,
                PASSABLE_SLOW_CARDS,
                presence.windowMillisForAdmission(),
                presence.grace().toMillis(),
                MOST_ABSENT_PER_STEP))
        .compose(
            step -> {
              long stockLeft = step.stockLeft();
              long waiting = step.waiting();
              saleMeters.gauge("flashsale.queue.waiting", sale.saleId()).set(waiting);
              saleMeters.gauge("flashsale.queue.away", sale.saleId()).set(step.away());
              if (presence.enabled()) {
                saleMeters.gauge("flashsale.queue.present", sale.saleId()).set(step.present());
              }
              int skipped = step.skippedForAbsence();
              if (skipped > 0) {
                metrics
                    .counter("flashsale.admissions.skipped", "reason", "ABSENT")
                    .increment(skipped);
              }
              List<String> dropped = step.dropped().stream().map(Dropped::userId).toList();
              List<Admitted> admitted = step.admitted();
              if (stockLeft == 0 && waiting > 0 && !admitted.isEmpty()) {
                SaleEvents.publish(eventBus, new SoldOut(sale.saleId()));
              }
              Future<Void> droppedSettled = drop(sale, dropped);
              if (admitted.isEmpty()) {
                return droppedSettled.map(new Step(0, stockLeft, waiting));
              }
              saleMeters.counter("flashsale.admissions", sale.saleId()).increment(admitted.size());
              return Future.all(droppedSettled, reserve(sale, keys, admitted))
                  .map(done -> new Step(admitted.size(), stockLeft, waiting));
            });
  }

  /**
   * Buyers out of the line for good: their card holds are voided, and they are told if they are
   * still listening.
   */
  private Future<Void> drop(FlashSale sale, List<String> dropped) {
    if (dropped.isEmpty()) {
      return Future.succeededFuture();
    }
    metrics.counter("flashsale.queue.dropped").increment(dropped.size());
    dropped.forEach(
        userId ->
            SaleEvents.publish(
                eventBus, BuyerOutcome.of(sale.saleId(), userId, TicketState.DROPPED)));
    return authorizations.requestVoids(pool, UUID.fromString(sale.saleId()), dropped);
  }

  private Future<Void> reserve(FlashSale sale, SaleKeys keys, List<Admitted> admitted) {
    Map<String, Admitted> byUser = new HashMap<>();
    admitted.forEach(buyer -> byUser.put(buyer.userId(), buyer));
    // A ticket is admitted at most once, so its id serves as the order id: the in-flight entry
    // the admit script wrote under it tells reconciliation which order to look for.
    List<Claim> claims =
        admitted.stream()
            .map(
                buyer ->
                    new Claim(buyer.userId(), buyer.quantity(), UUID.fromString(buyer.ticketId())))
            .toList();
    return reservations
        .reserveClaimed(sale, claims)
        .compose(
            outcomes -> {
              Request tickets = Request.cmd(Command.HSET).arg(keys.tickets());
              Request settled = Request.cmd(Command.HDEL).arg(keys.inflight());
              int known = 0;
              for (ClaimOutcome outcome : outcomes) {
                if (outcome.unknown() != null) {
                  // The write may have landed: the ticket stays ADMITTED with its in-flight entry,
                  // and
                  // reconciliation settles both once it can see whether the order exists.
                  continue;
                }
                Admitted buyer = byUser.get(outcome.claim().userId());
                TicketState state = stateOf(outcome);
                String orderId = outcome.order() != null ? outcome.order().orderId() : null;
                tickets.arg(buyer.userId()).arg(buyer.ticket(state, orderId).encode());
                settled.arg(buyer.ticketId());
                known++;
                SaleEvents.publish(
                    eventBus, new BuyerOutcome(sale.saleId(), buyer.userId(), state, orderId));
              }
              // Every outcome unknown (the database did not answer): nothing to write, and an HSET
              // with no field would be refused by Redis.
              return known == 0
                  ? Future.<Void>succeededFuture()
                  : redis.batch(List.of(tickets, settled)).<Void>mapEmpty();
            });
  }

  /**
   * A buyer admitted just before the sale ended (the end committed while this step's reservations
   * were on their way, or before the control mirror said so) is told the sale ended, not that
   * something went wrong: the database refuses the reservation of an ended sale as SALE_NOT_ACTIVE,
   * and a buyer admitted at all was admitted after the start.
   */
  private static TicketState stateOf(ClaimOutcome outcome) {
    if (outcome.order() != null) {
      return TicketState.RESERVED;
    }
    return outcome.refusal().code() == ErrorCode.SALE_NOT_ACTIVE
        ? TicketState.ENDED
        : TicketState.REFUSED;
  }
}
