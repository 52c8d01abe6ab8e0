package io.flashsale.waitingroom;

import io.flashsale.events.BuyerOutcome;
import io.flashsale.events.SaleEvents;
import io.flashsale.events.SoldOut;
import io.flashsale.infra.LineKeys;
import io.flashsale.infra.SaleKeys;
import io.flashsale.inventory.ReservationDesk;
import io.flashsale.inventory.Reservations.Claim;
import io.flashsale.inventory.Reservations.ClaimOutcome;
import io.flashsale.inventory.StockGate;
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
import io.vertx.redis.client.Response;
import io.vertx.sqlclient.Pool;
import java.util.ArrayList;
import java.util.Comparator;
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
  private final StockGate stockGate;
  private final AdmitScript admit;
  private final AdmitPeekScript peek;
  private final AdmitTakeScript take;
  private final AdmitMarkScript mark;

  public Admissions(
      Redis redis,
      Pool pool,
      AuthorizationRepository authorizations,
      Presence.Settings presence,
      ReservationDesk reservations,
      EventBus eventBus,
      MeterRegistry metrics,
      SaleMeters saleMeters,
      StockGate stockGate,
      int tickMillis) {
    this.stockGate = stockGate;
    this.peek = new AdmitPeekScript(redis);
    this.take = new AdmitTakeScript(redis);
    this.mark = new AdmitMarkScript(redis);
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
    return Future.all(admit.load(), peek.load(), take.load(), mark.load()).mapEmpty();
  }

  public Future<Step> step(FlashSale sale) {
    SaleKeys keys = new SaleKeys(sale.saleId());
    // Pass a few slow cards to admit the authorised buyers behind them, but stop soon
    // when the head of the line is still being authorised: a step must stay cheap.
    AdmitScript.Step rules =
        new AdmitScript.Step(
            sale.admissionRatePerSecond(),
            tickMillis,
            PASSABLE_SLOW_CARDS,
            presence.windowMillisForAdmission(),
            presence.grace().toMillis(),
            MOST_ABSENT_PER_STEP);
    Future<AdmitScript.StepResult> stepped =
        sale.lineShards() == 1
            ? admit.run(keys, keys.line(0, 1), rules)
            : acrossShards(sale, keys, rules);
    return stepped.compose(
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
            metrics.counter("flashsale.admissions.skipped", "reason", "ABSENT").increment(skipped);
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

  /**
   * One step of a sharded line (docs/scaling.md): each shard names the candidates at its head, the
   * sale's slot gives units to the merged head, and each shard lets out its winners if they still
   * wait. Only buyers a mark let out go on to be reserved; units taken for a buyer who left
   * meanwhile go straight back.
   */
  private Future<AdmitScript.StepResult> acrossShards(
      FlashSale sale, SaleKeys keys, AdmitScript.Step rules) {
    int shards = sale.lineShards();
    List<LineKeys> lines = keys.lines(shards);
    List<Future<AdmitPeekScript.Peek>> peeks = new ArrayList<>(shards);
    // The stock as it is now, not as the last step left it: units given back count at once.
    return redis
        .send(Request.cmd(Command.GET).arg(keys.stock()))
        .compose(
            read -> {
              long stock = read == null ? -1 : read.toLong();
              lines.forEach(line -> peeks.add(peek.run(line, rules, stock)));
              return Future.all(peeks);
            })
        .compose(
            peeked -> {
              return take.run(keys, rules, merge(UUID.fromString(sale.saleId()), peeks, shards))
                  .compose(taken -> markEach(sale, lines, taken))
                  .map(
                      admitted -> {
                        long waiting = 0;
                        long away = 0;
                        long present = 0;
                        List<Dropped> dropped = new ArrayList<>();
                        for (Future<AdmitPeekScript.Peek> done : peeks) {
                          AdmitPeekScript.Peek one = done.result();
                          waiting += one.waiting();
                          away += one.away();
                          present += one.present();
                          dropped.addAll(one.dropped());
                        }
                        return new AdmitScript.StepResult(
                            admitted.stockLeft(),
                            waiting - admitted.admitted().size() - admitted.setAside(),
                            away + admitted.setAside(),
                            present,
                            admitted.setAside(),
                            dropped,
                            admitted.admitted());
                      });
            });
  }

  /**
   * The shards' candidates in the line's order, up to the first place a shard did not look at: from
   * there on that shard may hold buyers nobody named, who go before anyone behind them elsewhere.
   */
  static List<AdmitPeekScript.Candidate> merge(
      UUID sale, List<Future<AdmitPeekScript.Peek>> peeks, int shards) {
    long[] sizes = new long[shards];
    for (int shard = 0; shard < shards; shard++) {
      sizes[shard] = peeks.get(shard).result().prequeue();
    }
    LineOrder.Prequeue prequeue = LineOrder.Prequeue.of(sale, sizes);
    Comparator<AdmitPeekScript.Candidate> order =
        (a, b) -> LineOrder.compare(a.shard(), a.number(), b.shard(), b.number(), prequeue);
    List<AdmitPeekScript.Candidate> merged = new ArrayList<>();
    AdmitPeekScript.Candidate horizon = null;
    for (int shard = 0; shard < shards; shard++) {
      AdmitPeekScript.Peek peeked = peeks.get(shard).result();
      merged.addAll(peeked.candidates());
      if (peeked.stoppedAt() > 0) {
        // The first place this shard did not look at, at best.
        AdmitPeekScript.Candidate stop =
            new AdmitPeekScript.Candidate("", "", shard, peeked.stoppedAt() + 1, 0, "");
        if (horizon == null || order.compare(stop, horizon) < 0) {
          horizon = stop;
        }
      }
    }
    merged.sort(order);
    if (horizon != null) {
      AdmitPeekScript.Candidate cut = horizon;
      merged.removeIf(candidate -> order.compare(candidate, cut) >= 0);
    }
    return merged;
  }

  private record Marked(long stockLeft, int setAside, List<Admitted> admitted) {}

  /** Every shard, winners or not: the mark also refreshes the shard's copy of the stock. */
  private Future<Marked> markEach(
      FlashSale sale, List<LineKeys> lines, AdmitTakeScript.Take taken) {
    Map<Integer, List<AdmitTakeScript.Winner>> byShard = new HashMap<>();
    taken.winners().forEach(w -> byShard.computeIfAbsent(w.shard(), k -> new ArrayList<>()).add(w));
    Map<Integer, List<AdmitTakeScript.Aside>> asideByShard = new HashMap<>();
    taken
        .aside()
        .forEach(a -> asideByShard.computeIfAbsent(a.shard(), k -> new ArrayList<>()).add(a));
    List<Future<AdmitMarkScript.Mark>> marks = new ArrayList<>(lines.size());
    for (LineKeys line : lines) {
      List<Admitted> winners =
          byShard.getOrDefault(line.shard(), List.of()).stream()
              .map(AdmitTakeScript.Winner::admitted)
              .toList();
      marks.add(
          mark.run(
              line,
              taken.stockLeft(),
              asideByShard.getOrDefault(line.shard(), List.of()),
              winners));
    }
    return Future.all(marks)
        .compose(
            done -> {
              List<Admitted> letOut = new ArrayList<>();
              List<StockGate.Return> giveBack = new ArrayList<>();
              int setAside = 0;
              Map<String, AdmitMarkScript.Outcome> outcomes = new HashMap<>();
              for (LineKeys line : lines) {
                List<AdmitTakeScript.Winner> winners =
                    byShard.getOrDefault(line.shard(), List.of());
                AdmitMarkScript.Mark marked = marks.get(line.shard()).result();
                setAside += marked.setAside();
                for (int i = 0; i < winners.size(); i++) {
                  outcomes.put(winners.get(i).admitted().ticketId(), marked.outcomes().get(i));
                }
              }
              // The take named its winners in the line's order: they are let out in it.
              for (AdmitTakeScript.Winner winner : taken.winners()) {
                switch (outcomes.get(winner.admitted().ticketId())) {
                  case LET_OUT -> letOut.add(winner.admitted());
                  case GONE -> {
                    if (winner.taken()) {
                      giveBack.add(
                          new StockGate.Return(
                              winner.admitted().userId(),
                              winner.admitted().quantity(),
                              winner.admitted().ticketId()));
                    }
                  }
                  case LET_OUT_ELSEWHERE -> {
                    // Another step's mark let them out; that step reserves them.
                  }
                }
              }
              int aside = setAside;
              if (giveBack.isEmpty()) {
                return Future.succeededFuture(new Marked(taken.stockLeft(), aside, letOut));
              }
              return stockGate
                  .giveBackAll(sale.saleId(), giveBack)
                  .map(
                      after ->
                          new Marked(
                              after.stream().mapToLong(Integer::longValue).max().orElse(-1),
                              aside,
                              letOut));
            });
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
              // One write per shard that holds any of these tickets, then the in-flight entries.
              Map<Integer, Request> tickets = new HashMap<>();
              Request settled = Request.cmd(Command.HDEL).arg(keys.inflight());
              List<BuyerOutcome> heard = new ArrayList<>(outcomes.size());
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
                tickets
                    .computeIfAbsent(
                        LineKeys.shardOf(buyer.userId(), sale.lineShards()),
                        shard ->
                            Request.cmd(Command.HSET)
                                .arg(keys.line(shard, sale.lineShards()).tickets()))
                    .arg(buyer.userId())
                    .arg(buyer.ticket(state, orderId).encode());
                settled.arg(buyer.ticketId());
                heard.add(new BuyerOutcome(sale.saleId(), buyer.userId(), state, orderId));
              }
              // Every outcome unknown (the database did not answer): nothing to write, and an HSET
              // with no field would be refused by Redis.
              if (heard.isEmpty()) {
                return Future.<Void>succeededFuture();
              }
              // The tickets first: a ticket still ADMITTED with no in-flight entry would have
              // nothing left to settle it. The outcomes go out once the tickets say them: a live
              // feed that hears one reads the buyer's ticket, and on a node with no pulse of its
              // own (or until its next one) an earlier read would have pushed ADMITTED and stopped.
              List<Future<Response>> written = new ArrayList<>(tickets.size());
              tickets.values().forEach(write -> written.add(redis.send(write)));
              return Future.all(written)
                  .onComplete(done -> heard.forEach(event -> SaleEvents.publish(eventBus, event)))
                  .compose(done -> redis.send(settled))
                  .<Void>mapEmpty();
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
