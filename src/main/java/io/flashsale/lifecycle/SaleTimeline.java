package io.flashsale.lifecycle;

import io.flashsale.antibot.Blacklist;
import io.flashsale.inventory.StockGate;
import io.flashsale.sale.FlashSale;
import io.flashsale.sale.NewSale;
import io.flashsale.sale.SaleRepository;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import java.util.List;
import java.util.logging.Logger;

/** Moves sales through their statuses and keeps their stock counters in Redis. */
public final class SaleTimeline {

  private static final Logger LOG = Logger.getLogger(SaleTimeline.class.getName());

  private final Pool pool;
  private final SaleRepository sales;
  private final StockGate gate;
  private final Blacklist blacklist;

  public SaleTimeline(Pool pool, SaleRepository sales, StockGate gate, Blacklist blacklist) {
    this.pool = pool;
    this.sales = sales;
    this.gate = gate;
    this.blacklist = blacklist;
  }

  /** Creates the sale and loads its stock and the blacklist into Redis before anyone can see its id. */
  public Future<FlashSale> create(NewSale newSale) {
    return sales.insert(pool, newSale).compose(this::warm);
  }

  private Future<FlashSale> warm(FlashSale sale) {
    return Future.all(gate.loadIfAbsent(sale.saleId(), sale.remaining()), blacklist.loadInto(sale.saleId()))
        .map(sale);
  }

  /** At start-up: every sale not yet ended gets its counter (from the database, if Redis lacks one) and the blacklist. */
  public Future<Integer> warmUp() {
    return sales.listNotEnded(pool).compose(open -> Future.all(open.stream().map(this::warm).toList())
        .map(loaded -> {
          if (!open.isEmpty()) {
            LOG.info("stock counters checked for " + open.size() + " open sale(s)");
          }
          return open.size();
        }));
  }

  /** One step of the timeline; safe to run on every instance at once. */
  public Future<List<String>> tick() {
    return sales.activateDue(pool)
        .onSuccess(started -> started.forEach(id -> LOG.info("sale " + id + " is ACTIVE")))
        .compose(started -> sales.endDue(pool))
        .onSuccess(ended -> ended.forEach(id -> LOG.info("sale " + id + " ENDED")));
  }
}
