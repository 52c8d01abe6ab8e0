package io.flashsale.waitingroom;

import io.flashsale.events.UnitsReturned;
import io.flashsale.sale.FlashSale;
import io.flashsale.sale.OpenSales;
import io.flashsale.sale.QueuePolicy;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.time.Clock;
import java.util.HashSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ticks every few milliseconds and runs one admission step per open waiting-room sale. Every
 * instance runs one: the admit script's token bucket keeps the total at the sale's rate, so a
 * duplicate tick admits nobody extra and a dead instance leaves nothing half done in Redis.
 */
public final class AdmissionTicker extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(AdmissionTicker.class);

  private final OpenSales openSales;
  private final Admissions admissions;
  private final PrequeueShuffle prequeue;
  private final Clock clock;
  private final int tickMillis;
  private final Set<String> busy = new HashSet<>();
  private final Set<String> sealed = new HashSet<>();

  public AdmissionTicker(
      OpenSales openSales,
      Admissions admissions,
      PrequeueShuffle prequeue,
      Clock clock,
      int tickMillis) {
    this.openSales = openSales;
    this.admissions = admissions;
    this.prequeue = prequeue;
    this.clock = clock;
    this.tickMillis = tickMillis;
  }

  @Override
  public Future<?> start() {
    vertx.setPeriodic(tickMillis, id -> tick());
    // Units back in a sale's pool (a hold expired or was cancelled, reconciliation returned a
    // lost take) reach the head of its line now, not at the next tick.
    return vertx
        .eventBus()
        .<UnitsReturned>consumer(
            UnitsReturned.ADDRESS, returned -> admitNow(returned.body().saleId()))
        .completion();
  }

  private void admitNow(String saleId) {
    long now = clock.millis();
    for (FlashSale sale : openSales.withWaitingRoom()) {
      if (sale.saleId().equals(saleId)
          && now >= sale.startTime().toEpochMilli()
          && now < sale.endTime().toEpochMilli()
          && busy.add(saleId)) {
        admitOnce(sale).onComplete(done -> busy.remove(saleId));
      }
    }
  }

  private void tick() {
    long now = clock.millis();
    for (FlashSale sale : openSales.withWaitingRoom()) {
      if (now >= sale.startTime().toEpochMilli()
          && now < sale.endTime().toEpochMilli()
          && busy.add(sale.saleId())) {
        admitOnce(sale).onComplete(done -> busy.remove(sale.saleId()));
      }
    }
  }

  private Future<?> admitOnce(FlashSale sale) {
    Future<Boolean> ready =
        sale.queuePolicy() == QueuePolicy.FIFO || sealed.contains(sale.saleId())
            ? Future.succeededFuture(true)
            : prequeue
                .ensureSealed(sale)
                .onSuccess(
                    done -> {
                      if (done) {
                        sealed.add(sale.saleId());
                      }
                    });
    return ready
        .compose(go -> go ? admissions.step(sale) : Future.succeededFuture())
        .onFailure(e -> LOG.warn("admission step failed for sale " + sale.saleId(), e));
  }
}
