package io.flashsale.lifecycle;

import io.flashsale.antibot.Blacklist;
import io.flashsale.audit.RedisRecovery;
import io.flashsale.inventory.StockGate;
import io.flashsale.lifecycle.StepClaims.Step;
import io.flashsale.sale.FlashSale;
import io.flashsale.sale.NewSale;
import io.flashsale.sale.SaleRepository;
import io.flashsale.sale.SaleStatus;
import io.flashsale.waitingroom.AdmissionControl;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives each sale through its timeline: warm-up (stock and blacklist into Redis), countdown
 * notices, SCHEDULED → ACTIVE at the start, → ENDED at the end (the hold-expiry and void sweeps
 * then release every hold and authorisation left). Status changes are idempotent statements; steps
 * with side effects are claimed so they run once across all instances.
 */
public final class SaleTimeline {

  private static final Logger LOG = LoggerFactory.getLogger(SaleTimeline.class);

  /** How long before the start each step is due. */
  public record Leads(Duration warmUp, Duration firstNotice, Duration lastNotice) {}

  private final Pool pool;
  private final SaleRepository sales;
  private final StockGate gate;
  private final Blacklist blacklist;
  private final RedisRecovery recovery;
  private final Notifier notifier;
  private final AdmissionControl admissionControl;
  private final Leads leads;
  private final int defaultLineShards;
  private final Clock clock;
  private final StepClaims claims;

  public SaleTimeline(
      Pool pool,
      SaleRepository sales,
      StockGate gate,
      Blacklist blacklist,
      RedisRecovery recovery,
      AdmissionControl admissionControl,
      Notifier notifier,
      Leads leads,
      int defaultLineShards,
      Clock clock) {
    this.defaultLineShards = defaultLineShards;
    this.admissionControl = admissionControl;
    this.pool = pool;
    this.sales = sales;
    this.gate = gate;
    this.blacklist = blacklist;
    this.recovery = recovery;
    this.notifier = notifier;
    this.leads = leads;
    this.clock = clock;
    this.claims = new StepClaims(pool, Duration.ofSeconds(60));
  }

  /**
   * Creates the sale and loads its stock and the blacklist into Redis before anyone can see its id.
   */
  public Future<FlashSale> create(NewSale newSale) {
    NewSale shaped =
        newSale.lineShards() == 0 ? newSale.withLineShards(defaultLineShards) : newSale;
    return sales.insert(pool, shaped).compose(this::warm);
  }

  /**
   * Loads the sale's stock counter, the blacklists, its controls and its epoch into Redis (what
   * exists already is kept): what every sale needs there before its first join or purchase.
   */
  public Future<FlashSale> warm(FlashSale sale) {
    return Future.all(
            gate.loadIfAbsent(sale.saleId(), sale.remaining()),
            blacklist.loadInto(sale),
            admissionControl.mirror(sale))
        .compose(loaded -> recovery.markPresent(sale))
        .map(sale);
  }

  /**
   * At start-up: a sale whose state Redis lost while we were down is rebuilt from the database
   * first; then every sale not yet ended gets its counter and the blacklists.
   */
  public Future<Integer> warmUp() {
    return sales
        .listNotEnded(pool)
        .compose(
            open ->
                recovery
                    .check(open)
                    .compose(rebuilt -> Future.all(open.stream().map(this::warm).toList()))
                    .map(
                        loaded -> {
                          if (!open.isEmpty()) {
                            LOG.info("stock counters checked for " + open.size() + " open sale(s)");
                          }
                          return open.size();
                        }));
  }

  public Future<Boolean> subscribe(String saleId, String userId, String email) {
    return claims.subscribe(saleId, userId, email);
  }

  /** One step of every sale's timeline; safe to run on every instance at once. */
  public Future<Void> tick() {
    return sales
        .activateDue(pool)
        .onSuccess(started -> started.forEach(id -> LOG.info("sale " + id + " is ACTIVE")))
        .compose(started -> sales.endDue(pool))
        .onSuccess(
            ended ->
                ended.forEach(
                    id ->
                        LOG.info("sale " + id + " ENDED; holds expire, authorisations are voided")))
        .compose(ended -> sales.listNotEnded(pool))
        .compose(
            open ->
                Future.join(
                    open.stream()
                        .filter(sale -> sale.status() == SaleStatus.SCHEDULED)
                        .map(this::dueSteps)
                        .toList()))
        .mapEmpty();
  }

  private Future<Void> dueSteps(FlashSale sale) {
    Instant now = clock.instant();
    Instant start = sale.startTime();
    List<Future<Void>> steps = new ArrayList<>();
    if (!now.isBefore(start.minus(leads.warmUp()))) {
      steps.add(once(sale, Step.WARM_UP, () -> warm(sale).map("loaded")));
    }
    if (!now.isBefore(start.minus(leads.firstNotice()))) {
      // A notice that would arrive after the next one (a sale created late) is not sent at all.
      boolean stillTimely = now.isBefore(start.minus(leads.lastNotice()));
      steps.add(
          once(
              sale,
              Step.NOTIFY_T60,
              () -> stillTimely ? send(sale, leads.firstNotice()) : skipped()));
    }
    if (!now.isBefore(start.minus(leads.lastNotice()))) {
      steps.add(
          once(
              sale,
              Step.NOTIFY_T5,
              () -> now.isBefore(start) ? send(sale, leads.lastNotice()) : skipped()));
    }
    return Future.join(steps).mapEmpty();
  }

  private Future<Void> once(FlashSale sale, Step step, Supplier<Future<String>> work) {
    return claims
        .claim(sale.saleId(), step)
        .compose(
            mine ->
                !mine
                    ? Future.<Void>succeededFuture()
                    : work.get()
                        .compose(outcome -> claims.done(sale.saleId(), step, outcome))
                        .recover(
                            failed -> {
                              LOG.warn(
                                  step
                                      + " of sale "
                                      + sale.saleId()
                                      + " failed; it will be retried",
                                  failed);
                              return claims.release(sale.saleId(), step);
                            }));
  }

  private Future<String> send(FlashSale sale, Duration lead) {
    return claims
        .subscribers(sale.saleId())
        .compose(
            recipients ->
                notifier
                    .notify(
                        new SaleNotice(
                            sale.saleId(),
                            sale.productName(),
                            "T-" + lead.toMinutes(),
                            sale.startTime(),
                            recipients))
                    .map("sent to " + recipients.size() + " subscriber(s)"));
  }

  private static Future<String> skipped() {
    return Future.succeededFuture("skipped: too late to be useful");
  }
}
